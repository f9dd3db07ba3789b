"""What goes with the frontline's perceived gains: relative importance, built with a survey's
release from its anonymous answers and stored with it (docs/privacy.md, "Drivers")."""

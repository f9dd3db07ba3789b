"""The store: engine, the one session scope that commits, and migrations."""

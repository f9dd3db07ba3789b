"""A seeded synthetic organisation, so demos and tests run without anyone's real data."""

"""Surveys: the versioned question bank, surveys built from it, and anonymous responses."""

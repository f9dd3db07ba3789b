"""Releases of measured figures: leadership metrics over people, by month end."""

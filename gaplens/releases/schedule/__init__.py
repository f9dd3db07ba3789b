"""Scheduled release builds: one build at a time across every server process."""

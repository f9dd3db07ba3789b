"""Releases of the task preference map: one data set per task round (`tasks:<round id>`)."""

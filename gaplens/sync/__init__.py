"""Capability: connections to the tools' APIs and the incremental sync that pulls from them.

A vendor module (`github.py`) speaks one API and yields what it pulled, a unit at a time (a
report day, the seat list), with the cursor that unit advances to; `service.py` stores each
unit through the same connectors and importers as a file import, in one transaction with the
connection's new cursor, so a sync killed at any point resumes where it stopped.
"""

"""Routers, one per area; each parses the request and calls services."""

"""The web adapter: FastAPI routes, server-rendered pages and the JSON API over the services."""

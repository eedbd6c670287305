"""The HTTP service (FastAPI): push, search, streams, saved searches, health, the web page."""

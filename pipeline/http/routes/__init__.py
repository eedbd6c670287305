"""One router per concern: push, search, saved searches, streams, health."""

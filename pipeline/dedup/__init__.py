"""Versions and duplicates: the gate (versioning), look-alike stories (similarity), withdrawn events (retractions)."""

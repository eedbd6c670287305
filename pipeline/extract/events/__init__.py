"""Typed events: the rules that find them (one place for every event type)."""

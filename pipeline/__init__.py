"""wirestream pipeline: normalise -> version -> extract -> enrich -> index + event topics."""

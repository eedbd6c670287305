"""The Faust worker: wire.raw in; index, event topics, live feed and dead letters out."""

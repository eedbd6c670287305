"""One module per wire format: bytes or text in, canonical Dispatches out (connectors.registry picks one)."""

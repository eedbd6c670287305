"""Connectors: turn wire documents (files, feeds, pushes) into canonical Dispatches."""

from connectors.errors import RefusedInput
from connectors.registry import detect_format, parse_document

__all__ = ["RefusedInput", "detect_format", "parse_document"]

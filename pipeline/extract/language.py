"""Language of a dispatch: see connectors.language (the tag normalised, else detected
offline with py3langid). Kept here for the pipeline's stage imports."""

from __future__ import annotations

from connectors.language import DETECTABLE, detect_language, normalise_language

__all__ = ["DETECTABLE", "detect_language", "normalise_language"]

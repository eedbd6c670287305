"""The one place spaCy models are loaded: one pipeline per language, cached per process."""

from __future__ import annotations

import threading
from functools import lru_cache

import spacy
from spacy.language import Language

from pipeline.settings import get_settings

SUPPORTED = ("fr", "en")
# The extract stage reads entities and sentences only: the tagger, parser and
# lemmatizer cost time and give nothing here, so they are not run.
_KEEP = {"tok2vec", "ner", "transformer"}
_lock = threading.Lock()


def model_name(language: str) -> str:
    settings = get_settings()
    names = {"fr": settings.model_fr, "en": settings.model_en}
    if language not in names:
        raise ValueError(f"no spaCy model configured for language {language!r}")
    return names[language]


@lru_cache(maxsize=4)
def _load(name: str) -> Language:
    nlp = spacy.load(name)
    disabled = [p for p in nlp.pipe_names if p not in _KEEP]
    nlp.select_pipes(disable=disabled)
    if "sentencizer" not in nlp.pipe_names:
        nlp.add_pipe("sentencizer", first=True)
    return nlp


def load_model(language: str) -> Language:
    """The spaCy pipeline for `language` ('fr' or 'en'), loaded once per process."""
    with _lock:
        return _load(model_name(language))

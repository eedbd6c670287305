"""The one place spaCy models are loaded: one pipeline per language, cached per process."""

from __future__ import annotations

import threading
from functools import lru_cache

import spacy
from spacy.language import Language

from pipeline.extract import learned
from pipeline.settings import get_settings

SUPPORTED = ("fr", "en")
# Entities need tok2vec + ner; the event rules read the dependency parse (subjects, objects,
# passive agents, xcomp, coordination) and lemmas, so the tagger / morphologizer, parser,
# attribute ruler and lemmatizer run too. Their cost is measured in bench/README.md
# (`python -m bench.parser`). Anything else a model ships (senter) stays off: sentences come
# from the sentencizer, set before the parser, which respects them.
KEEP = frozenset(
    {"tok2vec", "transformer", "tagger", "morphologizer", "parser", "attribute_ruler"}
    | {"lemmatizer", "ner"}
)
# What the extraction ran before the parser was enabled (the bench's comparison point).
NER_ONLY = frozenset({"tok2vec", "transformer", "ner"})
# Learned components shipped as JSON weights (pipeline/extract/learned, `python -m eval.train`).
LEARNED = ("entity_typer", "event_trigger", "role_filler")
_lock = threading.Lock()


def model_name(language: str) -> str:
    settings = get_settings()
    names = {"fr": settings.model_fr, "en": settings.model_en}
    if language not in names:
        raise ValueError(f"no spaCy model configured for language {language!r}")
    return names[language]


@lru_cache(maxsize=8)
def _load(name: str, keep: frozenset[str] = KEEP) -> Language:
    nlp = spacy.load(name)
    disabled = [p for p in nlp.pipe_names if p not in keep]
    nlp.select_pipes(disable=disabled)
    if "sentencizer" not in nlp.pipe_names:
        nlp.add_pipe("sentencizer", first=True)
    # the learned typer, and the trigger model and the role filler when they are on
    # (WIRE_LEARNED_TRIGGERS, WIRE_LEARNED_ROLES), read from the package with the model, not
    # on the first dispatch; nothing is fetched
    settings = get_settings()
    wanted = {"event_trigger": settings.learned_triggers, "role_filler": settings.learned_roles}
    for component in LEARNED:
        if wanted.get(component, True):
            learned.load(component)
    return nlp


def load_model(language: str, keep: frozenset[str] = KEEP) -> Language:
    """The spaCy pipeline for `language` ('fr' or 'en'), loaded once per process."""
    with _lock:
        return _load(model_name(language), keep)

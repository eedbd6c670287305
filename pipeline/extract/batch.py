"""Stage 3: extraction. One pure function over a batch, the same in the worker and offline."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from spacy.tokens import Doc

from pipeline.extract.amounts import extract_amounts
from pipeline.extract.dates import extract_dates
from pipeline.extract.entities import mentions_from_doc, resolve_entities
from pipeline.extract.events.rules import Sentence, extract_events, reference_date
from pipeline.extract.geo import geocode
from pipeline.extract.memory import Memory
from pipeline.extract.nlp import SUPPORTED, load_model
from pipeline.extract.subjects import with_topics
from schemas import Dispatch, EventStatus

# Bump when entity/event/place/topic rules change: a dispatch extracted by an older version
# is re-extracted when it is replayed (pipeline.dedup.versioning) or `wire reextract` resends it.
EXTRACTOR_VERSION = "2026.12.30"


def enrich_with_doc(dispatch: Dispatch, doc: Doc | None, memory: Memory | None = None) -> Dispatch:
    """Entities, amounts, dates, events, places and topics for one dispatch, given its doc
    (the parse of `dispatch.text` itself)."""
    text = dispatch.text
    amounts = extract_amounts(text, dispatch.language)
    dates = extract_dates(text, reference_date(dispatch).date())
    if doc is None:
        out = dispatch.model_copy(
            update={
                "amounts": amounts,
                "dates": dates,
                "extraction_skipped": skip_reason(dispatch),
            }
        )
    else:
        mentions = mentions_from_doc(doc, memory, text)
        entities = resolve_entities(text, mentions, memory)
        # the doc's text is the dispatch's: a slice is the span's text, without rebuilding it
        # from its tokens (Span.text), ~0.2 ms a dispatch
        bounds = [(s.start_char, s.end_char) for s in doc.sents]
        sentences = [Sentence(a, b, text[a:b]) for a, b in bounds]
        names = {e.id: e.name for e in entities}
        found = extract_events(dispatch, sentences, mentions, amounts, dates, names, doc)
        out = dispatch.model_copy(
            update={
                "entities": entities,
                "amounts": amounts,
                "dates": dates,
                # only asserted events are facts (published); the rest stay on the dispatch
                "events": [e for e in found if e.status is EventStatus.asserted],
                "non_facts": [e for e in found if e.status is not EventStatus.asserted],
            }
        )
    return out.model_copy(
        update={
            "places": geocode(out),
            "subjects": with_topics(out),
            "extracted_by": EXTRACTOR_VERSION,
        }
    )


def skip_reason(dispatch: Dispatch) -> str | None:
    """Why a dispatch gets no entities and events, said in the dispatch itself."""
    if not dispatch.body:
        return None
    if dispatch.language not in SUPPORTED:
        covered = ", ".join(SUPPORTED)
        return (
            f"no spaCy model for language {dispatch.language!r} here (covered: {covered})"
            if dispatch.language
            else f"language unknown (covered: {covered})"
        )
    return None


def extract_batch(
    dispatches: Sequence[Dispatch], batch_size: int = 16, memory: Memory | None = None
) -> list[Dispatch]:
    """Run NLP with nlp.pipe per language (batched), then the rule stages per dispatch.

    `memory`: what earlier dispatches taught about names (pipeline.extract.memory); none offline."""
    docs: dict[int, Doc] = {}
    by_lang: dict[str, list[int]] = {}
    for i, d in enumerate(dispatches):
        if d.language in SUPPORTED and d.body:
            by_lang.setdefault(d.language, []).append(i)
    for lang, idx in by_lang.items():
        nlp = load_model(lang)
        texts: Iterable[str] = (dispatches[i].text for i in idx)
        for i, doc in zip(idx, nlp.pipe(texts, batch_size=batch_size), strict=True):
            docs[i] = doc
    return [enrich_with_doc(d, docs.get(i), memory) for i, d in enumerate(dispatches)]

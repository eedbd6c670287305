"""Round 10: role families read from the parse, on invented sentences (spaCy models, no
server): a name the model found once is seen where it is repeated, a definite noun that
names no party retells the deal told before, and a post's complement names the company
a person is appointed to run."""

from __future__ import annotations

from pipeline.extract.batch import extract_batch
from pipeline.extract.entities import EntityMention, echo_mentions
from schemas import Dispatch, EntityType, Event
from tests.helpers import wire_copy

ORG, PER = EntityType.ORG, EntityType.PER


def _extract(language: str, *paragraphs: str) -> Dispatch:
    [out] = extract_batch([wire_copy(language, *paragraphs, place="PARIS")])
    return out


def _roles(e: Event) -> dict[str, list[str]]:
    return {k: sorted(r.name for r in v) for k, v in e.roles.items()}


def _of(d: Dispatch, type_: str) -> list[Event]:
    return [e for e in d.events if e.type == type_]


# ------------------------------------------------------------------ repeated names


def _m(text: str, form: str, type_: EntityType, nth: int = 0) -> EntityMention:
    start = -1
    for _ in range(nth + 1):
        start = text.index(form, start + 1)
    return EntityMention(start, start + len(form), form, type_)


def test_a_name_repeated_where_the_model_missed_it_becomes_a_mention() -> None:
    text = "Norvik said Monday it hired Ana Lopes. Norvik also cut 200 jobs, Lopes said."
    found = [_m(text, "Norvik", ORG), _m(text, "Ana Lopes", PER), _m(text, "Lopes", PER, 1)]
    out = echo_mentions(text, found)
    assert [(m.start, m.text, m.type) for m in out if m not in found] == [
        (text.index("Norvik also"), "Norvik", ORG)
    ]
    assert [m.start for m in out] == sorted(m.start for m in out)


def test_a_repeat_inside_a_longer_name_or_word_is_not_a_mention() -> None:
    text = "Reform won. Reform UK leads; Reformist voices and Vale Reform agree."
    out = echo_mentions(text, [_m(text, "Reform", ORG)])
    assert [m.start for m in out] == [0]


def test_a_repeat_in_french_after_punctuation_is_a_mention() -> None:
    text = "Le groupe Arvalis a recruté. «Arvalis reste prudent», a-t-il dit."
    out = echo_mentions(text, [_m(text, "Arvalis", ORG)])
    assert [m.start for m in out] == [text.index("Arvalis"), text.index("«Arvalis") + 1]

"""CaseBlind finds what re.IGNORECASE finds, at the same offsets."""

from __future__ import annotations

import re

import pytest

from pipeline.extract.caseblind import CaseBlind, lower_literals
from pipeline.extract.events.rules import RULES

TEXTS = [
    "PARIS, 20 nov 2026 (AFP) - La start-up Pasqal a LEVÉ 200 millions d'euros en Série B.",
    "Ford will SLASH 4,000 jobs in Europe, the carmaker said on Wednesday.",
    # 'İ' lowers to two characters: offsets must still be those of the original text.
    "İSTANBUL (AFP) - Le groupe turc a racheté la société pour 1,2 milliard de dollars.",
]


def test_escapes_keep_their_case_and_literals_are_lowered() -> None:
    assert lower_literals(r"\bSérie (?P<Day>[A-F])\S+\D(?P=Day)") == (
        r"\bsérie (?P<Day>[a-f])\S+\D(?P=Day)"
    )


@pytest.mark.parametrize("text", TEXTS)
def test_same_spans_as_ignorecase_for_every_event_trigger(text: str) -> None:
    for rule in RULES:
        expected = [m.span() for m in re.finditer(rule.trigger.pattern, text, re.IGNORECASE)]
        assert [m.span() for m in rule.trigger.finditer(text)] == expected, rule.type


def test_lengthening_text_falls_back_to_the_original() -> None:
    text = TEXTS[2]
    rx = CaseBlind(r"\brachet[ée]\b")
    match = rx.search(text)
    assert match is not None and text[match.start() : match.end()] == "racheté"
    assert rx.search("Rien à signaler.") is None


def test_matches_at_the_given_starts_finds_what_finditer_finds() -> None:
    rx = CaseBlind(r"\b(?:fonds|fund|chain|supermarket chain)\b")
    text = "Le FONDS a investi; the Supermarket Chain and the chain store; fundraising."
    starts = [m.start() for m in re.finditer(r"\b", text)]
    assert [m.span() for m in rx.matches_at(text, None, starts)] == [
        m.span() for m in rx.finditer(text)
    ]
    # a match is never found inside the previous one, even where a start lies there
    assert [m.group(0) for m in rx.matches_at(text, None, starts)] == [
        "fonds",
        "supermarket chain",
        "chain",
    ]


def test_matches_at_reads_nowhere_else() -> None:
    rx = CaseBlind(r"\bfonds\b")
    text = "Le fonds et le FONDS."
    assert [m.start() for m in rx.matches_at(text, None, [15])] == [15]


def test_literal_prefixes_read_from_the_parsed_pattern() -> None:
    from pipeline.extract.caseblind import literal_prefixes

    # an optional part is read once, then the prefix stops: 'a ', not 'a l'
    assert literal_prefixes(r"\b(?:lev[ée]e|tour de table|(?:a |ont )?lev[ée])\b") == {
        "lev",
        "tou",
        "a ",
        "ont",
    }
    assert literal_prefixes(r"s[ée]rie [a-f]") == {"sér", "ser"}
    # a match that may start with any letter has no prefix to look for
    assert literal_prefixes(r"\w+ment") is None
    assert literal_prefixes(r"(?:x)?\d+") is None


@pytest.mark.parametrize("text", TEXTS)
def test_start_index_gives_every_trigger_its_full_scan_matches(text: str) -> None:
    from pipeline.extract.caseblind import StartIndex

    index = StartIndex([rule.trigger for rule in RULES])
    lowered = text.lower()
    starts = index.starts(text, lowered)
    for i, rule in enumerate(RULES):
        found = [m.span() for m in index.finditer(i, text, lowered, starts)]
        assert found == [m.span() for m in rule.trigger.finditer(text, lowered)], rule.type
    assert (starts is None) == (len(lowered) != len(text))


@pytest.mark.parametrize(
    "name",
    ["_DETERMINER_BEFORE", "ORG_OF_TITLE", "_PLACE_OF", "_KIN_BEFORE", "_LOCATIVE", "PRODUCT_OF",
     "_BODY_OF_PLACE"],
)  # fmt: skip
def test_entity_context_cues_answer_as_their_ignorecase_patterns(name: str) -> None:
    from pipeline.extract import entities

    cue = getattr(entities, name)
    windows = [
        "a déclaré le DIRECTEUR GÉNÉRAL de ",
        "near the City of ",
        "La Fille de ",
        "plants IN ",
        "le Fabricant de la marque ",
        "le conseil régional de ",
        "İSTANBUL (AFP) - the ",
        "said on Tuesday that ",
    ]
    for before in windows:
        expected = re.search(cue.pattern, before, re.IGNORECASE)
        found = cue.search(before, before.lower())
        assert (found is None) == (expected is None), before
        if found is not None and expected is not None:
            assert found.span() == expected.span()

"""A word list as a trie pattern matches exactly what the plain alternation (longest first)
matches, on the knowledge lists and the gold texts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.extract import knowledge
from pipeline.extract.trie import trie_pattern

GOLD = Path(__file__).parents[3] / "eval" / "gold"
EDGE = r"(?<![\w&-])(?:{})(?![\w&-])"


def plain(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


@pytest.mark.parametrize(
    ("words", "text"),
    [
        (["Sales", "Salesforce", "Safran"], "Salesforce and Sales, then Safranine and Safran."),
        (["AB", "ABCD", "ABXYZ"], "ABCDE ABCD ABX ABXYZ AB-C AB"),
        (
            ["Groupe", "Groupe de soutien", "Groupe de soutien à l'islam"],
            "le Groupe de soutien à l'islam et le Groupe de soutien, Groupe",
        ),
        (["a.b", "a+b", "(x)"], "a.b a+b (x) axb"),
    ],
)
def test_same_matches_as_the_alternation(words: list[str], text: str) -> None:
    want = [m.span() for m in re.finditer(EDGE.format(plain(words)), text)]
    got = [m.span() for m in re.finditer(EDGE.format(trie_pattern(words)), text)]
    assert got == want and want


def test_nothing_matches_nothing() -> None:
    assert re.search(trie_pattern([]), "anything") is None
    assert re.search(trie_pattern(["", ""]), "anything") is None


def test_the_organisation_list_on_the_gold_texts() -> None:
    """The real list (thousands of names) over every gold dispatch: the trie the extraction
    uses finds the same spans as the plain longest-first alternation."""
    words = sorted(knowledge.organisation_forms())
    assert len(words) > 1000
    old = re.compile(EDGE.format(plain(words)))
    new = knowledge.organisation_pattern()
    texts = [p.read_text(encoding="utf-8") for p in sorted(GOLD.glob("*/*.txt"))]
    assert len(texts) > 300
    found = 0
    for text in texts:
        want = [m.span() for m in old.finditer(text)]
        assert [m.span() for m in new.finditer(text)] == want
        found += len(want)
    assert found > 1000

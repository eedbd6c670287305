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
    """The real list (thousands of names) over every gold dispatch: the same spans."""
    old = knowledge.organisation_pattern()
    inner = old.pattern[len("(?<![\\w&-])(?:") : -len(")(?![\\w&-])")]
    words = [re.sub(r"\\(.)", r"\1", w) for w in inner.split("|")]
    assert len(words) > 1000
    new = re.compile(EDGE.format(trie_pattern(words)))
    texts = [p.read_text(encoding="utf-8") for p in sorted(GOLD.glob("*/*.txt"))]
    assert len(texts) > 300
    for text in texts:
        assert [m.span() for m in new.finditer(text)] == [m.span() for m in old.finditer(text)]

"""Language identification for French and English wire copy (stop-word profile)."""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-zàâçéèêëîïôûùüÿœæ']+", re.IGNORECASE)
_STOPWORDS: dict[str, frozenset[str]] = {
    "fr": frozenset(
        [
            "le",
            "la",
            "les",
            "un",
            "une",
            "des",
            "du",
            "de",
            "et",
            "est",
            "dans",
            "pour",
            "sur",
            "avec",
            "par",
            "qui",
            "que",
            "ne",
            "pas",
            "plus",
            "au",
            "aux",
            "ce",
            "cette",
            "ses",
            "son",
            "sa",
            "leur",
            "il",
            "elle",
            "ont",
            "été",
            "a",
            "selon",
            "après",
            "mais",
            "ou",
            "sont",
            "être",
            "lors",
        ]
    ),
    "en": frozenset(
        [
            "the",
            "a",
            "an",
            "of",
            "and",
            "is",
            "in",
            "for",
            "on",
            "with",
            "by",
            "who",
            "that",
            "not",
            "more",
            "to",
            "its",
            "his",
            "her",
            "their",
            "it",
            "he",
            "she",
            "have",
            "has",
            "been",
            "was",
            "were",
            "said",
            "after",
            "but",
            "or",
            "are",
            "be",
            "from",
            "at",
            "as",
            "which",
        ]
    ),
}


def detect_language(text: str, *, min_hits: int = 3) -> str | None:
    """'fr', 'en', or None when the text is too short or matches neither profile."""
    words = [w.lower().strip("'") for w in _WORD.findall(text[:5000])]
    scores = {lang: sum(1 for w in words if w in sw) for lang, sw in _STOPWORDS.items()}
    lang, best = max(scores.items(), key=lambda kv: kv[1])
    if best < min_hits:
        return None
    others = [s for k, s in scores.items() if k != lang]
    if others and best < 1.5 * max(others):
        return None
    return lang

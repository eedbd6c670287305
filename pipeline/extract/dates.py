"""Date expressions in French and English, resolved against the dispatch date.

'jeudi' / 'on Thursday'   -> the latest such day on or before the dispatch date
'le 1er avril'            -> the 1 April nearest to the dispatch date
'mi-février', 'early Feb' -> an approximate day in the nearest such month
'en novembre dernier'     -> the previous November;  'en 2020' -> a year
'next week', 'hier'       -> relative to the dispatch date
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta

from pipeline.extract.caseblind import CaseBlind, matches_at
from pipeline.extract.trie import trie_pattern
from schemas import DateMention
from schemas.calendar import MONTHS, WEEKDAYS, month_number

_MONTH = "|".join(sorted((re.escape(m) for m in MONTHS), key=len, reverse=True))
_WEEKDAY = "|".join(WEEKDAYS)
_APPROX_FR = {"début": 5, "debut": 5, "mi": 15, "fin": 25}
_APPROX_EN = {"early": 5, "mid": 15, "late": 25, "end of": 25}

Granularity = str
Resolver = Callable[[re.Match[str], date], tuple[date | None, Granularity]]


def _nearest_year(month: int, day: int, ref: date, *, past: bool | None = None) -> date | None:
    candidates = []
    for year in (ref.year - 1, ref.year, ref.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:
            continue
    if past is True:
        candidates = [c for c in candidates if c <= ref] or candidates
    elif past is False:
        candidates = [c for c in candidates if c >= ref] or candidates
    return min(candidates, key=lambda c: abs((c - ref).days)) if candidates else None


def _day_month(m: re.Match[str], ref: date) -> tuple[date | None, Granularity]:
    month = month_number(m.group("month"))
    if month is None:
        return None, "day"
    day = int(m.group("day"))
    if m.group("year"):
        try:
            return date(int(m.group("year")), month, day), "day"
        except ValueError:
            return None, "day"
    return _nearest_year(month, day, ref), "day"


def _approx_month(m: re.Match[str], ref: date) -> tuple[date | None, Granularity]:
    month = month_number(m.group("month"))
    if month is None:
        return None, "approx"
    word = m.group("approx").lower()
    day = _APPROX_FR.get(word) or _APPROX_EN.get(word, 15)
    if m.group("year"):
        return date(int(m.group("year")), month, day), "approx"
    return _nearest_year(month, day, ref), "approx"


def _month(m: re.Match[str], ref: date) -> tuple[date | None, Granularity]:
    month = month_number(m.group("month"))
    if month is None:
        return None, "month"
    rel = (m.group("rel") or "").lower()
    past = True if rel in ("dernier", "last") else False if rel in ("prochain", "next") else None
    if m.group("year"):
        return date(int(m.group("year")), month, 1), "month"
    resolved = _nearest_year(month, 1, ref.replace(day=1), past=past)
    return resolved, "month"


def _weekday(m: re.Match[str], ref: date) -> tuple[date | None, Granularity]:
    target = WEEKDAYS[m.group("weekday").lower()]
    rel = (m.group("rel") or "").lower()
    if rel in ("prochain", "next"):
        delta = (target - ref.weekday()) % 7 or 7
        return ref + timedelta(days=delta), "day"
    # Wire copy reports what happened: a bare weekday is the latest one up to today.
    return ref - timedelta(days=(ref.weekday() - target) % 7), "day"


def _year(m: re.Match[str], ref: date) -> tuple[date | None, Granularity]:
    return date(int(m.group("year")), 1, 1), "year"


_RELATIVE_DAYS = {
    "aujourd'hui": 0,
    "today": 0,
    "hier": -1,
    "yesterday": -1,
    "demain": 1,
    "tomorrow": 1,
    "avant-hier": -2,
    "après-demain": 2,
}


def _relative(m: re.Match[str], ref: date) -> tuple[date | None, Granularity]:
    word = m.group(0).lower().replace("’", "'")
    if word in _RELATIVE_DAYS:
        return ref + timedelta(days=_RELATIVE_DAYS[word]), "day"
    sign = 1 if re.search(r"next|prochaine", word) else -1
    if "week" in word or "semaine" in word:
        return ref + timedelta(days=7 * sign), "approx"
    if "month" in word or "mois" in word:
        return ref + timedelta(days=30 * sign), "approx"
    return ref + timedelta(days=365 * sign), "approx"


# Each pattern with the words (lower-cased) its matches start with: one scan of the text
# finds where any of them starts, and each pattern is tried only at its own starts
# (`_starts`), not run over the whole text (seven scans cost ~0.4 ms a dispatch).
_DIGITS = tuple("0123456789")
_MONTH_WORDS = tuple(m.lower() for m in MONTHS)
_PATTERNS: list[tuple[CaseBlind | re.Pattern[str], Resolver, tuple[str, ...]]] = [
    (
        CaseBlind(
            rf"\b(?:(?P<approx>début|debut|mi|fin)[- ](?:de\s+|d')?|"
            rf"(?P<approx_en>early|mid|late|end of)[- ])"
            rf"(?P<month>{_MONTH})\.?(?:\s+(?P<year>\d{{4}}))?\b"
        ),
        lambda m, ref: _approx_month(_fold_approx(m), ref),
        ("début", "debut", "mi", "fin", "early", "mid", "late", "end"),
    ),
    (
        CaseBlind(
            rf"\b(?P<day>\d{{1,2}})(?:er|st|nd|rd|th)?\s+(?P<month>{_MONTH})\.?"
            rf"(?:\s+(?P<year>\d{{4}}))?\b"
        ),
        _day_month,
        _DIGITS,
    ),
    (
        CaseBlind(
            rf"\b(?P<month>{_MONTH})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b"
            rf"(?:,?\s+(?P<year>\d{{4}}))?"
        ),
        _day_month,
        _MONTH_WORDS,
    ),
    (
        CaseBlind(
            r"\b(?:en|in|last|next)\s+(?P<month>janvier|février|fevrier|mars|avril|mai|juin|"
            r"juillet|août|aout|septembre|octobre|novembre|décembre|decembre|January|February|"
            r"March|April|May|June|July|August|September|October|November|December)"
            r"(?:\s+(?P<year>\d{4}))?(?:\s+(?P<rel>dernier|prochain))?\b"
        ),
        lambda m, ref: _month(_fold_rel(m), ref),
        ("en", "in", "last", "next"),
    ),
    (
        CaseBlind(
            rf"\b(?:(?P<rel_en>last|next|on)\s+)?(?P<weekday>{_WEEKDAY})\b"
            rf"(?:\s+(?P<rel>prochain|dernier))?"
        ),
        lambda m, ref: _weekday(_fold_rel(m), ref),
        ("last", "next", "on", *WEEKDAYS),
    ),
    (
        CaseBlind(
            r"\b(?:aujourd['’]hui|avant-hier|après-demain|hier|(?<!de )demain|today|yesterday|tomorrow"
            r"|(?:next|last)\s+(?:week|month|year)|(?:la\s+)?semaine\s+(?:prochaine|dernière)"
            r"|(?:le\s+)?mois\s+(?:prochain|dernier)|(?:l['’])?année\s+(?:prochaine|dernière))\b"
        ),
        _relative,
        (
            "aujourd",
            "avant",
            "après",
            "hier",
            "demain",
            "today",
            "yesterday",
            "tomorrow",
            "next",
            "last",
            "la",
            "semaine",
            "le",
            "mois",
            "l",
            "année",
        ),
    ),
    (
        re.compile(r"\b(?:en|in|since|depuis|of)\s+(?P<year>(?:19|20)\d{2})\b"),
        _year,
        ("en", "in", "since", "depuis", "of"),
    ),
]


_FIRST_WORDS = sorted({w for _, _, words in _PATTERNS for w in words})
_START = CaseBlind(r"\b(?=(?P<word>" + trie_pattern(_FIRST_WORDS) + "))")
# a word found at a start -> the patterns that may match there: those of every listed word
# it begins with ('lundi' is a weekday, and begins with 'l', as in "l'année dernière")
_PATTERNS_AT = {
    found: frozenset(
        i for i, (_, _, words) in enumerate(_PATTERNS) for w in words if found.startswith(w)
    )
    for found in _FIRST_WORDS
}


def _starts(text: str, lowered: str) -> list[list[int]]:
    """Per pattern, the positions where one of its first words starts."""
    out: list[list[int]] = [[] for _ in _PATTERNS]
    for m in _START.finditer(text, lowered):
        for i in _PATTERNS_AT[m.group("word").lower()]:
            out[i].append(m.start())
    return out


def _matches(
    rx: CaseBlind | re.Pattern[str], text: str, lowered: str, starts: list[int]
) -> Iterator[re.Match[str]]:
    """What rx.finditer(text) finds, tried only at `starts`."""
    if isinstance(rx, CaseBlind):
        return rx.matches_at(text, lowered, starts)
    return matches_at(rx, text, starts)


class _Folded:
    """A match view where English 'last/next' and French suffixes share one group."""

    def __init__(self, m: re.Match[str], extra: dict[str, str | None]) -> None:
        self._m, self._extra = m, extra

    def group(self, name: str) -> str | None:
        if name in self._extra:
            return self._extra[name]
        return self._m.group(name)


def _fold_rel(m: re.Match[str]) -> re.Match[str]:
    groups = m.groupdict()
    rel = groups.get("rel") or groups.get("rel_en")
    if rel is None and m.group(0).lower().startswith(("last ", "next ")):
        rel = m.group(0).split()[0]
    return _Folded(m, {"rel": rel})  # type: ignore[return-value]


def _fold_approx(m: re.Match[str]) -> re.Match[str]:
    return _Folded(m, {"approx": m.group("approx") or m.group("approx_en")})  # type: ignore[return-value]


def extract_dates(text: str, reference: date) -> list[DateMention]:
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    lowered = text.lower()  # read by every case-blind pattern
    for (rx, resolve, _), starts in zip(_PATTERNS, _starts(text, lowered), strict=True):
        for m in _matches(rx, text, lowered, starts):
            start, end = m.span()
            if any(s < end and start < e for s, e in taken):
                continue
            value, granularity = resolve(m, reference)
            if value is None:
                continue
            taken.append((start, end))
            found.append(
                DateMention(
                    text=text[start:end],  # a case-blind match reads lower-cased text
                    value=value,
                    granularity=granularity,
                    start=start,
                    end=end,
                )
            )
    return sorted(found, key=lambda d: d.start)

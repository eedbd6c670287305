from __future__ import annotations

from datetime import date

import pytest

from pipeline.extract.dates import extract_dates

REF = date(2019, 2, 21)  # a Thursday


@pytest.mark.parametrize(
    ("text", "value", "granularity"),
    [
        ("a-t-on appris jeudi de source proche", date(2019, 2, 21), "day"),
        ("annoncé mardi", date(2019, 2, 19), "day"),
        ("sera effectif le 1er avril", date(2019, 4, 1), "day"),
        ("Mi-février, Amazon", date(2019, 2, 15), "approx"),
        ("participé début février à un tour", date(2019, 2, 5), "approx"),
        ("dévoilé en novembre dernier au salon", date(2018, 11, 1), "month"),
        ("fondée en 2009 par", date(2009, 1, 1), "year"),
        ("said on Thursday", date(2019, 2, 21), "day"),
        ("will sign next week", date(2019, 2, 28), "approx"),
        ("talks in early February", date(2019, 2, 5), "approx"),
        ("closing on March 3, 2019", date(2019, 3, 3), "day"),
        ("on 24 December 2018", date(2018, 12, 24), "day"),
        ("hier soir", date(2019, 2, 20), "day"),
        ("vendredi prochain", date(2019, 2, 22), "day"),
    ],
)
def test_resolution(text: str, value: date, granularity: str) -> None:
    [d] = extract_dates(text, REF)
    assert (d.value, d.granularity) == (value, granularity)
    assert text[d.start : d.end] == d.text


def test_figures_of_speech_are_not_dates() -> None:
    assert extract_dates("les modes de transport de demain", REF) == []
    assert extract_dates("a passé 25 ans chez GM", REF) == []


def test_each_pattern_tried_at_its_starts_finds_what_a_full_scan_finds() -> None:
    from pipeline.extract import dates as D
    from pipeline.extract.caseblind import CaseBlind

    text = (
        "Lundi, l'entreprise a dit qu'en mars dernier, le 1er avril 2025 et mi-février, "
        "LAST WEEK, on Thursday, next month, demain, avant-hier, l'année prochaine; "
        "since 2019, early Dec., March 3, 2026, la semaine dernière, de demain, en 2020."
    )
    lowered = text.lower()
    starts = D._starts(text, lowered)
    for (rx, _, _), at in zip(D._PATTERNS, starts, strict=True):
        full = rx.finditer(text, lowered) if isinstance(rx, CaseBlind) else rx.finditer(text)
        assert [m.span() for m in D._matches(rx, text, lowered, at)] == [m.span() for m in full]
    assert len(extract_dates(text, date(2026, 11, 30))) >= 14

from __future__ import annotations

import pytest

from pipeline.extract.amounts import extract_amounts, parse_number


@pytest.mark.parametrize(
    ("text", "lang", "value", "currency"),
    [
        ("ayant investi 700 millions de dollars dans Rivian", "fr", 700e6, "USD"),
        ("un tour de table de 530 millions de dollars", "fr", 530e6, "USD"),
        ("The start-up raised $1.2bn last year", "en", 1.2e9, "USD"),
        ("une enveloppe de 530 M€ environ", "fr", 530e6, "EUR"),
        ("un plan de 2,5 milliards d'euros", "fr", 2.5e9, "EUR"),
        ("a 1.2 billion euros deal", "en", 1.2e9, "EUR"),
        ("1,5 milliard de francs suisses", "fr", 1.5e9, "CHF"),
        ("£300 million of debt", "en", 300e6, "GBP"),
        ("USD 5m in seed money", "en", 5e6, "USD"),
        ("15 millions de dollars canadiens", "fr", 15e6, "CAD"),
        ("a C$40 million contract", "en", 40e6, "CAD"),
        ("1 200 euros par mois", "fr", 1200, "EUR"),
        ("about $4.7 billion", "en", 4.7e9, "USD"),
    ],
)
def test_amounts(text: str, lang: str, value: float | None, currency: str | None) -> None:
    found = extract_amounts(text, lang)
    if value is None:
        assert found == []
        return
    assert len(found) == 1
    assert found[0].value == pytest.approx(value)
    assert found[0].currency == currency
    assert text[found[0].start : found[0].end] == found[0].text


def test_plain_numbers_are_not_money() -> None:
    assert (
        extract_amounts("Mme Boler Davis, qui a passé 25 ans chez GM, rejoint Amazon.", "fr") == []
    )
    assert extract_amounts("Shares rose 2.4 percent in 2026", "en") == []


@pytest.mark.parametrize(
    ("raw", "lang", "value"),
    [
        ("2,5", "fr", 2.5),
        ("1,200", "en", 1200),
        ("1 200", "fr", 1200),
        ("1.200.000", "fr", 1_200_000),
        ("1,234.5", "en", 1234.5),
        ("1.234,5", "fr", 1234.5),
    ],
)
def test_number_conventions(raw: str, lang: str, value: float) -> None:
    assert parse_number(raw, lang) == value


def test_seed_amounts() -> None:
    from tests.helpers import SEED

    found = extract_amounts(SEED.read_text(encoding="utf-8"), "fr")
    assert [(a.value, a.currency) for a in found] == [(700e6, "USD"), (530e6, "USD")]

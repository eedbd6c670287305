"""Amounts as newsrooms write them, and event types in words (pipeline.render)."""

from __future__ import annotations

import pytest

from pipeline.extract.amounts import extract_amounts
from pipeline.extract.events.types import TYPES
from pipeline.render.amounts import NNBSP, amount_text, format_amount
from pipeline.render.labels import event_label, event_labels, with_display


@pytest.mark.parametrize(
    ("value", "currency", "language", "expected"),
    [
        (700_000_000, "USD", "fr", "700 millions de dollars"),
        (700_000_000, "USD", "en", "$700 million"),
        (600_000_000, "EUR", "fr", "600 millions d'euros"),
        (600_000_000, "EUR", "en", "€600 million"),
        (2_500_000_000, "EUR", "fr", "2,5 milliards d'euros"),
        (2_500_000_000, "EUR", "en", "€2.5 billion"),
        (1_000_000_000, "USD", "fr", "1 milliard de dollars"),
        (1_200_000, "USD", "fr", "1,2 million de dollars"),
        (1_234_567_890, "GBP", "en", "£1.23 billion"),
        (1_500_000_000_000, "USD", "en", "$1.5 trillion"),
        (3_000_000, "CHF", "fr", "3 millions de francs suisses"),
        (3_000_000, "CHF", "en", "3 million Swiss francs"),
        (40_000_000, "CAD", "en", "C$40 million"),
        (8_000_000_000, "CNY", "en", "8 billion yuan"),
        (5_000_000, "XOF", "fr", "5 millions de XOF"),
        (5_000_000, "XOF", "en", "XOF 5 million"),
        (500_000, "EUR", "fr", f"500{NNBSP}000 euros"),
        (500_000, "EUR", "en", "€500,000"),
        (12_500.5, "USD", "en", "$12,500.5"),
        (1, "EUR", "fr", "1 euro"),
        (700_000_000, None, "en", "700 million"),
        (700_000_000, None, "fr", "700 millions"),
        (700_000_000, "USD", "de", "$700 million"),  # other languages: English
        (700_000_000, "USD", None, "$700 million"),
    ],
)
def test_amounts_read_as_people_write_them(
    value: float, currency: str | None, language: str | None, expected: str
) -> None:
    assert format_amount(value, currency, language) == expected


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("700 millions de dollars", "fr"),
        ("2,5 milliards d'euros", "fr"),
        ("$700 million", "en"),
        ("€2.5 billion", "en"),
        ("£1.2 billion", "en"),
    ],
)
def test_what_is_written_reads_back_the_same(text: str, language: str) -> None:
    """The extractor's own parse of a phrase, formatted again, is the phrase."""
    [amount] = extract_amounts(text, language)
    assert format_amount(amount.value, amount.currency, language) == text


def test_amount_text_of_an_event_amount() -> None:
    assert amount_text({"value": 7e8, "currency": "USD", "text": "x"}, "fr") == (
        "700 millions de dollars"
    )
    assert amount_text(None, "fr") == ""
    assert amount_text({}, "fr") == ""


def test_every_event_type_has_both_labels() -> None:
    labels = event_labels()
    assert set(labels) == set(TYPES)
    for code, both in labels.items():
        assert both["en"] and both["fr"] and code not in (both["en"], both["fr"])
    assert event_label("funding_round", "fr") == "Levée de fonds"
    assert event_label("funding_round", "en") == "Funding round"
    assert event_label("personnel.departure", "fr-FR") == "Départ"
    assert event_label("no.such.type", "fr") == "no.such.type"


def test_with_display_keeps_codes_and_numbers() -> None:
    event = {
        "id": "e1",
        "type": "funding_round",
        "language": "fr",
        "amount": {"value": 5e8, "currency": "EUR", "text": "500 millions d'euros"},
    }
    shown = with_display(event)
    assert shown["type"] == "funding_round" and shown["amount"]["value"] == 5e8
    assert shown["amount"]["display"] == "500 millions d'euros"
    assert shown["type_label"] == {"en": "Funding round", "fr": "Levée de fonds"}
    assert "display" not in event["amount"]  # the input is not changed
    assert with_display({"type": "x"}) == {"type": "x"}


def test_ui_language_follows_the_terminal() -> None:
    from pipeline.render.labels import ui_language

    assert ui_language({"LANG": "fr_FR.UTF-8"}) == "fr"
    assert ui_language({"LANG": "C.UTF-8"}) == "en"
    assert ui_language({"WIRE_UI_LANG": "fr", "LANG": "en_US.UTF-8"}) == "fr"
    assert ui_language({"LC_ALL": "en_GB.UTF-8", "LANG": "fr_FR.UTF-8"}) == "en"
    assert ui_language({}) == "en"


@pytest.mark.parametrize(
    ("named", "code"),
    [
        ("funding_round", "funding_round"),
        ("Funding round", "funding_round"),
        ("levée de fonds", "funding_round"),
        ("LEVEE DE FONDS", "funding_round"),
        ("personnel.hire", "personnel.hire"),
        ("legal fine", None),
        ("foo", None),
        ("", None),
    ],
)
def test_event_types_are_named_by_code_or_label(named: str, code: str | None) -> None:
    from pipeline.render.labels import event_type_code

    assert event_type_code(named) == code
    for t, labels in event_labels().items():  # every label the terminal shows reads back
        assert event_type_code(labels["en"]) == t and event_type_code(labels["fr"]) == t

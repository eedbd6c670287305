"""Amounts as people write them, in the dispatch's language.

    format_amount(700_000_000, "USD", "fr") == "700 millions de dollars"
    format_amount(700_000_000, "USD", "en") == "$700 million"
    format_amount(2_500_000_000, "EUR", "fr") == "2,5 milliards d'euros"
    format_amount(500_000, "EUR", "en") == "€500,000"

JSON keeps the numbers (`value`, `currency`); this is the one place that turns them into
words. French for a French dispatch, English for every other language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NNBSP = "\u202f"  # French thousands separator (narrow no-break space), as Intl writes it

# code -> (plural words, singular words) in French
_FR_WORDS: dict[str, tuple[str, str]] = {
    "USD": ("dollars", "dollar"),
    "EUR": ("euros", "euro"),
    "GBP": ("livres sterling", "livre sterling"),
    "CHF": ("francs suisses", "franc suisse"),
    "JPY": ("yens", "yen"),
    "CNY": ("yuans", "yuan"),
    "CAD": ("dollars canadiens", "dollar canadien"),
    "AUD": ("dollars australiens", "dollar australien"),
    "HKD": ("dollars de Hong Kong", "dollar de Hong Kong"),
    "INR": ("roupies", "roupie"),
}
# code -> symbol written before the number in English
_EN_SYMBOL = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "CAD": "C$",
    "AUD": "A$",
    "HKD": "HK$",
    "INR": "₹",
}
# code -> word written after the number in English (no symbol in use)
_EN_WORD = {"CNY": "yuan", "CHF": "Swiss francs"}

# (threshold, French singular, French plural, English)
_SCALES = (
    (1e12, "billion", "billions", "trillion"),
    (1e9, "milliard", "milliards", "billion"),
    (1e6, "million", "millions", "million"),
)


def _decimals(x: float, language: str) -> str:
    """At most two decimals, none when whole: 2.5 -> '2,5' (fr) / '2.5' (en)."""
    text = f"{round(x, 2):.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if language == "fr" else text


def _grouped(x: float, language: str) -> str:
    """A number below a million, digits grouped: '500 000' (fr) / '500,000' (en)."""
    whole = abs(x - round(x)) < 0.005
    text = f"{round(x):,}" if whole else f"{x:,.2f}".rstrip("0").rstrip(".")
    if language == "fr":
        return text.replace(",", NNBSP).replace(".", ",")
    return text


def _language(language: str | None) -> str:
    return "fr" if (language or "").lower().startswith("fr") else "en"


def format_amount(value: float, currency: str | None, language: str | None) -> str:
    """`value` in units of `currency` (ISO 4217) as written in `language`'s press."""
    lang = _language(language)
    code = (currency or "").upper() or None
    magnitude = abs(value)
    for threshold, fr_one, fr_many, en_word in _SCALES:
        if magnitude >= threshold:
            scaled = value / threshold
            number = _decimals(scaled, lang)
            if lang == "fr":
                scale = fr_one if abs(scaled) < 2 else fr_many
                return f"{number} {scale}" + (_fr_of(code) if code else "")
            return _en(f"{number} {en_word}", code)
    number = _grouped(value, lang)
    if lang == "fr":
        if not code:
            return number
        plural, singular = _FR_WORDS.get(code, (code, code))
        return f"{number} {singular if magnitude < 2 else plural}"
    return _en(number, code)


def _fr_of(code: str) -> str:
    """' de dollars', " d'euros": the currency after a scale word, elided before a vowel."""
    words = _FR_WORDS.get(code, (code, code))[0]
    if words == code:  # an unknown code stays a code: '3 millions de XOF'
        return f" de {code}"
    return f" d'{words}" if words[0] in "aeiouyéè" else f" de {words}"


def _en(number: str, code: str | None) -> str:
    if code is None:
        return number
    if code in _EN_SYMBOL:
        return f"{_EN_SYMBOL[code]}{number}"
    if code in _EN_WORD:
        return f"{number} {_EN_WORD[code]}"
    return f"{code} {number}"


def amount_text(amount: Mapping[str, Any] | None, language: str | None) -> str:
    """An event's `amount` object (value, currency) as words; '' when there is none."""
    if not amount or amount.get("value") is None:
        return ""
    return format_amount(float(amount["value"]), amount.get("currency"), language)

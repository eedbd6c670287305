"""Event types in words: the labels of pipeline.extract.events.types, in French or English.

The API keeps codes (`funding_round`); people read 'Levée de fonds' / 'Funding round'."""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Mapping
from typing import Any

from pipeline.extract.events.types import TYPES


def event_label(code: str, language: str | None = "en") -> str:
    """The type's label in `language` (French for 'fr', English otherwise); an unknown code
    is shown as it is."""
    t = TYPES.get(code)
    if t is None:
        return code
    return t.label_fr if (language or "").lower().startswith("fr") else t.label_en


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("-", " ")


def event_type_code(text: str) -> str | None:
    """The type a person names: its code (`funding_round`) or either label as the terminal
    and the page show it ('Funding round', 'Levée de fonds', 'levee de fonds'); None if
    no type has that name."""
    if text in TYPES:
        return text
    wanted = _folded(text.replace("_", " "))
    for code, t in TYPES.items():
        if wanted in {_folded(code.replace("_", " ")), _folded(t.label_en), _folded(t.label_fr)}:
            return code
    return None


def event_labels() -> dict[str, dict[str, str]]:
    """Every type's labels, for clients that pick the language themselves (the page)."""
    return {code: {"en": t.label_en, "fr": t.label_fr} for code, t in TYPES.items()}


def with_display(event: dict[str, Any]) -> dict[str, Any]:
    """An event (or retraction) as JSON, plus what people read beside the codes and numbers:
    `type_label` {en, fr} and, when it has an amount, `amount.display` in its language."""
    from pipeline.render.amounts import amount_text

    out = dict(event)
    code = str(out.get("type") or "")
    if code in TYPES:
        out["type_label"] = {"en": event_label(code, "en"), "fr": event_label(code, "fr")}
    amount = out.get("amount")
    if isinstance(amount, dict) and amount.get("value") is not None:
        out["amount"] = {**amount, "display": amount_text(amount, out.get("language"))}
    return out


def ui_language(environ: Mapping[str, str] | None = None) -> str:
    """The terminal's language for labels: WIRE_UI_LANG, else the locale (LC_ALL,
    LC_MESSAGES, LANG) when it is French; English otherwise."""
    env = os.environ if environ is None else environ
    for var in ("WIRE_UI_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "")
        if value:
            return "fr" if value.lower().startswith("fr") else "en"
    return "en"

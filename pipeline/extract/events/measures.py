"""Numbers an event carries besides its amount: how many jobs a layoff cuts (and what
share of the workforce), which figures an earnings report gives."""

from __future__ import annotations

import re
from collections.abc import Sequence

from schemas import Amount, Figure

_NUMBER = r"\d{1,3}(?:[ .,\u00a0\u202f]\d{3})+|\d+(?:[.,]\d+)?"
_JOBS = (
    r"(?:jobs?|positions?|postes?|emplois?|workers?|employees?|staff|salariés?|employés?"
    r"|people|personnes|posts?|roles?|collaborateurs?|agents?)"
)
HEAD_COUNT = re.compile(
    rf"(?P<n>{_NUMBER})(?:\s+(?P<scale>millions?|milliers?|thousands?|mille))?\s+(?:[\w'’-]+\s+)?"
    rf"{_JOBS}\b",
    re.IGNORECASE,
)
PERCENT = re.compile(
    rf"(?P<n>{_NUMBER})\s*(?:%|percent|per cent|pour cent)\s+(?:of\s+|de\s+|d['’]\s*)"
    r"(?:(?:its|their|the|ses|son|sa|leurs?|l['’]|la|les)\s*)?(?:[\w'’-]+\s+){0,2}?"
    r"(?:workforce|staff|employees|headcount|effectifs?|salariés|personnel|jobs|postes|emplois"
    r"|main-d['’]œuvre)",
    re.IGNORECASE,
)


def _number(text: str) -> float | None:
    t = re.sub(r"[\s\u00a0\u202f]", "", text)
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", t):
        return float(re.sub(r"[.,]", "", t))
    try:
        return float(t.replace(",", "."))
    except ValueError:
        return None


def head_count(sentence: str, trigger_at: int) -> int | None:
    """'cut 900 jobs', 'supprimer 350 postes', 'or about 1,300 employees': the number of
    jobs nearest after the trigger (else before it)."""
    found: list[tuple[int, int]] = []
    for m in HEAD_COUNT.finditer(sentence):
        if PERCENT.match(sentence, m.start()):
            continue
        value = _number(m.group("n"))
        if value is None or value < 2:
            continue
        scale = (m.group("scale") or "").lower()
        if scale.startswith(("millier", "thousand", "mille")):
            value *= 1000
        elif scale.startswith("million"):
            value *= 1_000_000
        found.append((m.start(), int(value)))
    if not found:
        return None
    after = [f for f in found if f[0] >= trigger_at]
    pick = min(after, key=lambda f: f[0]) if after else max(found, key=lambda f: f[0])
    return pick[1]


def percent(sentence: str) -> float | None:
    """'12 percent of its workforce', 'environ 3% de ses effectifs'."""
    m = PERCENT.search(sentence)
    if m is None:
        return None
    value = _number(m.group("n"))
    return value if value is not None and 0 < value <= 100 else None


_FIGURE_KINDS = (
    ("net_loss", r"net loss|perte nette|pertes? nettes?|loss attributable"),
    ("net_profit", r"net profit|net income|bénéfice net|résultat net|profit attributable"),
    ("operating_profit", r"operating (?:profit|income)|résultat opérationnel|résultat d['’]"
     r"exploitation|ebit\b|ebitda|marge opérationnelle"),
    ("operating_loss", r"operating loss|perte opérationnelle|perte d['’]exploitation"),
    ("revenue", r"revenue|revenues|sales|chiffre d['’]affaires|ventes"),
    ("profit", r"profit|bénéfice|earnings"),
    ("loss", r"\bloss|perte"),
)  # fmt: skip
_KIND = re.compile("|".join(f"(?P<{k}>{rx})" for k, rx in _FIGURE_KINDS), re.IGNORECASE)


def figures(sentence: str, sentence_start: int, amounts: Sequence[Amount]) -> list[Figure]:
    """Each amount of the sentence labelled by the nearest measure named before it."""
    out: list[Figure] = []
    for a in amounts:
        head = sentence[: max(0, a.start - sentence_start)]
        kinds = list(_KIND.finditer(head[-90:]))
        if not kinds:
            continue
        kind = next(k for k, v in kinds[-1].groupdict().items() if v)
        out.append(Figure(kind=kind, amount=a))
    return out

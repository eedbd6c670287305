"""Money amounts in French and English, normalised to a value and an ISO 4217 code.

'700 millions de dollars' -> 700_000_000 USD     '$1.2bn'  -> 1_200_000_000 USD
'530 M€'                  -> 530_000_000 EUR     '2,5 milliards d'euros' -> 2.5e9 EUR
"""

from __future__ import annotations

import re

from schemas import Amount

_NUM = r"\d{1,3}(?:[ \u00a0\u202f.,]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
_SCALE = (
    r"milliards?|mds?|mrds?|md|millions?|mlns?|mio|billions?|trillions?|bn|mn|m|k|mille|thousand"
)
_CUR_SYMBOL = r"US\$|C\$|A\$|\$|€|£|¥"
_CUR_CODE = r"USD|EUR|GBP|CHF|JPY|CNY|CAD|AUD|HKD|INR|BRL|KRW|SEK|NOK|DKK"
_CUR_WORDS = (
    r"dollars?\s+(?:américains|canadiens|australiens|de\s+Hong\s+Kong)"
    r"|(?:Canadian|Australian|Hong\s+Kong|US|U\.S\.)\s+dollars?"
    r"|dollars?|euros?|francs?\s+suisses|Swiss\s+francs?|livres?(?:\s+sterling)?"
    r"|pounds?(?:\s+sterling)?|yens?|yuans?|roupies|rupees|reais|réaux|reals?|wons?"
    r"|couronnes?\s+(?:suédoises|norvégiennes|danoises)|(?:Swedish|Norwegian|Danish)\s+crowns?"
)

PREFIXED = re.compile(
    rf"(?<![\w$€£¥])(?P<cur>{_CUR_SYMBOL}|{_CUR_CODE})\s?(?P<num>{_NUM})"
    rf"(?:\s?(?P<scale>{_SCALE})\b\.?)?",
    re.IGNORECASE,
)
SUFFIXED = re.compile(
    rf"(?<![\w.,])(?P<num>{_NUM})\s?(?:(?P<scale>{_SCALE})\.?\s?)?"
    rf"(?:(?:de\s+|d['’]\s?|of\s+)?(?P<cur>{_CUR_WORDS})\b|(?P<sym>€|\$|£|(?:{_CUR_CODE})\b))",
    re.IGNORECASE,
)

_SCALES: dict[str, float] = {
    "k": 1e3,
    "mille": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "mio": 1e6,
    "mln": 1e6,
    "mlns": 1e6,
    "million": 1e6,
    "millions": 1e6,
    "md": 1e9,
    "mds": 1e9,
    "mrd": 1e9,
    "mrds": 1e9,
    "milliard": 1e9,
    "milliards": 1e9,
    "bn": 1e9,
    "trillion": 1e12,
    "trillions": 1e12,
}

_CURRENCIES: list[tuple[str, str]] = [
    (r"canad|^c\$|cad", "CAD"),
    (r"austral|^a\$|aud", "AUD"),
    (r"hong", "HKD"),
    (r"dollar|\$|usd", "USD"),
    (r"euro|€|eur", "EUR"),
    (r"franc|chf", "CHF"),
    (r"livre|pound|£|gbp", "GBP"),
    (r"yen|¥|jpy", "JPY"),
    (r"yuan|cny", "CNY"),
    (r"roupie|rupee|inr", "INR"),
    (r"reais|réaux|real|brl", "BRL"),
    (r"\bwons?\b|krw", "KRW"),
    (r"suéd|swedish|sek", "SEK"),
    (r"norv|norwegian|nok", "NOK"),
    (r"danoise|danish|dkk", "DKK"),
]


def currency_code(text: str) -> str | None:
    low = text.lower()
    for pattern, code in _CURRENCIES:
        if re.search(pattern, low):
            return code
    return None


def parse_number(raw: str, language: str | None) -> float:
    """'2,5' (fr) = 2.5, '1,200' (en) = 1200, '1 200' = 1200, '1.2' (en) = 1.2."""
    s = re.sub(r"[ \u00a0\u202f]", "", raw)
    decimal = "," if language == "fr" else "."
    thousands = "." if decimal == "," else ","
    if "," in s and "." in s:
        decimal = "," if s.rfind(",") > s.rfind(".") else "."
        thousands = "." if decimal == "," else ","
    elif s.count(decimal) > 1:  # '1.200.000' in French style: all thousands
        s, decimal = s.replace(decimal, ""), "#"
    s = s.replace(thousands, "")
    return float(s.replace(decimal, ".")) if decimal in s else float(s)


def _scale(word: str | None, language: str | None) -> float:
    if not word:
        return 1.0
    w = word.lower().rstrip(".")
    if w in ("billion", "billions"):
        return 1e12 if language == "fr" else 1e9
    return _SCALES.get(w, 1.0)


def extract_amounts(text: str, language: str | None) -> list[Amount]:
    found: list[Amount] = []
    taken: list[tuple[int, int]] = []
    for rx in (PREFIXED, SUFFIXED):
        for m in rx.finditer(text):
            start, end = m.span()
            if any(s < end and start < e for s, e in taken):
                continue
            cur_text = m.group("cur") or (m.groupdict().get("sym") or "")
            scale_word = m.group("scale")
            # A bare 'm'/'M' is a scale only when glued to a currency ('530 M€', '$5m').
            if scale_word and scale_word.lower() == "m" and not cur_text:
                continue
            try:
                value = parse_number(m.group("num"), language) * _scale(scale_word, language)
            except ValueError:
                continue
            taken.append((start, end))
            found.append(
                Amount(
                    value=round(value, 2),
                    currency=currency_code(cur_text),
                    text=text[start:end].strip(),
                    start=start,
                    end=end,
                )
            )
    return sorted(found, key=lambda a: a.start)

"""Charsets as agencies send them: decode as the document says, verify, else detect.

Wire formats are often 8-bit (IPTC 7901 and ANPA 1312 in ISO-8859-x or CP1252) and
some files declare a charset their bytes contradict (an XML declaring ISO-8859-1
whose bytes are UTF-8). `decode_bytes` never returns mojibake such as 'DÃ©cÃ¨s':

1. a BOM wins;
2. bytes that are valid UTF-8 and not plain ASCII are UTF-8, whatever is declared
   (a Latin-1 text is practically never valid UTF-8 by chance);
3. a declared single-byte charset is used when it decodes cleanly (ISO-8859-1 is read
   as its superset CP1252, which is what senders mean);
4. otherwise the charset is detected: Western European text (few accented letters
   per word) as CP1252, anything else by charset-normalizer among the charsets
   agencies use (Greek, Cyrillic, Central European).

`fix_mojibake` repairs text that was already decoded twice upstream (UTF-8 bytes read
as Latin-1/CP1252 by the sender), run by run, and leaves genuine accents alone.
"""

from __future__ import annotations

import codecs
import re
from functools import cache

from connectors.errors import RefusedInput

# Charsets charset-normalizer may choose from (agency feeds in the wild).
CANDIDATES = [
    "utf_8",
    "cp1252",
    "iso8859_15",
    "cp1250",
    "iso8859_2",
    "iso8859_7",
    "cp1253",
    "cp1251",
    "koi8_r",
    "iso8859_9",
]
_C1 = re.compile(r"[\x80-\x9f]")
_LETTER = re.compile(r"[^\W\d_]")


@cache
def _canonical(name: str) -> str | None:
    try:
        return codecs.lookup(name).name.replace("-", "_")
    except LookupError:
        return None


def known_encoding(name: str) -> bool:
    return _canonical(name) is not None


def _bom(data: bytes) -> str | None:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


def is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _western_ratio(text: str) -> float:
    """Share of letters that are not ASCII: ~0.02-0.08 in French or German, ~1 in Greek
    read as CP1252."""
    letters = _LETTER.findall(text)
    if not letters:
        return 0.0
    return sum(1 for c in letters if ord(c) > 127) / len(letters)


def detect_encoding(data: bytes) -> str:
    """The charset of 8-bit bytes that are not UTF-8 and declare nothing."""
    try:
        western = data.decode("cp1252")
    except UnicodeDecodeError:
        western = None
    if western is not None and _western_ratio(western) < 0.25:
        return "cp1252"
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=CANDIDATES).best()
    if best is not None:
        return str(best.encoding)
    return "cp1252" if western is not None else "latin-1"


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """(text, charset used). `declared`: what the document or its envelope says."""
    if bom := _bom(data):
        return data.decode(bom), bom
    canonical = _canonical(declared) if declared else None
    if declared and canonical is None:
        declared = None  # an unknown name says nothing: detect instead
    if is_utf8(data):  # even when it declares an 8-bit charset: it is UTF-8
        return data.decode("utf-8"), "utf-8"
    if canonical and canonical not in ("utf_8", "utf_16", "utf_32"):
        name = "cp1252" if canonical in ("latin_1", "iso8859_1", "ascii") else canonical
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            text = None
        if text is not None and not _C1.search(text):
            return text, name
    name = detect_encoding(data)
    return data.decode(name, errors="replace"), name


def decode_text_strict(data: bytes, encoding: str) -> str:
    """Decode with the encoding a user forced (--encoding): no guessing."""
    if not known_encoding(encoding):
        raise RefusedInput(f"unknown encoding {encoding!r}", stage="decode")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise RefusedInput(f"not valid {encoding} at byte {exc.start}", stage="decode") from exc


# A UTF-8 byte sequence read as Latin-1 / CP1252: a lead character then continuation
# characters (bytes 0x80-0xBF, whose CP1252 forms include '€', '™', curly quotes).
_CONT = (
    "[\u0080-\u00bf\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160"
    "\u2039\u0152\u017d\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122"
    "\u0161\u203a\u0153\u017e\u0178]"
)
_MOJIBAKE = re.compile(
    f"[\u00c2-\u00df]{_CONT}|[\u00e0-\u00ef]{_CONT}{{2}}|[\u00f0-\u00f4]{_CONT}{{3}}"
)


def _as_bytes(run: str) -> bytes | None:
    out = bytearray()
    for ch in run:
        if ord(ch) < 256:
            out.append(ord(ch))
        else:
            try:
                out += ch.encode("cp1252")
            except UnicodeEncodeError:
                return None
    return bytes(out)


def fix_mojibake(text: str) -> str:
    """'DÃ©cÃ¨s' -> 'Décès'; 'Décès' stays (its characters are no UTF-8 sequence)."""

    def repair(m: re.Match[str]) -> str:
        raw = _as_bytes(m.group(0))
        if raw is None:
            return m.group(0)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return m.group(0)

    return _MOJIBAKE.sub(repair, text) if _MOJIBAKE.search(text) else text


def looks_mojibake(text: str) -> bool:
    return fix_mojibake(text) != text

from __future__ import annotations

import codecs
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.errors import RefusedInput
from connectors.formats.decode import decode_text
from connectors.registry import parse_document
from tests.helpers import FIXTURES, SEED


def _parse(data: bytes, **kw: object) -> object:
    return parse_document(
        data, source="t", received_at=datetime.now(UTC), max_bytes=1_000_000, **kw
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty document"),
        (b"  \n\n\t ", "empty document"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary content"),
        (b"x" * 1_000_001, "over the 1.0 MiB limit"),
    ],
)
def test_refusals_say_why(data: bytes, reason: str) -> None:
    with pytest.raises(RefusedInput, match=reason):
        _parse(data)


def test_latin1_is_refused_with_offset_and_hint() -> None:
    data = (FIXTURES / "bad" / "afp-fr-latin1.txt").read_bytes()
    with pytest.raises(RefusedInput) as info:
        _parse(data)
    offset = data.index("ç".encode("latin-1"))
    assert f"not valid UTF-8 at byte {offset}" in info.value.reason
    assert "--encoding cp1252" in info.value.reason


def test_latin1_with_explicit_encoding_parses() -> None:
    data = (FIXTURES / "bad" / "afp-fr-latin1.txt").read_bytes()
    [d] = _parse(data, encoding="latin-1").dispatches  # type: ignore[attr-defined]
    assert "Le gouvernement français a annoncé mardi" in d.body[0]


def test_utf8_bom_is_accepted() -> None:
    [d] = _parse(codecs.BOM_UTF8 + SEED.read_bytes()).dispatches  # type: ignore[attr-defined]
    assert d.dateline.place == "New York"


def test_unknown_encoding_is_refused() -> None:
    with pytest.raises(RefusedInput, match="unknown encoding"):
        decode_text(b"abc", "klingon-8")


@given(st.binary(max_size=4096))
def test_any_bytes_give_text_or_a_refusal(data: bytes) -> None:
    try:
        _parse(data)
    except RefusedInput as exc:
        assert exc.reason and "\n" not in exc.reason

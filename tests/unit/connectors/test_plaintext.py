from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from connectors.formats.plaintext import parse_plaintext, stable_guid
from tests.helpers import FIXTURES, SAMPLES, SEED, parse_file


def test_seed_dateline_credit_signature_and_body() -> None:
    [d] = parse_file(SEED)
    assert d.dateline.place == "New York"
    assert d.credit == "awp/afp"
    assert d.sources == ["AWP", "AFP"]
    assert d.provider == "AFP"
    assert d.signature == "afp/rp"
    assert d.body[0].startswith("Amazon confirme ses ambitions dans l'automobile")
    assert d.body[-1].startswith("Amazon cherche par conséquent")
    assert len(d.body) == 12
    assert all("afp/rp" not in p for p in d.body)
    assert d.format == "plaintext"


def test_english_header_lines_and_dated_dateline() -> None:
    [d] = parse_file(FIXTURES / "plaintext" / "afp-en-boeing-layoffs.txt")
    assert d.slugline == "US-aviation-Boeing-jobs"
    assert d.headline == "Boeing names new commercial chief as Calhoun steps down"
    assert d.dateline.place == "WASHINGTON"
    assert d.dateline.date == datetime(2026, 3, 25, tzinfo=UTC)
    assert d.versioncreated == d.dateline.date
    assert d.credit == "AFP"
    assert d.signature == "bur-sst/jgc"
    assert d.body[0].startswith("Boeing said on Monday")


def test_guid_is_stable_across_line_endings_and_spacing() -> None:
    text = SEED.read_text(encoding="utf-8")
    crlf = text.replace("\n", "\r\n")
    assert stable_guid("plaintext", text) == stable_guid("plaintext", crlf + "\n\n")
    assert stable_guid("plaintext", text) != stable_guid("plaintext", text.replace("700", "800"))


def test_copy_without_dateline_keeps_all_paragraphs() -> None:
    text = "Les marchés européens ont ouvert en baisse lundi.\n\nLe CAC 40 perdait 1,2%."
    [d] = parse_plaintext(text, source="t", received_at=datetime.now(UTC))
    assert d.dateline.place is None
    assert d.body == [
        "Les marchés européens ont ouvert en baisse lundi.",
        "Le CAC 40 perdait 1,2%.",
    ]


def test_every_bundled_sample_parses() -> None:
    for path in sorted(SAMPLES.glob("*.txt")):
        [d] = parse_file(path)
        assert d.body, path
        assert d.dateline.place, path


@given(st.text(max_size=2000))
def test_parser_never_crashes_and_keeps_words(text: str) -> None:
    dispatches = parse_plaintext(text, source="fuzz", received_at=datetime.now(UTC))
    assert len(dispatches) == 1
    d = dispatches[0]
    kept = " ".join(
        [d.slugline or "", d.headline or "", d.dateline.text or "", *d.body, d.signature or ""]
    )
    for word in text.split():
        if word.strip("-–—()") and len(word) > 3:
            assert word.strip("-–—") in kept or word in (d.credit or "")


def test_dateline_with_country_in_parentheses() -> None:
    [d] = parse_file(FIXTURES / "live" / "afp-fr-ovhcloud-rachat.txt")
    assert d.dateline.place == "ROUBAIX"
    assert d.dateline.date is not None and d.dateline.date.date().isoformat() == "2026-11-20"
    assert d.credit == "AFP"
    assert d.body[0].startswith("Le fournisseur français d'hébergement informatique OVHcloud")

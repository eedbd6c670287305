"""Charsets (never mojibake), languages (tag or detection, analyser, extraction skipped),
and `wire parse --report`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from connectors.formats.charset import decode_bytes, fix_mojibake, looks_mojibake
from connectors.language import detect_language, normalise_language
from connectors.registry import parse_document
from connectors.report import (
    Expectation,
    FileOutcome,
    as_json,
    build_report,
    check,
    render,
)
from schemas import Dispatch, ItemType
from tests.helpers import FIXTURES

RECEIVED = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
FR = "Le géant chinois investit à Paris, a annoncé jeudi l'éditeur français."
DE = "Größere Übernahme: Müller kauft in Düsseldorf für 300 Millionen Euro zu."


# ------------------------------------------------------------------ charsets


@pytest.mark.parametrize(
    ("data", "declared", "text"),
    [
        (FR.encode("utf-8"), "iso-8859-1", FR),  # declares Latin-1, is UTF-8
        (FR.encode("cp1252"), "utf-8", FR),  # declares UTF-8, is CP1252
        (FR.encode("latin-1"), None, FR),  # declares nothing
        (DE.encode("cp1252"), "iso-8859-1", DE),
        ("„Zitat“ – Ende".encode("cp1252"), "iso-8859-1", "„Zitat“ – Ende"),  # C1 -> CP1252
        ("Η κυβέρνηση ενέκρινε νέο νομοσχέδιο".encode("iso8859-7"), None, None),
    ],
)
def test_decode_as_declared_verified_else_detected(
    data: bytes, declared: str | None, text: str | None
) -> None:
    decoded, _charset = decode_bytes(data, declared)
    if text is not None:
        assert decoded == text
    else:
        assert "κυβέρνηση" in decoded
    assert not looks_mojibake(decoded)


def test_mojibake_is_repaired_and_real_accents_are_left_alone() -> None:
    assert fix_mojibake("DÃ©cÃ¨s de Naomi, procÃ¨s-santÃ©") == "Décès de Naomi, procès-santé"
    assert fix_mojibake("â€œQuoteâ€\x9d costs Â£4") == "“Quote” costs £4"
    for fine in (FR, DE, "Ã la carte? no: À la carte", "naïve façade, Zürich, Ærø"):
        assert fix_mojibake(fine) == fine


def test_xml_that_declares_utf8_but_is_latin1_reads_right() -> None:
    data = (
        '<?xml version="1.0" encoding="UTF-8"?><nitf><body><body.content>'
        f"<p>{FR}</p></body.content></body></nitf>"
    ).encode("latin-1")
    [d] = parse_document(data, source="t", received_at=RECEIVED, max_bytes=10**6).dispatches
    assert d.body == [FR]


# ------------------------------------------------------------------ languages


@pytest.mark.parametrize(
    ("tag", "lang"),
    [("fr-FR", "fr"), ("EN", "en"), ("fin", "fi"), ("nb", "no"), ("x-default", None), ("", None)],
)
def test_language_tags_are_normalised(tag: str, lang: str | None) -> None:
    assert normalise_language(tag) == lang


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("de", "Die Bundesregierung hat am Dienstag ein neues Gesetz zur Förderung erneuerbarer Energien beschlossen."),
        ("it", "Il governo italiano ha approvato martedì un nuovo decreto sulle energie rinnovabili, ha annunciato il ministro."),
        ("es", "El Gobierno aprobó el martes un nuevo decreto sobre energías renovables, informó el ministerio."),
        ("no", "Regjeringen la tirsdag fram et nytt forslag om fornybar energi, opplyser departementet."),
        ("fi", "Hallitus esitteli tiistaina uuden lakiesityksen uusiutuvasta energiasta, ministeriö kertoo."),
        ("sv", "Regeringen lade på tisdagen fram ett nytt förslag om förnybar energi, meddelar departementet."),
        ("el", "Η κυβέρνηση ενέκρινε την Τρίτη νέο νομοσχέδιο για τις ανανεώσιμες πηγές ενέργειας."),
        ("fr", FR),
    ],
)  # fmt: skip
def test_language_is_detected_offline(lang: str, text: str) -> None:
    assert detect_language(text) == lang


def test_too_little_text_has_no_language() -> None:
    assert detect_language("Oslo 2026") is None


def test_a_document_without_language_gets_one() -> None:
    [d] = parse_document(
        (FIXTURES / "agencies" / "ntb-nitf32-no-nolang.xml").read_bytes(),
        source="t",
        received_at=RECEIVED,
        max_bytes=10**6,
    ).dispatches
    assert d.language == "no"


def test_other_languages_get_their_analyser_and_say_extraction_was_skipped() -> None:
    from pipeline.extract.batch import extract_batch
    from pipeline.extract.normalise import normalise
    from pipeline.store.documents import LANG_ANALYZERS, dispatch_document, dispatch_mappings

    [raw] = parse_document(
        (FIXTURES / "agencies" / "dpa-nitf36-de-nolang.xml").read_bytes(),
        source="t",
        received_at=RECEIVED,
        max_bytes=10**6,
    ).dispatches
    [d] = extract_batch([normalise(raw)])
    assert d.language == "de" and d.entities == [] and d.events == []
    assert d.extraction_skipped and "'de'" in d.extraction_skipped
    doc = dispatch_document(d)
    props = dispatch_mappings()["properties"]
    assert props["body_de"]["analyzer"] == "german" == LANG_ANALYZERS["de"]
    assert doc["body_de"] == d.text and doc["item_type"] == "text"
    assert set(doc) <= set(props)


# ------------------------------------------------------------------ report


def _d(guid: str, **kw: object) -> Dispatch:
    fields: dict[str, object] = {
        "guid": guid,
        "received_at": RECEIVED,
        "format": "nitf",
        "source": "t",
        "headline": "H",
        "body": ["Text."],
        "language": "de",
        "provider": "DPA",
    }
    fields.update(kw)
    return Dispatch.model_validate(fields)


def test_report_counts_per_format_and_agency() -> None:
    outcomes = [
        FileOutcome("a.xml", "nitf", [_d("a")]),
        FileOutcome("b.xml", "nitf", [_d("b", language="en"), _d("c", type=ItemType.picture)]),
        FileOutcome("c.xml", "nitf", refused="NITF document has no body text"),
        FileOutcome("d.xml", "nitf", refused="NITF document has no body text"),
        FileOutcome("e.json", "ninjs", [_d("e", provider="AP", body=[])]),
    ]
    rows = build_report(outcomes)
    by_key = {(r.format, r.agency): r for r in rows}
    dpa = by_key[("nitf", "DPA")]
    assert (dpa.files, dpa.parsed, dpa.media, dpa.languages) == (2, 3, 1, {"de": 2, "en": 1})
    refused = by_key[("nitf", "-")]
    assert refused.refused == 2 and refused.reasons == {"NITF document has no body text": 2}
    assert by_key[("ninjs", "AP")].empty == 1
    text = render(rows)
    assert "2 x NITF document has no body text" in text and text.splitlines()[0].startswith(
        "format"
    )
    assert as_json(rows)[0]["format"] == "ninjs"


def test_manifest_check_says_what_differs() -> None:
    e = Expectation(
        "a.xml", "dispatch", 1, headlines=("Other",), body_contains=("Text.",), language="fr"
    )
    verdict = check(e, FileOutcome("a.xml", "nitf", [_d("a")]))
    assert not verdict.ok and len(verdict.problems) == 2
    assert check(Expectation("a.xml", "refuse", 0), FileOutcome("a.xml", "nitf", refused="x")).ok


def test_wire_parse_report_on_a_folder() -> None:
    from pipeline.cli import app

    result = CliRunner().invoke(app, ["parse", "--report", str(FIXTURES / "wire")])
    assert result.exit_code == 0, result.output
    assert "manifest: 19/19 files as expected" in result.stdout
    assert "anpa1312" in result.stdout and "refused (" in result.stdout

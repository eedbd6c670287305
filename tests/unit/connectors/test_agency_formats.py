"""Real agency variants: every file of the agency corpora gives what its manifest says."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.errors import RefusedInput
from connectors.registry import detect_format, parse_document
from connectors.report import (
    FileOutcome,
    check,
    load_manifest,
    outcome_of,
)
from connectors.sources.files import read_file
from schemas import Dispatch, EditKind, ItemType, PubStatus
from tests.helpers import FIXTURES

AGENCIES = FIXTURES / "agencies"  # the shared development corpus
WIRE = FIXTURES / "wire"  # ours
RECEIVED = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
CASES = [
    (folder, e) for folder in (AGENCIES, WIRE) for e in load_manifest(folder / "manifest.toml")
]


def outcome(path: Path) -> FileOutcome:
    return outcome_of(read_file(path, received_at=RECEIVED, max_bytes=5_000_000))


def parsed(path: Path) -> list[Dispatch]:
    return parse_document(
        path.read_bytes(), source=str(path), received_at=RECEIVED, max_bytes=5_000_000
    ).dispatches


@pytest.mark.parametrize(
    ("folder", "expectation"), CASES, ids=[f"{f.name}/{e.name}" for f, e in CASES]
)
def test_every_manifest_file_gives_what_it_should(folder: Path, expectation: object) -> None:
    from connectors.report import Expectation

    assert isinstance(expectation, Expectation)
    path = folder / expectation.name
    verdict = check(expectation, outcome(path))
    assert verdict.ok, verdict.problems
    if expectation.format:
        assert detect_format(path.read_bytes()) == expectation.format


def test_our_refusals_say_why() -> None:
    import tomllib

    doc = tomllib.loads((WIRE / "manifest.toml").read_text(encoding="utf-8"))
    for f in doc["file"]:
        if f["expect"] == "refuse":
            o = outcome(WIRE / f["name"])
            assert o.refused is not None and f["reason_hint"] in o.refused, (f["name"], o.refused)
            assert "\n" not in o.refused


# ------------------------------------------------------------------ AFP / ANA NewsML 1.2


def test_afp_newsml12_today_bare_paragraphs_media_first_and_alert() -> None:
    [media_first] = parsed(AGENCIES / "afp-newsml12-en-bcnitf-media.xml")
    assert media_first.body[0].startswith("Norwegian shipping group Halvardsen said Thursday")
    assert all("caption" not in p.lower() for p in media_first.body)
    assert media_first.provider == "AFP" and media_first.dateline.place == "Oslo"
    [alert] = parsed(AGENCIES / "afp-newsml12-fr-alert.xml")
    assert alert.headline == alert.body[0] and alert.urgency == 1
    [lying] = parsed(AGENCIES / "afp-newsml12-fr-declared-latin1-utf8.xml")
    assert lying.headline and "Hydrélis" in lying.headline
    assert lying.slugline == "énergie-hydrogène-financement"
    assert "Ã" not in lying.text + (lying.headline or "")


def test_newsml12_index_is_refused_and_photo_is_media() -> None:
    with pytest.raises(RefusedInput, match="index listing 4 NewsItemRef"):
        parsed(AGENCIES / "afp-newsml12-index.xml")
    [photo] = parsed(WIRE / "afp-newsml12-photo.xml")
    assert photo.type is ItemType.picture
    assert [(r.name, r.width) for r in photo.renditions] == [("highdef", 4000), ("thumbnail", None)]


def test_ana_cdata_html_provider_and_boilerplate() -> None:
    [d] = parsed(AGENCIES / "ana-newsml12-en-sentfrom.xml")
    assert d.provider == "ANA" and d.language == "en"
    assert not any(p.startswith("©") for p in d.body)


def test_newsml12_several_items_plain_text() -> None:
    first, second = parsed(WIRE / "belga-newsml12-two-items-plaintext.xml")
    assert first.provider == second.provider == "Belga"
    assert len(first.body) == 2 and first.guid != second.guid


# ------------------------------------------------------------------ ANPA 1312 and IPTC 7901


def test_anpa_flash_and_writethru_share_a_story() -> None:
    flash, lead = parsed(WIRE / "ap-anpa-flash-and-writethru.anpa")
    assert flash.guid == lead.guid
    assert [(d.version, d.edit_kind, d.urgency) for d in (flash, lead)] == [
        (1, EditKind.original, 1),
        (2, EditKind.update, 5),
    ]
    assert lead.dateline.place == "CHICAGO" and lead.provider == "AP"
    assert lead.versioncreated == datetime(2026, 11, 26, 14, 31, tzinfo=UTC)
    assert not any(p.startswith(("AP-WF", "___")) for p in lead.body)
    assert lead.subjects[0].code == "f"


def test_anpa_latin1_and_take() -> None:
    [d] = parsed(AGENCIES / "ap-anpa-en-regular-latin1.anpa")
    assert d.headline and "Brüggli" in d.headline
    [take] = parsed(AGENCIES / "ap-anpa-en-take2-writethru.anpa")
    assert take.edit_kind is EditKind.update and take.version == 2


def test_7901_zczc_two_messages_one_without_text() -> None:
    result = parse_document(
        (WIRE / "afp-7901-fr-zczc-latin1-two.txt").read_bytes(),
        source="t",
        received_at=RECEIVED,
        max_bytes=10**6,
    )
    [d] = result.dispatches
    assert result.skipped == ["IPTC 7901 message 2/2: IPTC 7901 message AFP0732 has no text"]
    assert (d.version, d.signature, d.provider) == (731, "afp/dl/pb", "AFP")
    assert d.versioncreated == datetime(2026, 11, 26, 10, 12, tzinfo=UTC)


def test_dpa_7901_headers_notes_signature_and_copyright() -> None:
    [four] = parsed(AGENCIES / "dpa-7901-de-fourline-cp1252.txt")
    assert (
        four.headline == "Privatbank Lindner & Söhne macht Finanzchefin Oswald zur Vorstandschefin"
    )
    assert four.edit_kind is EditKind.correction  # '(Berichtigung: ...)'
    assert four.signature == "dpa-AFX jha/bwi/he" and four.slugline == "Banken/Personalien"
    assert "„" in four.text or "–" in four.text  # CP1252 quotes and dash decoded
    [afx] = parsed(AGENCIES / "dpa-afx-7901-de-copyright.txt")
    assert not any("Copyright" in p for p in afx.body) and afx.signature == "/mne/bek"
    assert afx.versioncreated == datetime(2026, 11, 12, 7, 12, tzinfo=UTC)
    [en] = parsed(WIRE / "dpa-7901-en-nocontrols.txt")
    assert en.provider == "DPA" and en.edit_kind is EditKind.update
    assert not any("Notebook" in p or "Editorial contacts" in p for p in en.body)


# ------------------------------------------------------------------ NewsML-G2


def test_g2_message_items_package_relation_and_non_news() -> None:
    three = parsed(AGENCIES / "afp-g2-newsmessage-3items.xml")
    assert len({d.guid for d in three}) == 3
    pkg = parsed(AGENCIES / "ansa-g2-newsmessage-package.xml")
    assert {tuple(d.packages) for d in pkg} == {("tag:ansa.it,2026:PKG-ECO-20261117-RAVELLI",)}
    result = parse_document(
        (WIRE / "g2-message-news-and-concept.xml").read_bytes(),
        source="t",
        received_at=RECEIVED,
        max_bytes=10**6,
    )
    assert len(result.dispatches) == 1 and result.skipped == []
    for name in ("dpa-g2-conceptitem.xml", "afp-g2-knowledgeitem.xml", "afp-g2-planningitem.xml"):
        with pytest.raises(RefusedInput, match="is not a news item"):
            parsed(AGENCIES / name)
    [pic] = parsed(AGENCIES / "afp-g2-picture-caption.xml")
    assert pic.type is ItemType.picture and pic.renditions


# ------------------------------------------------------------------ ninjs, content APIs


def test_content_api_envelopes() -> None:
    [item] = parsed(AGENCIES / "ap-mediaapi-item.json")
    assert "?" not in item.guid and item.altids.get("itemid")
    assert item.version >= 1
    feed = parsed(AGENCIES / "ap-mediaapi-feed.json")
    assert len(feed) == 3 and all(d.provider == "AP" for d in feed)
    bbc = parsed(AGENCIES / "bbc-ninjs-2items.json")
    assert [d.provider for d in bbc] == ["BBC", "BBC"]
    [pic] = parsed(WIRE / "ninjs2-picture.json")
    assert pic.type is ItemType.picture and pic.altids == {"friendlykey": "88231"}
    assert [(r.name, r.width) for r in pic.renditions] == [("original", 5000), ("thumbnail", 200)]


def test_bracketed_plain_copy_is_not_json() -> None:
    text = b"[UPDATE] Paris (AFP) - Le groupe a annonce jeudi une hausse de ses ventes.\n\nafp/xx"
    assert detect_format(text) == "plaintext"
    assert detect_format(b'  [ {"uri": "x"} ]') == detect_format(b"[]") == "ninjs"


def test_ap_version_zero_is_the_first_version() -> None:
    doc = (
        b'{"data": {"item": {"uri": "https://api.example.org/c/1?qt=x", "version": 0,'
        b' "headline": "H", "body_html": "<p>Text.</p>"}}}'
    )
    [d] = parse_document(doc, source="t", received_at=RECEIVED, max_bytes=10**6).dispatches
    assert (d.guid, d.version) == ("https://api.example.org/c/1", 1)


# ------------------------------------------------------------------ e-mail, Ritzau, Atom


def test_email_subject_signature_block_and_charsets() -> None:
    [plain] = parsed(AGENCIES / "email-plain-utf8.eml")
    assert not any(p.startswith("--") or "Reporting by" in p for p in plain.body)
    assert plain.guid.startswith("urn:email:")
    [qp] = parsed(AGENCIES / "email-qp-latin1-fr.eml")
    assert qp.headline == "Le groupe Bréval rachète le chocolatier Maison Fèvre"
    [html] = parsed(WIRE / "email-html-latin1-8bit.eml")
    assert html.headline == "Fusion dans le café" and "torréfacteurs" in html.body[0]


def test_ritzau_flash_entities_and_mojibake() -> None:
    flash, release = parsed(WIRE / "ritzau-feed-flash-and-release.xml")
    assert flash.headline == "Vindmølleproducenten Havvind A/S nedlægger 400 stillinger i Aarhus"
    assert flash.dateline.place == "Aarhus" and flash.provider == "Ritzau"
    assert "£40,000" in release.body[0] and "&" not in release.text


def test_wenn_atom() -> None:
    [d] = parsed(WIRE / "wenn-atom-plaintext.xml")
    assert (d.guid, d.provider) == ("3300411", "WENN")


# ------------------------------------------------------------------ every parse path


def test_text_item_without_body_is_refused_but_a_kill_passes() -> None:
    g2 = (
        '<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:x:{}" version="2">'
        '<itemMeta><pubStatus qcode="stat:{}"/></itemMeta>'
        "<contentMeta><headline>Story</headline></contentMeta></newsItem>"
    )
    with pytest.raises(RefusedInput, match="no body text"):
        parse_document(
            g2.format(1, "usable").encode(), source="t", received_at=RECEIVED, max_bytes=10**6
        )
    [kill] = parse_document(
        g2.format(2, "canceled").encode(), source="t", received_at=RECEIVED, max_bytes=10**6
    ).dispatches
    assert kill.pubstatus is PubStatus.canceled and kill.body == []


@settings(max_examples=120, deadline=None)
@given(
    fmt=st.sampled_from(["anpa1312", "iptc7901", "email", "newsml-1.2", "ritzau-xml", "ninjs"]),
    text=st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), max_codepoint=0x2FF)
        | st.sampled_from(["\x01", "\x02", "\x03", "\x16", "\x1f", "\n", "=", "/", "^", "\t"]),
        max_size=400,
    ),
)
def test_framed_parsers_never_crash(fmt: str, text: str) -> None:
    try:
        result = parse_document(
            text.encode("utf-8"), source="t", received_at=RECEIVED, max_bytes=10**6, fmt=fmt
        )
    except RefusedInput as exc:
        assert exc.reason and "\n" not in exc.reason
        return
    for d in result.dispatches:
        assert d.body or d.pubstatus is not PubStatus.usable

"""Every wire format lands as the same clean Dispatch."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.errors import RefusedInput
from connectors.registry import detect_format, parse_document
from schemas import EditKind, PubStatus
from tests.helpers import FIXTURES

FORMATS = FIXTURES / "formats"
VERSIONS = FIXTURES / "versions"
AGENCY_GUID = "urn:newsml:afp.com:20250327:TX-PAR-KJP41"
HEADLINE = "Tencent investit 1,16 milliard d'euros dans une filiale d'Ubisoft"
RECEIVED = datetime(2025, 3, 27, 10, 40, tzinfo=UTC)


def parse(path: Path) -> list:  # type: ignore[type-arg]
    return parse_document(
        path.read_bytes(), source=str(path), received_at=RECEIVED, max_bytes=5_000_000
    ).dispatches


EXPECTED_FORMAT = {
    "ubisoft.txt": "plaintext",
    "ubisoft.7901": "iptc7901",
    "ubisoft.nitf.xml": "nitf",
    "ubisoft.newsml12.xml": "newsml-1.2",
    "ubisoft.newsmlg2.xml": "newsml-g2",
    "ubisoft.ninjs.json": "ninjs",
    "ubisoft.rss.xml": "rss",
    "ubisoft.atom.xml": "atom",
}


@pytest.mark.parametrize("name", sorted(EXPECTED_FORMAT))
def test_one_story_in_every_format(name: str) -> None:
    path = FORMATS / name
    assert detect_format(path.read_bytes()) == EXPECTED_FORMAT[name]
    [d] = parse(path)
    assert d.format == EXPECTED_FORMAT[name]
    assert d.headline == HEADLINE
    assert d.dateline.place == "Paris"
    assert len(d.body) == 3
    assert d.body[0].startswith("Le géant chinois Tencent va investir 1,16 milliard d'euros")
    assert d.body[2].endswith("après plusieurs lancements décevants.")
    assert d.signature == "afp/cb/pml"
    assert d.provider == "AFP"
    assert d.pubstatus is PubStatus.usable
    # Formats with an agency id keep it; the others get a guid stable for their content.
    if name in ("ubisoft.txt", "ubisoft.7901"):
        assert d.guid.startswith(f"urn:wirestream:{d.format}:")
        assert parse(path)[0].guid == d.guid
    else:
        assert d.guid == AGENCY_GUID


def test_structured_metadata() -> None:
    [g2] = parse(FORMATS / "ubisoft.newsmlg2.xml")
    assert g2.urgency == 3 and g2.language == "fr"
    assert g2.versioncreated == datetime(2025, 3, 27, 10, 34, tzinfo=UTC)
    assert [s.code for s in g2.subjects] == ["medtop:20000349", "medtop:04000000"]
    assert g2.slugline == "France-Chine-jeux-vidéo-Ubisoft-Tencent"
    [t] = parse(FORMATS / "ubisoft.7901")
    assert (t.version, t.urgency, t.subjects[0].code) == (412, 3, "eco")
    assert t.versioncreated == datetime(2025, 3, 27, 10, 34, tzinfo=UTC)
    [n] = parse(FORMATS / "ubisoft.nitf.xml")
    assert n.subjects[0].code == "04000000" and n.urgency == 3
    [rss] = parse(FORMATS / "ubisoft.rss.xml")
    assert rss.versioncreated == datetime(2025, 3, 27, 10, 34, tzinfo=UTC) and rss.language == "fr"


def test_versions_update_correction_kill() -> None:
    [v1] = parse(FORMATS / "ubisoft.newsmlg2.xml")
    [v2] = parse(VERSIONS / "ubisoft-v2-update.newsmlg2.xml")
    [v3] = parse(VERSIONS / "ubisoft-v3-correction.newsmlg2.xml")
    [v4] = parse(VERSIONS / "ubisoft-v4-kill.newsmlg2.xml")
    assert {v.guid for v in (v1, v2, v3, v4)} == {AGENCY_GUID}
    assert [(v.version, v.edit_kind) for v in (v1, v2, v3, v4)] == [
        (1, EditKind.original), (2, EditKind.update), (3, EditKind.correction), (4, EditKind.kill)
    ]  # fmt: skip
    assert "1,25 milliard" in v3.body[3] and "1,2 milliard" in v2.body[3]
    assert v4.pubstatus is PubStatus.canceled


def test_7901_versions_share_a_guid_and_kill_advisories_are_kills() -> None:
    lead = "\x01AFP0412 3 eco 0174 France-Ubisoft-Tencent\n\x02Tencent investit dans Ubisoft\n\nParis (AFP) - Le géant chinois Tencent va investir dans Ubisoft, a annoncé jeudi l'éditeur.\n\nafp/cb\n\x03"
    second = (
        lead.replace("AFP0412", "AFP0431")
        .replace("Tencent,", "Tencent,2ndlead")
        .replace("France-Ubisoft-Tencent", "France-Ubisoft-Tencent,2ndlead")
    )
    kill = "\x01AFP0460 1 eco 0030 France-Ubisoft-Tencent KILL\n\x02KILL KILL KILL\n\nMerci de ne pas utiliser la dépêche France-Ubisoft-Tencent.\n\nafp\n\x03"
    docs = parse_document(
        (lead + second + kill).encode(), source="t", received_at=RECEIVED, max_bytes=10**6
    ).dispatches
    assert len({d.guid for d in docs}) == 1
    assert [(d.version, d.edit_kind, d.pubstatus) for d in docs] == [
        (412, EditKind.original, PubStatus.usable),
        (431, EditKind.update, PubStatus.usable),
        (460, EditKind.kill, PubStatus.canceled),
    ]


def test_ninjs_2_headlines_and_bodies() -> None:
    doc = b"""{"uri": "urn:afp:en:2026:boeing-ceo", "version": 2, "language": "en", "pubstatus": "usable",
      "headlines": [{"role": "main", "value": "Boeing CEO Calhoun to step down"}],
      "bodies": [{"role": "main", "contenttype": "text/html", "value": "<p>WASHINGTON (AFP) - Boeing said on Monday its chief executive would step down.</p><p>Shares rose.</p>"}]}"""
    [d] = parse_document(doc, source="t", received_at=RECEIVED, max_bytes=10**6).dispatches
    assert d.headline == "Boeing CEO Calhoun to step down"
    assert d.dateline.place == "WASHINGTON"
    assert d.body == ["Boeing said on Monday its chief executive would step down.", "Shares rose."]
    assert d.edit_kind is EditKind.update


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("billion laughs", b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;">]><nitf><head><title>&lol1;</title></head></nitf>', "hostile XML refused: EntitiesForbidden"),
        ("XXE", b'<?xml version="1.0"?><!DOCTYPE nitf [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><nitf><body><body.content><p>&xxe;</p></body.content></body></nitf>', "hostile XML refused"),
        ("truncated", b'<?xml version="1.0" encoding="UTF-8"?><nitf><head><title>Tencent investit', "broken XML at line 1"),
        ("unknown xml", b'<?xml version="1.0"?><invoice><total>12</total></invoice>', "XML document of an unknown kind"),
        ("broken json", b'{"uri": "urn:x", "headline": "Tencent', "broken JSON"),
        ("json without uri", b'{"headline": "Tencent investit"}', "no 'uri'"),
        ("g2 without guid", b'<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" version="1"><contentMeta><headline>x</headline></contentMeta></newsItem>', "without a guid"),
        ("empty rss", b'<rss version="2.0"><channel><title>AFP</title></channel></rss>', "RSS feed has no item"),
    ],
)  # fmt: skip
def test_hostile_and_broken_input_is_refused_with_a_reason(
    name: str, data: bytes, reason: str
) -> None:
    with pytest.raises(RefusedInput) as info:
        parse_document(data, source=name, received_at=RECEIVED, max_bytes=10**6)
    assert reason in info.value.reason
    assert "\n" not in info.value.reason


def test_declared_latin1_and_bom_are_parsed() -> None:
    latin1 = '<?xml version="1.0" encoding="ISO-8859-1"?><nitf><head><docdata><doc-id id-string="urn:x:1"/></docdata></head><body><body.content><p>Le géant chinois investit à Paris.</p></body.content></body></nitf>'.encode(
        "latin-1"
    )
    [d] = parse_document(latin1, source="t", received_at=RECEIVED, max_bytes=10**6).dispatches
    assert d.body == ["Le géant chinois investit à Paris."]
    cp1252 = latin1.replace(b"ISO-8859-1", b"windows-1252").replace(
        b"investit", "investit \u2019".encode("cp1252")
    )
    [d2] = parse_document(cp1252, source="t", received_at=RECEIVED, max_bytes=10**6).dispatches
    assert "\u2019" in d2.body[0]
    bom = b"\xef\xbb\xbf" + (FORMATS / "ubisoft.ninjs.json").read_bytes()
    [d3] = parse_document(bom, source="t", received_at=RECEIVED, max_bytes=10**6).dispatches
    assert d3.headline == HEADLINE
    [d4] = parse_document(
        b"\xef\xbb\xbf" + (FORMATS / "ubisoft.nitf.xml").read_bytes(),
        source="t",
        received_at=RECEIVED,
        max_bytes=10**6,
    ).dispatches
    assert d4.headline == HEADLINE


def test_huge_document_is_refused_before_parsing() -> None:
    huge = (
        b"<nitf><body><body.content>"
        + b"<p>Tencent investit.</p>" * 2_200_000
        + b"</body.content></body></nitf>"
    )
    assert len(huge) > 50 * 1024 * 1024
    with pytest.raises(RefusedInput, match=r"over the 5\.0 MiB limit"):
        parse_document(huge, source="t", received_at=RECEIVED, max_bytes=5 * 1024 * 1024)


xml_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)


@settings(max_examples=150)
@given(
    headline=xml_text,
    body=st.lists(xml_text, max_size=5),
    version=st.integers(min_value=-3, max_value=10**6),
)
def test_g2_parser_never_crashes(headline: str, body: list[str], version: int) -> None:
    from xml.sax.saxutils import escape

    paras = "".join(f"<p>{escape(p)}</p>" for p in body)
    doc = (
        f'<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:x" version="{version}">'
        f"<contentMeta><headline>{escape(headline)}</headline></contentMeta><contentSet><inlineXML>"
        f"<nitf><body><body.content>{paras}</body.content></body></nitf></inlineXML></contentSet></newsItem>"
    ).encode()
    try:
        [d] = parse_document(doc, source="t", received_at=RECEIVED, max_bytes=10**6).dispatches
    except RefusedInput:
        return
    assert d.version >= 1


@settings(max_examples=150)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=40),
                    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.sampled_from(["uri", "headline", "version", "body_html", "pubstatus", "urgency", "subject", "items"]), c, max_size=6),
                    max_leaves=20))  # fmt: skip
def test_ninjs_parser_never_crashes(obj: object) -> None:
    import json

    with contextlib.suppress(RefusedInput):
        parse_document(json.dumps(obj).encode(), source="t", received_at=RECEIVED, max_bytes=10**6)


def test_english_structured_formats() -> None:
    [g2] = parse(FORMATS / "boeing-en.newsmlg2.xml")  # newsMessage wrapper, XHTML body
    assert (g2.guid, g2.version, g2.language, g2.urgency) == (
        "urn:newsml:afp.com:20260325:TX-WAS-BX381",
        2,
        "en",
        2,
    )
    assert g2.edit_kind is EditKind.update
    assert g2.dateline.place == "WASHINGTON" and g2.signature == "bur-sst/jgc"
    assert g2.body[1].startswith("Stephanie Pope, a former Boeing Global Services executive")
    [nitf] = parse(FORMATS / "boeing-en.nitf.xml")  # declared ISO-8859-1
    assert nitf.guid == g2.guid and nitf.version == 1
    assert nitf.body[0].startswith("Boeing said on Monday") and "company's" in nitf.body[0]
    assert nitf.dateline.place == "Washington"


def test_a_50_mib_file_is_refused_without_being_read_whole(tmp_path: Path) -> None:
    from connectors.sources.files import read_file

    big = tmp_path / "afp-archive-dump.xml"
    with big.open("wb") as fh:
        fh.write(b"<nitf><body><body.content>")
        fh.truncate(50 * 1024 * 1024)
    result = read_file(big, received_at=RECEIVED, max_bytes=5 * 1024 * 1024)
    assert result.error is not None and "50.0 MiB, over the 5.0 MiB limit" in result.error.reason
    assert len(result.data) == 5 * 1024 * 1024 + 1  # read no further than the limit

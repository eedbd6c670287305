"""Who wrote it: every format's byline reaches the dispatch (without 'By' / 'Par'), an agency
named as author stays the provider, and a structured NITF dateline reads as words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.formats.common import byline_name, parse_xml, spaced_text
from connectors.registry import parse_document
from schemas import Dispatch
from tests.helpers import FIXTURES

RECEIVED = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def parse(data: bytes) -> list[Dispatch]:
    return parse_document(data, source="test", received_at=RECEIVED, max_bytes=1 << 20).dispatches


@pytest.mark.parametrize(
    ("printed", "name"),
    [
        ("By DANA WELLER", "DANA WELLER"),
        ("Par Marie Dupont", "Marie Dupont"),
        ("  by   Anna Smith,  ", "Anna Smith"),
        (
            "Rhiannon Price, Local Democracy Reporting Service",
            "Rhiannon Price, Local Democracy Reporting Service",
        ),
        ("NTB", None),  # an agency is the provider, not a byline
        ("By The Associated Press", None),
        ("", None),
        (None, None),
    ],
)
def test_byline_name(printed: str | None, name: str | None) -> None:
    assert byline_name(printed) == name


def test_spaced_text_separates_fields_not_words() -> None:
    el = parse_xml(
        b"<dateline><location><city>Boulogne-Billancourt</city></location>"
        b'<story.date norm="20261130T080000+0100">30 novembre 2026</story.date></dateline>'
    )
    assert spaced_text(el) == "Boulogne-Billancourt 30 novembre 2026"
    el = parse_xml(b"<dateline><location><city>PARIS</city></location>, Nov. 30</dateline>")
    assert spaced_text(el) == "PARIS, Nov. 30"


@pytest.mark.parametrize(
    ("fixture", "byline"),
    [
        ("wire/ap-anpa-flash-and-writethru.anpa", "DANA WELLER"),  # the write-thru's ^By …=
        ("agencies/ap-anpa-en-regular-latin1.anpa", "THOMAS KELLER"),
        ("wire/dpa-7901-en-nocontrols.txt", "dpa correspondents"),  # By dpa correspondents =
        ("agencies/efe-nitf35-es-nolang.xml", "Redacción Economía"),  # <byline>
        ("agencies/bbc-ninjs-2items.json", "Tom Vincent, Local Democracy Reporting Service"),
        ("agencies/ntb-nitf32-no-nolang.xml", None),  # <byline>NTB</byline>: the agency
        ("agencies/tt-ninjs13-uri.json", None),  # "byline": "TT"
    ],
)
def test_agency_files_keep_their_bylines(fixture: str, byline: str | None) -> None:
    docs = parse((FIXTURES / fixture).read_bytes())
    assert docs[-1].byline == byline


NITF = """<?xml version="1.0" encoding="UTF-8"?>
<nitf version="-//IPTC//DTD NITF 3.6//EN" baselang="fr">
  <head>
    <title>Renault supprime 300 postes d'ingénierie</title>
    <docdata>
      <doc-id id-string="EFE-20261130-0412"/>
      <du-key version="1" key="renault-ingenierie"/>
      <date.issue norm="20261130T081500+0100"/>
      <doc.copyright holder="EFE" year="2026"/>
    </docdata>
  </head>
  <body>
    <body.head>
      <hedline><hl1>Renault supprime 300 postes d'ingénierie</hl1></hedline>
      <byline>Par <person>Marie Dupont</person></byline>
      <dateline><location><city>Boulogne-Billancourt</city></location><story.date norm="20261130T080000+0100">30 novembre 2026</story.date></dateline>
    </body.head>
    <body.content>
      <p>Le constructeur automobile Renault va supprimer 300 postes d'ingénierie en France d'ici fin 2027, a annoncé lundi la direction.</p>
      <p>Les départs se feront sur la base du volontariat, selon un porte-parole.</p>
    </body.content>
  </body>
</nitf>
"""


def test_nitf_byline_structured_dateline_and_copyright_holder() -> None:
    [d] = parse(NITF.encode())
    assert d.byline == "Marie Dupont"
    assert d.dateline.place == "Boulogne-Billancourt"
    assert d.dateline.text == "Boulogne-Billancourt 30 novembre 2026"
    assert d.provider == "EFE"  # no distributor: the copyright holder


RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel>
    <title>Wire Desk</title><link>https://wire.example/</link><description>News</description>
    <item>
      <title>Port strike halts container traffic in Antwerp</title>
      <guid>https://wire.example/a/1</guid>
      <dc:creator>Anna Smith</dc:creator>
      <description>Dock workers in Antwerp walked out on Monday, halting container traffic.</description>
    </item>
    <item>
      <title>Lagos flooding displaces thousands</title>
      <guid>https://wire.example/a/2</guid>
      <author>desk@wire.example (Paul Roux)</author>
      <description>Heavy rain flooded parts of Lagos overnight, the emergency agency said.</description>
    </item>
    <item>
      <title>Markets open higher</title>
      <guid>https://wire.example/a/3</guid>
      <author>AFP</author>
      <description>European stock markets opened higher on Monday.</description>
    </item>
  </channel>
</rss>
"""


def test_rss_creator_and_author() -> None:
    assert [d.byline for d in parse(RSS.encode())] == ["Anna Smith", "Paul Roux", None]


ATOM = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Desk</title><id>urn:desk</id><updated>2026-11-30T08:00:00Z</updated>
  <entry>
    <title>Dutch court orders Shell to cut emissions</title><id>urn:desk:1</id>
    <updated>2026-11-30T08:00:00Z</updated>
    <author><name>Lotte de Vries</name></author>
    <content type="text">A Dutch court on Monday ordered Shell to cut its emissions faster.</content>
  </entry>
</feed>
"""

G2 = """<?xml version="1.0" encoding="UTF-8"?>
<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:newsml:wire.example:20261130:g2-1" version="1" standard="NewsML-G2" standardversion="2.29">
  <itemMeta>
    <itemClass qcode="ninat:text"/><provider qcode="nprov:AFP"/>
    <versionCreated>2026-11-30T08:00:00Z</versionCreated><pubStatus qcode="stat:usable"/>
  </itemMeta>
  <contentMeta>
    <headline>Kenya's central bank holds rates</headline>
    <by>By Otieno Mwangi</by>
    <language tag="en"/>
  </contentMeta>
  <contentSet>
    <inlineXML contenttype="application/xhtml+xml">
      <html xmlns="http://www.w3.org/1999/xhtml"><body>
        <p>Kenya's central bank held its benchmark rate at 9.75 percent on Monday.</p>
      </body></html>
    </inlineXML>
  </contentSet>
</newsItem>
"""


def test_atom_and_g2_bylines() -> None:
    [atom] = parse(ATOM.encode())
    [g2] = parse(G2.encode())
    assert atom.byline == "Lotte de Vries"
    assert g2.byline == "Otieno Mwangi" and g2.provider == "AFP"


def test_newsml12_byline_in_newslines() -> None:
    """AFP NewsML 1.2 puts the author in NewsLines/ByLine (absent from most AFP copy)."""
    data = (FIXTURES / "agencies/afp-newsml12-fr-bcnitf.xml").read_bytes()
    [plain] = parse(data)
    assert plain.byline is None
    with_byline = data.replace(
        b"</HeadLine>", b"</HeadLine>\n<ByLine>Par Claire Lemoine</ByLine>", 1
    )
    [d] = parse(with_byline)
    assert d.byline == "Claire Lemoine" and d.headline == plain.headline

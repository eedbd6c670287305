"""Versions, duplicates, kills and story clusters: decided by pure functions."""

from __future__ import annotations

from datetime import UTC, datetime

from pipeline.dedup.similarity import Candidate, signature, similarity
from pipeline.dedup.stories import assign_stories
from pipeline.dedup.versioning import Known, Verdict, gate
from pipeline.extract.normalise import normalise
from pipeline.extract.stages import mark_killed
from schemas import Dispatch, EditKind, Event, EventRetraction, PubStatus, RetractionReason
from tests.helpers import FIXTURES, SAMPLES, parse_file

RECEIVED = datetime(2025, 3, 27, 15, 0, tzinfo=UTC)
VERSIONS = FIXTURES / "versions"
OLD_EVENT = Event(
    id="e-old",
    type="investment",
    dispatch_guid="",
    dispatch_version=1,
    evidence="Tencent prend 25 % de la filiale d'Ubisoft pour 1,16 milliard d'euros.",
    confidence=0.9,
)


def ids(obsolete: dict[str, list[Event]]) -> dict[str, list[str]]:
    return {guid: [e.id for e in events] for guid, events in obsolete.items()}


def story(name: str) -> Dispatch:
    path = VERSIONS / name if (VERSIONS / name).exists() else FIXTURES / "formats" / name
    [d] = parse_file(path, RECEIVED)
    return normalise(d)


def known(d: Dispatch, **over: object) -> Known:
    base = {
        "version": d.version,
        "content_hash": d.content_hash,
        "pubstatus": d.pubstatus,
        "history": tuple(d.history),
        "events": (OLD_EVENT.model_copy(update={"dispatch_guid": d.guid}),),
    }
    return Known(**(base | over))  # type: ignore[arg-type]


def test_versions_in_order_build_the_history() -> None:
    v1, v2, v3 = (
        story("ubisoft.newsmlg2.xml"),
        story("ubisoft-v2-update.newsmlg2.xml"),
        story("ubisoft-v3-correction.newsmlg2.xml"),
    )
    g = gate([v2], {v1.guid: known(v1)}, {})
    [accepted] = g.accepted
    assert [(r.version, r.kind) for r in accepted.history] == [
        (1, EditKind.original),
        (2, EditKind.update),
    ]
    assert ids(g.obsolete_events) == {v1.guid: ["e-old"]}
    g3 = gate([v3], {v1.guid: known(accepted)}, {})
    assert [(r.version, r.kind) for r in g3.accepted[0].history] == [
        (1, EditKind.original), (2, EditKind.update), (3, EditKind.correction)
    ]  # fmt: skip


def test_older_version_is_stale_and_exact_resend_is_duplicate() -> None:
    v1, v3 = story("ubisoft.newsmlg2.xml"), story("ubisoft-v3-correction.newsmlg2.xml")
    g = gate([v1, v3], {v3.guid: known(v3)}, {})
    assert [(d.version, v) for d, v in g.dropped] == [(1, Verdict.stale), (3, Verdict.duplicate)]
    assert g.accepted == []


def test_the_raw_record_an_index_copy_was_written_from_is_a_replay() -> None:
    """A worker that died between its write and its publication: the record comes back
    from Kafka (same topic, partition, offset) and everything is sent again, the
    retractions that write had sent included. Any other record is a duplicate."""
    v3 = story("ubisoft-v3-correction.newsmlg2.xml")
    withdrawn = EventRetraction(
        retracts="e-v2-only",
        type="investment",
        dispatch_guid=v3.guid,
        dispatch_version=3,
        reason=RetractionReason.superseded,
        evidence="Tencent prendrait 30 % de la filiale.",
        retracted_at=RECEIVED,
    )
    written = known(v3, raw_position="wire.raw:1:41", retractions=(withdrawn,))
    g = gate([v3], {v3.guid: written}, {}, positions={v3.guid: "wire.raw:1:41"})
    assert [d.guid for d in g.accepted] == [v3.guid] and g.dropped == []
    assert g.replayed == {v3.guid: [withdrawn]}
    assert ids(g.obsolete_events) == {v3.guid: ["e-old"]}  # what that write indexed
    again = gate([v3], {v3.guid: written}, {}, positions={v3.guid: "wire.raw:1:57"})
    assert again.dropped == [(v3, Verdict.duplicate)] and again.replayed == {}
    offline = gate([v3], {v3.guid: written}, {})  # no position known: never a replay
    assert offline.dropped == [(v3, Verdict.duplicate)]


def test_a_resend_extracted_by_older_rules_is_extracted_again() -> None:
    v1 = story("ubisoft.newsmlg2.xml")
    older = known(v1, extracted_by="2026.01.01")
    g = gate([v1], {v1.guid: older}, {}, extractor="2026.11.24")
    assert [d.guid for d in g.accepted] == [v1.guid] and g.reextracted == {v1.guid}
    assert ids(g.obsolete_events) == {v1.guid: ["e-old"]}  # events the new rules drop go away
    never = known(v1)  # indexed before extraction had a version
    assert gate([v1], {v1.guid: never}, {}, extractor="2026.11.24").reextracted == {v1.guid}
    same = known(v1, extracted_by="2026.11.24")
    g = gate([v1, v1], {v1.guid: same}, {}, extractor="2026.11.24")
    assert [v for _, v in g.dropped] == [Verdict.duplicate, Verdict.duplicate]
    killed = known(v1, extracted_by=None, pubstatus=PubStatus.canceled)
    resent = v1.model_copy(update={"pubstatus": PubStatus.canceled})
    g = gate([resent], {v1.guid: killed}, {}, extractor="2026.11.24")
    assert [v for _, v in g.dropped] == [Verdict.duplicate]  # a kill stays killed
    # replaying the same copy twice in one batch: the second is a plain duplicate
    g = gate([v1, v1], {v1.guid: older}, {}, extractor="2026.11.24")
    assert len(g.accepted) == 1 and [v for _, v in g.dropped] == [Verdict.duplicate]


def test_same_number_with_new_content_is_processed() -> None:
    v2 = story("ubisoft-v2-update.newsmlg2.xml")
    fixed = normalise(
        v2.model_copy(update={"body": [*v2.body[:-1], "Paragraphe corrigé."], "content_hash": None})
    )
    g = gate([fixed], {v2.guid: known(v2)}, {})
    assert [d.guid for d in g.accepted] == [v2.guid]


def test_out_of_order_inside_one_batch_keeps_the_newest() -> None:
    v1, v2, v3 = (
        story("ubisoft.newsmlg2.xml"),
        story("ubisoft-v2-update.newsmlg2.xml"),
        story("ubisoft-v3-correction.newsmlg2.xml"),
    )
    g = gate([v3, v1, v2], {}, {})
    assert [d.version for d in g.accepted] == [3]
    assert sorted(v for _, v in g.dropped) == [Verdict.stale, Verdict.stale]


def test_same_content_under_another_guid_is_a_copy() -> None:
    plain = story("ubisoft.txt")
    resent = plain.model_copy(update={"guid": "urn:other:resend"})
    g = gate([resent], {}, {plain.content_hash or "": plain.guid})
    assert g.dropped == [(resent, Verdict.copy)]


def test_kill_is_accepted_and_becomes_a_killed_event() -> None:
    v1, v4 = story("ubisoft.newsmlg2.xml"), story("ubisoft-v4-kill.newsmlg2.xml")
    g = gate([v4], {v1.guid: known(v1)}, {})
    [killed] = mark_killed(g.accepted)
    assert killed.pubstatus is PubStatus.canceled
    assert [e.type for e in killed.events] == ["dispatch.killed"]
    assert killed.events[0].dispatch_version == 4
    assert ids(g.obsolete_events)[v1.guid] == ["e-old"]


def test_near_duplicates_share_a_story_and_strangers_do_not() -> None:
    afp = story("ubisoft.txt")
    rewrite = afp.model_copy(
        update={
            "guid": "urn:reuters:ubisoft",
            "body": [
                p.replace("va investir", "investira").replace("a annoncé jeudi", "a indiqué jeudi")
                for p in afp.body
            ],
        }
    )
    [other] = [normalise(d) for d in parse_file(SAMPLES / "afp-fr-mistral-levee.txt")]
    sigs = {d.guid: signature(d.text) for d in (afp, rewrite, other)}
    assert similarity(sigs[afp.guid], sigs[rewrite.guid]) >= 0.5
    assert similarity(sigs[afp.guid], sigs[other.guid]) < 0.2
    indexed = [Candidate(afp.guid, "story-ubisoft", tuple(sigs[afp.guid]))]
    out = assign_stories([rewrite, other], sigs, indexed)
    assert [d.story_id for d in out] == ["story-ubisoft", other.guid]

"""The canonical Dispatch and Event, aligned with IPTC ninjs.

Every stage boundary (connector -> raw topic -> worker -> index / event topics)
carries these models serialised as JSON and validates them on the way in.
The JSON Schema files next to this module are generated from these classes
(`python -m schemas.export`) and a test keeps them in sync.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

SCHEMA_VERSION = 1


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, populate_by_name=True)


class PubStatus(StrEnum):
    """ninjs pubstatus: `usable` is live, `withheld` / `canceled` leave search."""

    usable = "usable"
    withheld = "withheld"
    canceled = "canceled"


class EditKind(StrEnum):
    """Why this version exists (NewsML-G2 signals, AFP RevisionId, 7901 advisories)."""

    original = "original"
    update = "update"
    correction = "correction"
    kill = "kill"


class ItemType(StrEnum):
    """ninjs `type`: a text story, or a media item whose body is its caption."""

    text = "text"
    picture = "picture"
    video = "video"
    audio = "audio"
    graphic = "graphic"


class EntityType(StrEnum):
    PER = "PER"
    ORG = "ORG"
    LOC = "LOC"
    MISC = "MISC"


class Dateline(Model):
    place: str | None = None
    date: datetime | None = None
    text: str | None = Field(default=None, description="The dateline as printed")


class Subject(Model):
    code: str = Field(description="e.g. 'medtop:20000349' or an agency keyword")
    name: str | None = None
    scheme: str | None = Field(default=None, description="e.g. 'medtop', 'subj', 'keyword'")


class Rendition(Model):
    """One file of a media item (or a text rendition given by reference)."""

    name: str = Field(description="e.g. 'main', 'preview', 'thumbnail', 'nitf'")
    href: str | None = None
    mimetype: str | None = None
    width: int | None = Field(default=None, ge=0)
    height: int | None = Field(default=None, ge=0)


class Mention(Model):
    text: str
    start: int = Field(ge=0, description="Character offset in the analysed body text")
    end: int = Field(ge=0)


class Entity(Model):
    id: str = Field(description="Canonical id, stable across dispatches, e.g. 'org:amazon'")
    name: str = Field(description="Canonical (longest, most complete) name")
    type: EntityType
    aliases: list[str] = Field(default_factory=list)
    mentions: int = Field(default=1, ge=1)
    typed_by: Literal["context", "name", "memory", "model"] = Field(
        default="model",
        description="What settled the type: a context cue ('la start-up X'), a given name, "
        "the entity memory of earlier dispatches, or the model alone",
    )


class Amount(Model):
    value: float = Field(description="Normalised value in units, e.g. 700000000")
    currency: str | None = Field(default=None, description="ISO 4217 code, e.g. USD")
    text: str = Field(description="As written, e.g. '700 millions de dollars'")
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class DateMention(Model):
    text: str
    value: date | None = Field(default=None, description="Resolved against the dispatch date")
    granularity: Literal["day", "month", "year", "approx"] = "day"
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class Place(Model):
    """A place named in the dispatch, geocoded offline (pipeline.extract.geo)."""

    name: str = Field(description="As written, e.g. 'Saragosse'")
    canonical: str = Field(description="Gazetteer name, e.g. 'Zaragoza'")
    kind: Literal["continent", "country", "region", "city"]
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2, e.g. 'ES'")
    latitude: float | None = None
    longitude: float | None = None
    geonames_id: int | None = None
    source: Literal["dateline", "text"]
    entity_id: str | None = Field(default=None, description="The LOC entity it resolves")


EVIDENCE_MAX_CHARS = 1000


def _bound_evidence(value: object) -> object:
    """Evidence is a sentence, not a document: a longer one (a text with no sentence
    breaks) keeps its first EVIDENCE_MAX_CHARS characters, ending with '…', wherever an
    event is built, so neither a topic, the index nor a page ever carries more."""
    if isinstance(value, str) and len(value) > EVIDENCE_MAX_CHARS:
        return value[: EVIDENCE_MAX_CHARS - 1].rstrip() + "…"
    return value


Evidence = Annotated[str, BeforeValidator(_bound_evidence), Field(max_length=EVIDENCE_MAX_CHARS)]


class EventRole(Model):
    entity_id: str
    name: str
    type: EntityType


class EventStatus(StrEnum):
    """What the dispatch says of the event. Only `asserted` events are published on
    wire.events.<type>; the others stay on the dispatch (`Dispatch.non_facts`)."""

    asserted = "asserted"  # reported as done or decided now
    denied = "denied"  # "Kering dément tout projet de rachat"
    rumoured = "rumoured"  # "in talks to buy", "envisagerait", "could bid"
    planned = "planned"  # "is considering legal action", "doit être cédé"
    background = "background"  # recalled past: "which it bought in 2019", "avait levé"


class Figure(Model):
    """One reported financial figure (earnings): what it measures and how much."""

    kind: str = Field(description="net_profit, net_loss, operating_profit, revenue, ...")
    amount: Amount


class Event(Model):
    """One typed event extracted from a dispatch, published on wire.events.<type>."""

    id: str = Field(description="Deterministic: dispatch guid + type + role entities (+ status)")
    type: str = Field(description="e.g. 'personnel.departure', 'investment.funding_round'")
    dispatch_guid: str
    dispatch_version: int = Field(ge=1)
    language: str | None = None
    status: EventStatus = EventStatus.asserted
    roles: dict[str, list[EventRole]] = Field(
        default_factory=dict,
        description="Entities by role: acquirer/target, authority/defendant (fines), "
        "plaintiff/defendant (lawsuits), partner (every member of a partnership), ...",
    )
    amount: Amount | None = None
    head_count: int | None = Field(default=None, ge=0, description="Layoffs: jobs cut")
    percent: float | None = Field(
        default=None, ge=0.0, le=100.0, description="Layoffs: share of the workforce cut"
    )
    figures: list[Figure] = Field(
        default_factory=list, description="Earnings: the figures the sentence reports"
    )
    dates: list[DateMention] = Field(default_factory=list)
    evidence: Evidence = Field(description="The sentence the event was read from (bounded)")
    confidence: float = Field(ge=0.0, le=1.0)
    versioncreated: datetime | None = None


class RetractionReason(StrEnum):
    killed = "killed"  # the dispatch was killed (canceled / withheld)
    superseded = "superseded"  # a newer version of the dispatch no longer states it
    reextracted = "reextracted"  # newer extraction rules no longer find it


class EventRetraction(Model):
    """Withdraws an event published earlier, on the same wire.events.<type> topic and
    with the same key (the dispatch guid), so it follows the event it withdraws. An
    event topic record is an Event, or this when it carries `retracts`."""

    kind: Literal["retraction"] = "retraction"
    retracts: str = Field(description="The id of the event withdrawn")
    type: str = Field(description="The withdrawn event's type (the topic it was sent on)")
    dispatch_guid: str
    dispatch_version: int = Field(ge=1, description="The version that withdrew it")
    reason: RetractionReason
    roles: dict[str, list[EventRole]] = Field(
        default_factory=dict, description="The withdrawn event's roles, for entity filters"
    )
    evidence: Evidence = Field(description="The withdrawn event's evidence sentence")
    retracted_at: datetime


class VersionRecord(Model):
    version: int = Field(ge=1)
    versioncreated: datetime | None = None
    kind: EditKind = EditKind.original


class Dispatch(Model):
    """A news-agency dispatch, whatever format it arrived in."""

    schema_version: int = SCHEMA_VERSION
    guid: str = Field(min_length=1, max_length=512)
    version: int = Field(default=1, ge=1)
    versioncreated: datetime | None = None
    firstcreated: datetime | None = None
    received_at: datetime
    pubstatus: PubStatus = PubStatus.usable
    edit_kind: EditKind = EditKind.original
    language: str | None = Field(default=None, description="ISO 639-1, e.g. 'fr'")
    urgency: Annotated[int, Field(ge=1, le=9)] | None = None
    headline: str | None = None
    slugline: str | None = None
    body: list[str] = Field(default_factory=list, description="Body paragraphs, plain text")
    dateline: Dateline = Field(default_factory=Dateline)
    provider: str | None = Field(default=None, description="Agency that issued it, e.g. 'AFP'")
    credit: str | None = Field(default=None, description="Credit line as printed, e.g. 'awp/afp'")
    sources: list[str] = Field(default_factory=list, description="Agencies in the credit")
    signature: str | None = Field(default=None, description="Desk signature, e.g. 'afp/rp'")
    byline: str | None = Field(
        default=None,
        description="Who wrote it, as the format names them, without 'By' / 'Par': "
        "'Marie Dupont', 'Anna Smith with Paul Roux in Lagos'",
    )
    subjects: list[Subject] = Field(default_factory=list)
    type: ItemType = Field(
        default=ItemType.text,
        description="'text', or a media item (picture, video, audio, graphic) whose body is "
        "its caption",
    )
    renditions: list[Rendition] = Field(
        default_factory=list, description="Files of a media item, by reference"
    )
    packages: list[str] = Field(
        default_factory=list,
        description="guids of the packages (NewsML-G2 packageItem) that group this dispatch",
    )
    altids: dict[str, str] = Field(
        default_factory=dict,
        description="Other ids the provider gives it (ninjs altids: itemid, friendlykey, ...)",
    )
    extraction_skipped: str | None = Field(
        default=None,
        description="Why entities and events were not extracted (e.g. a language the "
        "spaCy models here do not cover); amounts, dates, places and topics still are",
    )
    format: str = Field(description="Input format, e.g. 'plaintext', 'nitf', 'newsml-g2'")
    source: str = Field(description="Where it came from: a path, a feed URL, 'http-push'")
    content_hash: str | None = Field(default=None, description="sha256 of headline+body")
    story_id: str | None = Field(
        default=None,
        description="Near-duplicate cluster: the same story from other agencies or rewrites",
    )
    history: list[VersionRecord] = Field(default_factory=list)
    entities: list[Entity] = Field(default_factory=list)
    amounts: list[Amount] = Field(default_factory=list)
    dates: list[DateMention] = Field(default_factory=list)
    events: list[Event] = Field(
        default_factory=list, description="Asserted events: the ones published as facts"
    )
    non_facts: list[Event] = Field(
        default_factory=list,
        description="Events the dispatch mentions but does not report as facts (denied, "
        "rumoured, planned, background), with their status; never published",
    )
    places: list[Place] = Field(default_factory=list)
    extracted_by: str | None = Field(
        default=None,
        description="Version of the extraction rules that produced entities and events; a "
        "copy extracted by an older version is re-extracted when it comes again",
    )

    @property
    def text(self) -> str:
        """The body as one string, paragraphs separated by blank lines (NLP input)."""
        return "\n\n".join(self.body)


class DeadLetter(Model):
    """What could not be processed, with everything needed to fix and replay it."""

    id: str
    stage: Literal["decode", "parse", "validate", "normalise", "extract", "index"]
    error: str
    source: str
    format: str | None = None
    failed_at: datetime
    payload_b64: str = Field(description="Original bytes (possibly truncated), base64")
    payload_size: int = Field(ge=0)
    payload_sha256: str
    truncated: bool = False
    attempts: int = Field(
        default=1,
        ge=1,
        description="Times this record failed or was replayed; a failed "
        "replay updates the letter (same id, the new reason) instead of adding a second one",
    )
    replayed_at: datetime | None = Field(
        default=None, description="When a replay of it went through (it leaves `dlq list`)"
    )

    @classmethod
    def of(
        cls,
        data: bytes,
        *,
        source: str,
        stage: str,
        error: str,
        keep_bytes: int,
        fmt: str | None = None,
        size: int | None = None,
        sha256: str | None = None,
    ) -> DeadLetter:
        """A dead letter for `data`: the bytes (truncated to keep_bytes), where, why, when.
        `size` / `sha256`: the whole document's, when `data` is only its beginning (a
        document over the size limit is not read whole)."""
        kept = data[:keep_bytes]
        size = len(data) if size is None else size
        return cls.model_validate(
            {
                "id": uuid.uuid4().hex,
                "stage": stage,
                "error": error,
                "source": source,
                "format": fmt,
                "failed_at": datetime.now(UTC),
                "payload_b64": base64.b64encode(kept).decode(),
                "payload_size": size,
                "payload_sha256": sha256 or hashlib.sha256(data).hexdigest(),
                "truncated": len(kept) < size,
            }
        )

"""Search over indexed dispatches: a typed query, a pure ES body builder, a pure parser."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from elasticsearch import Elasticsearch
from pydantic import BaseModel, BeforeValidator, Field, StrictBool, StrictFloat

from pipeline.extract.subjects import MEDIA_TOPICS
from pipeline.settings import Settings
from pipeline.store.documents import FACETS, LANG_ANALYZERS

TEXT_FIELDS = ["headline^3", "body"] + [
    f for lang in LANG_ANALYZERS for f in (f"headline_{lang}^3", f"body_{lang}")
]
HIGHLIGHT_FIELDS = ["headline", "body"] + [
    f for lang in LANG_ANALYZERS for f in (f"headline_{lang}", f"body_{lang}")
]
# Highlighting is what a long document makes costly: each field is highlighted over its
# first HIGHLIGHT_MAX_CHARS characters only (WIRE_HIGHLIGHT_MAX_CHARS), in fragments of
# ~160 characters, and a snippet handed out never exceeds SNIPPET_MAX_CHARS.
HIGHLIGHT_MAX_CHARS = 10_000
SNIPPET_MAX_CHARS = 400
# Words made only of wildcards and operators ('*', '* | *', '-') restrict nothing: they
# are read as no words at all (match everything, highlight nothing), instead of a
# wildcard every indexed term matches and every hit highlights in full.
_NO_WORDS = re.compile(r'[\s*?+|\-~"()]*')
# A cursor is base64url text (the `next` of a page); a place radius is lat,lon,km.
CURSOR_PATTERN = r"^[A-Za-z0-9_-]*$"
_LAT = r"[+-]?(?:90(?:\.0+)?|[1-8]?[0-9](?:\.[0-9]+)?)"
_LON = r"[+-]?(?:180(?:\.0+)?|1[0-7][0-9](?:\.[0-9]+)?|[1-9]?[0-9](?:\.[0-9]+)?)"
_KM = (
    r"(?:20000(?:\.0+)?|1[0-9]{4}(?:\.[0-9]+)?|[1-9][0-9]{0,3}(?:\.[0-9]+)?"
    r"|0?\.[0-9]*[1-9][0-9]*)"
)
NEAR_PATTERN = rf"^{_LAT},{_LON},{_KM}$"


_NUMBER = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*")


def _iso_only(value: Any) -> Any:
    """A date-time is written as one (2026-11-20T00:00:00Z, or a date): a bare number, or
    a string that is one, is refused rather than read as seconds since 1970 (the schema
    says format date-time)."""
    if isinstance(value, bool | int | float) or (
        isinstance(value, str) and _NUMBER.fullmatch(value)
    ):
        raise ValueError("expected an ISO 8601 date-time, e.g. 2026-11-20T00:00:00Z")
    return value


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_only)]


def _json_integer(value: Any) -> Any:
    """An integer as JSON Schema means it: 7 or 7.0, never true, "7" or 7.5."""
    if isinstance(value, bool | str):
        raise ValueError("expected an integer")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# Bounds first, then the validator: so the JSON Schema says minimum/maximum.
Urgency = Annotated[int, Field(ge=1, le=9), BeforeValidator(_json_integer)]
PageSize = Annotated[int, Field(ge=0, le=200), BeforeValidator(_json_integer)]
FacetSize = Annotated[int, Field(ge=1, le=100), BeforeValidator(_json_integer)]


def es_time(t: datetime) -> str:
    """A date-time as the search node reads it: in UTC (it refuses offsets past ±18:00;
    a naive one is taken as UTC), clamped to what a datetime can hold."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    try:
        return t.astimezone(UTC).isoformat()
    except OverflowError:
        edge = datetime.min if t.year < 2 else datetime.max
        return edge.replace(tzinfo=UTC).isoformat()


def has_words(text: str) -> bool:
    """Whether free text restricts anything (see _NO_WORDS)."""
    return not _NO_WORDS.fullmatch(text)


class Near(BaseModel):
    lat: StrictFloat = Field(ge=-90, le=90)
    lon: StrictFloat = Field(ge=-180, le=180)
    km: StrictFloat = Field(gt=0, le=20000)

    @classmethod
    def parse(cls, text: str) -> Near:
        """'48.85,2.35,50' (latitude, longitude, radius in km)."""
        parts = text.split(",")
        if len(parts) != 3:
            raise ValueError("near must be 'lat,lon,km', e.g. 48.85,2.35,50")
        try:
            lat, lon, km = (float(p) for p in parts)
        except ValueError:
            raise ValueError("near must be three numbers: lat,lon,km") from None
        return cls(lat=lat, lon=lon, km=km)


class SearchQuery(BaseModel):
    """A search, as the page, the CLI and saved searches send it. Numbers and booleans are
    strict: `"size": false` or `"urgency_max": "3"` are refused, as the schema says."""

    text: str = ""
    orgs: list[str] = Field(default_factory=list)
    people: list[str] = Field(default_factory=list)
    places: list[str] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list, description="ISO 3166-1 alpha-2 codes")
    event_types: list[str] = Field(default_factory=list)
    subjects: list[str] = Field(
        default_factory=list, description="Topic codes, e.g. medtop:04000000"
    )
    language: str | None = None
    provider: str | None = None
    urgency_max: Urgency | None = Field(default=None, description="1 = flash ... 9")
    near: Near | None = Field(default=None, description="Dispatches with a place within a radius")
    since: IsoDateTime | None = None
    until: IsoDateTime | None = None
    include_killed: StrictBool = False
    sort: Literal["relevance", "time"] = "relevance"
    size: PageSize = 10
    facet_size: FacetSize = 10
    search_after: list[Any] | None = Field(default=None, description="The `next` cursor of a page")
    histogram: Literal["hour", "day", "week", "month"] | None = None

    def restricts(self) -> bool:
        """Whether this query narrows anything down: words, or at least one filter. One
        that does not matches every dispatch (refused as a saved search)."""
        lists = (self.orgs, self.people, self.places, self.countries, self.event_types)
        values = (self.language, self.provider, self.urgency_max, self.near, self.since)
        return (
            has_words(self.text)
            or any(lists)
            or bool(self.subjects)
            or any(v is not None for v in (*values, self.until))
        )


class Hit(BaseModel):
    guid: str
    version: int
    score: float | None
    headline: str | None
    published: str | None
    time_kind: Literal["published", "received"] = Field(
        default="published",
        description="'received' when the copy carries no date: `published` is then the time "
        "it reached wirestream, not a publication time",
    )
    language: str | None
    urgency: int | None = None
    dateline_place: str | None
    provider: str | None
    snippets: list[str]
    orgs: list[str]
    people: list[str]
    places: list[str]
    event_types: list[str]
    story_id: str | None = None
    also_from: list[str] = Field(default_factory=list, description="Other agencies with this story")


class FacetBucket(BaseModel):
    value: str
    count: int
    label: str | None = Field(default=None, description="A topic code's name")


class SearchResult(BaseModel):
    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetBucket]]
    histogram: list[FacetBucket] = Field(default_factory=list)
    next: list[Any] | None = Field(
        default=None, description="Pass as search_after for the next page"
    )


def build_search(q: SearchQuery, highlight_max_chars: int = HIGHLIGHT_MAX_CHARS) -> dict[str, Any]:
    """The Elasticsearch request body. Free text goes through simple_query_string,
    which never fails on malformed syntax, so user input is never raw query DSL."""
    must: list[dict[str, Any]] = []
    filters: list[dict[str, Any]] = []
    words = has_words(q.text)
    if words:
        must.append(
            {
                "simple_query_string": {
                    "query": q.text,
                    "fields": TEXT_FIELDS,
                    "default_operator": "and",
                }
            }
        )
    for fld, values in (
        ("orgs", q.orgs),
        ("people", q.people),
        ("places", q.places),
        ("countries", q.countries),
        ("event_types", q.event_types),
    ):
        for v in values:  # every value must match (AND), as a facet drill-down does
            filters.append({"term": {fld: v}})
    if q.subjects:
        filters.append({"terms": {"subjects": q.subjects}})
    if q.language:
        filters.append({"term": {"language": q.language}})
    if q.provider:
        filters.append({"term": {"provider": q.provider}})
    if q.urgency_max:
        filters.append({"range": {"urgency": {"lte": q.urgency_max}}})
    if q.near:
        filters.append(
            {
                "geo_distance": {
                    "distance": f"{q.near.km}km",
                    "geo": {"lat": q.near.lat, "lon": q.near.lon},
                }
            }
        )
    if q.since or q.until:
        rng: dict[str, str] = {}
        if q.since:
            rng["gte"] = es_time(q.since)
        if q.until:
            rng["lte"] = es_time(q.until)
        filters.append({"range": {"published": rng}})
    must_not = [] if q.include_killed else [{"terms": {"pubstatus": ["canceled", "withheld"]}}]
    body: dict[str, Any] = {
        "query": {
            "bool": {
                "must": must or [{"match_all": {}}],
                "filter": filters,
                "must_not": must_not,
            }
        },
        "size": q.size,
        "track_total_hits": True,
        "_source": {"excludes": ["dispatch", "body*", "minhash", "lsh_bands"]},
        "aggs": {
            name: {"terms": {"field": fld, "size": q.facet_size}} for name, fld in FACETS.items()
        },
    }
    if words:
        body["highlight"] = {
            "fields": {
                f: {"number_of_fragments": 2, "fragment_size": 160} for f in HIGHLIGHT_FIELDS
            },
            "max_analyzed_offset": highlight_max_chars,
            "pre_tags": ["<em>"],
            "post_tags": ["</em>"],
        }
    # Always a total order, so search_after pages deeply and stably.
    if q.sort == "time" or not words:
        body["sort"] = [{"published": "desc"}, {"guid": "asc"}]
    else:
        body["sort"] = [{"_score": "desc"}, {"guid": "asc"}]
    if q.search_after:
        body["search_after"] = q.search_after
    if q.histogram:
        body["aggs"]["histogram"] = {
            "date_histogram": {
                "field": "published",
                "calendar_interval": q.histogram,
                "min_doc_count": 1,
            }
        }
    return body


def encode_cursor(sort_values: list[Any] | None) -> str | None:
    """An opaque page cursor (the last hit's sort values) for URLs."""
    if not sort_values:
        return None
    raw = json.dumps(sort_values, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str | None) -> list[Any] | None:
    """Raises ValueError for anything that is not a cursor this service handed out."""
    if not token:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, TypeError) as exc:
        raise ValueError("malformed cursor: pass back the `next` value of a page") from exc
    if not isinstance(values, list) or not all(
        isinstance(v, str | int | float) and not isinstance(v, bool) for v in values
    ):
        raise ValueError("malformed cursor: pass back the `next` value of a page")
    return values


def bounded_snippet(fragment: str, limit: int = SNIPPET_MAX_CHARS) -> str:
    """A highlight fragment cut to `limit` characters, never inside an <em> tag, with its
    tags balanced (a search node may ignore fragment_size)."""
    if len(fragment) <= limit:
        return fragment
    cut = fragment[:limit]
    lt = cut.rfind("<")
    if lt > cut.rfind(">"):  # a tag cut in half
        cut = cut[:lt]
    if cut.count("<em>") > cut.count("</em>"):
        cut += "</em>"
    return cut + "…"


def _next(resp: dict[str, Any], size: int) -> list[Any] | None:
    raw = resp.get("hits", {}).get("hits", [])
    if size and len(raw) == size and raw[-1].get("sort"):
        return list(raw[-1]["sort"])
    return None


def time_kind(src: dict[str, Any]) -> Literal["published", "received"]:
    """Undated copy (no versioncreated, no dateline date) is indexed at its ingest time."""
    if src.get("versioncreated") or not src.get("received_at"):
        return "published"
    return "received" if src.get("published") == src.get("received_at") else "published"


def parse_search(resp: dict[str, Any], size: int = 0) -> SearchResult:
    hits = []
    for h in resp.get("hits", {}).get("hits", []):
        src = h.get("_source", {})
        snippets: list[str] = []
        for fragments in (h.get("highlight") or {}).values():
            for frag in fragments:
                frag = bounded_snippet(frag)
                if frag not in snippets:
                    snippets.append(frag)
        hits.append(
            Hit(
                guid=src.get("guid", h.get("_id")),
                version=int(src.get("version", 1)),
                score=h.get("_score"),
                headline=src.get("headline"),
                published=src.get("published"),
                time_kind=time_kind(src),
                language=src.get("language"),
                urgency=src.get("urgency"),
                dateline_place=src.get("dateline_place"),
                provider=src.get("provider"),
                snippets=snippets[:3],
                orgs=src.get("orgs", []),
                people=src.get("people", []),
                places=src.get("places", []),
                event_types=src.get("event_types", []),
                story_id=src.get("story_id"),
            )
        )
    total = resp.get("hits", {}).get("total", 0)
    aggs = dict(resp.get("aggregations") or {})
    histogram = [
        FacetBucket(value=str(b.get("key_as_string") or b["key"]), count=int(b["doc_count"]))
        for b in aggs.pop("histogram", {}).get("buckets", [])
    ]
    facets = {
        name: [
            FacetBucket(
                value=str(b["key"]),
                count=int(b["doc_count"]),
                label=MEDIA_TOPICS.get(str(b["key"]).removeprefix("medtop:"))
                if name == "topics"
                else None,
            )
            for b in agg.get("buckets", [])
        ]
        for name, agg in aggs.items()
    }
    return SearchResult(
        total=int(total["value"] if isinstance(total, dict) else total),
        hits=hits,
        facets=facets,
        histogram=histogram,
        next=_next(resp, size),
    )


def build_story_lookup(result: SearchResult) -> dict[str, Any] | None:
    """Other live members of the hits' story clusters (for 'also from')."""
    stories = sorted({h.story_id for h in result.hits if h.story_id})
    if not stories:
        return None
    return {
        "query": {
            "bool": {
                "filter": [{"terms": {"story_id": stories}}],
                "must_not": [{"terms": {"pubstatus": ["canceled", "withheld"]}}],
            }
        },
        "_source": ["guid", "story_id", "provider", "sources"],
        "size": 200,
    }


def attach_also_from(result: SearchResult, resp: dict[str, Any]) -> SearchResult:
    members: dict[str, list[tuple[str, str]]] = {}
    for h in resp.get("hits", {}).get("hits", []):
        src = h["_source"]
        label = src.get("provider") or ", ".join(src.get("sources") or []) or src["guid"]
        members.setdefault(src.get("story_id") or src["guid"], []).append((src["guid"], label))
    for hit in result.hits:
        others = [label for guid, label in members.get(hit.story_id or "", []) if guid != hit.guid]
        hit.also_from = sorted(set(others))
    return result


def search(es: Elasticsearch, settings: Settings, q: SearchQuery) -> SearchResult:
    body = build_search(q, settings.highlight_max_chars)
    # A cluster stops collecting hits after this and answers with what it has.
    body["timeout"] = f"{int(settings.es_request_timeout_s * 800)}ms"
    resp = es.search(index=settings.dispatch_alias, body=body)
    result = parse_search(dict(resp), q.size)
    lookup = build_story_lookup(result)
    if lookup is not None:
        result = attach_also_from(
            result, dict(es.search(index=settings.dispatch_alias, body=lookup))
        )
    return result


class EventQuery(BaseModel):
    types: list[str] = Field(default_factory=list)
    entities: list[str] = Field(default_factory=list, description="Entity ids or names")
    text: str = ""
    since: IsoDateTime | None = None
    min_confidence: float = Field(default=0.0, ge=0, le=1)
    size: PageSize = 20
    search_after: list[Any] | None = None


def build_event_search(q: EventQuery) -> dict[str, Any]:
    filters: list[dict[str, Any]] = []
    if q.types:
        filters.append({"terms": {"type": q.types}})
    for e in q.entities:
        filters.append(
            {"bool": {"should": [{"term": {"entity_ids": e}}, {"term": {"entity_names": e}}]}}
        )
    if q.since:
        filters.append({"range": {"versioncreated": {"gte": es_time(q.since)}}})
    if q.min_confidence:
        filters.append({"range": {"confidence": {"gte": q.min_confidence}}})
    must = (
        [
            {
                "simple_query_string": {
                    "query": q.text,
                    "fields": ["evidence"],
                    "default_operator": "and",
                }
            }
        ]
        if has_words(q.text)
        else []
    )
    body: dict[str, Any] = {
        "query": {"bool": {"must": must or [{"match_all": {}}], "filter": filters}},
        "size": q.size,
        "sort": [{"versioncreated": "desc"}, {"id": "asc"}],
        "aggs": {
            "types": {"terms": {"field": "type", "size": 30}},
            "entities": {"terms": {"field": "entity_names", "size": 20}},
        },
        "_source": ["event"],
        "track_total_hits": True,
    }
    if q.search_after:
        body["search_after"] = q.search_after
    return body


class EventResult(BaseModel):
    total: int
    events: list[dict[str, Any]]
    facets: dict[str, list[FacetBucket]]
    next: list[Any] | None = None


def parse_event_search(resp: dict[str, Any], size: int = 0) -> EventResult:
    hits = resp.get("hits", {})
    total = hits.get("total", 0)
    return EventResult(
        total=int(total["value"] if isinstance(total, dict) else total),
        events=[h["_source"]["event"] for h in hits.get("hits", [])],
        facets={
            name: [
                FacetBucket(value=str(b["key"]), count=int(b["doc_count"]))
                for b in agg.get("buckets", [])
            ]
            for name, agg in (resp.get("aggregations") or {}).items()
        },
        next=_next(resp, size),
    )

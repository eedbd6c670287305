"""Poll a feed or a content API over HTTP; send each entry once, across restarts.

One poller for RSS/Atom feeds (`wire poll`) and authenticated content APIs serving ninjs
(JSON) or NewsML-G2 (XML), configured per feed by `FeedOptions`:

- **Conditional GET**: ETag / If-Modified-Since on the first page of a poll; 304 ends it.
- **Auth**: extra headers (`Authorization: Bearer …`, an API-key header) and query
  parameters, which the feeds file fills from environment variables.
- **Pages**: `next_page` is a JSON path to the next page's URL (`data.next_page`,
  `links.next`) or `link` for the HTTP `Link: <…>; rel="next"` header; `cursor` is a JSON
  path to a cursor sent back as the `cursor_param` query parameter.
- **Resume**: with `resume`, the last next-page link (or cursor) is kept across polls
  and restarts: a continuation feed, each poll asking for what is new since the last.
  Without it, each poll starts from the URL and follows pages until one holds an entry
  it sent before (listings newest first).
- **Items**: with `items` (a JSON path to the list of items, `data.items`), each item is
  its own document: parsed by the registry, refused alone to the dead-letter topic, and
  remembered by its id and version (`item_id`, `item_version`). Without it, the page is
  parsed whole and each dispatch in it is sent once (an RSS feed, a G2 newsMessage).

The state (validators, resume point, keys of what was sent) is written atomically after
the sink confirmed each page. A page the registry refuses goes to the dead-letter topic
once, not at every poll.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import orjson

from connectors.errors import RefusedInput
from connectors.registry import parse_document
from connectors.sources.live import PollReport, Sink, SourceError
from connectors.sources.state import Ledger, load_json, save_json
from schemas import Dispatch

MAX_REMEMBERED = 10_000
DEFAULT_ITEM_ID = ("uri", "guid", "id", "altids.itemid", "item.uri", "item.altids.itemid")
DEFAULT_ITEM_VERSION = ("version", "item.version", "versioncreated", "item.versioncreated")


@dataclass
class FeedState:
    etag: str | None = None
    last_modified: str | None = None
    validated_url: str | None = None  # the URL the validators came from
    resume_url: str | None = None
    sent: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> FeedState:
        raw = load_json(path)
        return cls(
            raw.get("etag"),
            raw.get("last_modified"),
            raw.get("validated_url"),
            raw.get("resume_url"),
            list(raw.get("sent", [])),
        )

    def save(self, path: Path) -> None:
        save_json(
            path,
            {
                "etag": self.etag,
                "last_modified": self.last_modified,
                "validated_url": self.validated_url,
                "resume_url": self.resume_url,
                "sent": self.sent[-MAX_REMEMBERED:],
            },
        )


@dataclass(frozen=True)
class FeedOptions:
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    items: str | None = None
    item_id: Sequence[str] = DEFAULT_ITEM_ID
    item_version: Sequence[str] = DEFAULT_ITEM_VERSION
    next_page: str | None = None  # JSON path, or "link"
    cursor: str | None = None  # JSON path
    cursor_param: str = "cursor"
    resume: bool = False
    max_pages: int = 10
    fmt: str | None = None
    max_page_bytes: int | None = None  # default: the document limit (x4 when split in items)
    secret_params: Sequence[str] = ()  # query parameters never shown (sources, logs, state)


@dataclass
class FeedReport(PollReport):
    status: int = 0  # of the first page
    pages: int = 0
    new: list[str] = field(default_factory=list)  # guids (whole pages) or item keys


def entry_key(d: Dispatch) -> str:
    """An entry is 'the same' while its guid, version and content are."""
    stamp = d.versioncreated.isoformat() if d.versioncreated else ""
    body = hashlib.sha256("\n".join([d.headline or "", *d.body]).encode()).hexdigest()[:16]
    return f"{d.guid}|{d.version}|{stamp}|{body}"


def state_path(state_dir: Path, url: str) -> Path:
    return state_dir / f"{hashlib.sha1(url.encode()).hexdigest()}.json"


def json_path(obj: Any, path: str) -> Any:
    """`a.b.0.c` into nested objects and lists; None where a step is missing."""
    for step in path.split(".") if path else []:
        if isinstance(obj, dict):
            obj = obj.get(step)
        elif isinstance(obj, list) and step.lstrip("-").isdigit():
            i = int(step)
            obj = obj[i] if -len(obj) <= i < len(obj) else None
        else:
            return None
    return obj


def item_key(item: Any, id_paths: Sequence[str], version_paths: Sequence[str]) -> str:
    """id|version from the first paths that hold a value, else the hash of the item."""
    ident = next((v for p in id_paths if (v := json_path(item, p)) not in (None, "")), None)
    if ident is None or isinstance(ident, dict | list):
        canonical = orjson.dumps(item, option=orjson.OPT_SORT_KEYS)
        return "sha256:" + hashlib.sha256(canonical).hexdigest()
    version = next((v for p in version_paths if (v := json_path(item, p)) not in (None, "")), "")
    return f"{ident}|{version}"


def with_param(url: str, name: str, value: str) -> str:
    return str(httpx.URL(url).copy_set_param(name, value))


class FeedPoller:
    def __init__(
        self,
        url: str,
        state_file: Path,
        client: httpx.Client,
        max_bytes: int,
        options: FeedOptions | None = None,
    ) -> None:
        self.url, self.state_file, self.client, self.max_bytes = url, state_file, client, max_bytes
        self.options = options or FeedOptions()
        self.state = FeedState.load(state_file)
        self._sent = Ledger(self.state.sent, limit=MAX_REMEMBERED)

    def redact(self, url: str) -> str:
        """`url` without the secret query parameters (an API key sent as a parameter):
        what sources, messages and the state file show. Requests add them back."""
        u = httpx.URL(url)
        for name in self.options.secret_params:
            u = u.copy_remove_param(name)
        return str(u)

    @property
    def page_limit(self) -> int:
        o = self.options
        return o.max_page_bytes or self.max_bytes * (4 if o.items else 1)

    def _get(self, url: str, headers: dict[str, str]) -> tuple[httpx.Response, bytes, bool]:
        """Status and body (at most the page limit + 1 bytes; True when cut)."""
        limit = self.page_limit
        try:
            # (httpx's params= would replace the query of a next-page URL: merge instead)
            target = httpx.URL(url).copy_merge_params(self.options.params)
            with self.client.stream("GET", target, headers=self.options.headers | headers) as resp:
                chunks, got = [], 0
                if resp.status_code == 200:
                    for chunk in resp.iter_bytes():
                        chunks.append(chunk)
                        got += len(chunk)
                        if got > limit:
                            break
                return resp, b"".join(chunks), got > limit
        except httpx.HTTPError as exc:
            raise SourceError(
                f"cannot fetch {self.redact(url)}: {exc or type(exc).__name__}"
            ) from exc

    def poll_once(self, sink: Sink) -> FeedReport:
        rep = FeedReport()
        o, st = self.options, self.state
        url = st.resume_url if o.resume and st.resume_url else self.url
        for page_no in range(o.max_pages):
            headers: dict[str, str] = {}
            if page_no == 0 and st.validated_url in (None, self.redact(url)):
                if st.etag:
                    headers["If-None-Match"] = st.etag
                if st.last_modified:
                    headers["If-Modified-Since"] = st.last_modified
            resp, body, cut = self._get(url, headers)
            if page_no == 0:
                rep.status = resp.status_code
            if resp.status_code == 304:
                break
            if resp.status_code != 200:
                hint = " (check the feed's credentials)" if resp.status_code in (401, 403) else ""
                raise SourceError(f"HTTP {resp.status_code} from {self.redact(url)}{hint}")
            rep.pages += 1
            seen, new = self._ingest(self.redact(url), body, cut, sink, rep)
            nxt = None if cut else self._next(url, body, resp)
            if page_no == 0:
                st.etag = resp.headers.get("ETag")
                st.last_modified = resp.headers.get("Last-Modified")
                st.validated_url = self.redact(url)
            if o.resume and nxt:
                st.resume_url = self.redact(nxt)
            st.sent = list(self._sent.to_dict())
            st.save(self.state_file)  # the sink confirmed this page
            caught_up = seen == 0 if o.resume else new < seen or seen == 0
            if not nxt or nxt == url or caught_up:
                break
            url = nxt
        return rep

    def _ingest(
        self, url: str, body: bytes, cut: bool, sink: Sink, rep: FeedReport
    ) -> tuple[int, int]:
        """Send what is new on one page; (entries seen, entries new)."""
        if cut:
            size = f"over {self.page_limit / 1_048_576:.1f} MiB"
            return self._refuse_page(url, body, f"page is {size}: not read further", sink, rep)
        if self.options.items:
            return self._ingest_items(url, body, sink, rep)
        try:
            parsed = parse_document(
                body,
                source=url,
                received_at=datetime.now(UTC),
                max_bytes=self.max_bytes,
                fmt=self.options.fmt,
            )
        except RefusedInput as exc:
            return self._refuse_page(url, body, exc.reason, sink, rep, exc)
        except Exception as exc:  # a parser bug on odd input is a refusal, not a crash
            return self._refuse_page(
                url, body, f"parser error: {type(exc).__name__}: {exc}", sink, rep
            )
        new = [d for d in parsed.dispatches if entry_key(d) not in self._sent]
        if new:
            sink.publish_dispatches(new)  # raises if not acknowledged: state left as it was
        for d in new:
            self._sent.add(entry_key(d))
        rep.sent += len(new)
        rep.skipped += len(parsed.dispatches) - len(new)
        rep.new.extend(d.guid for d in new)
        return len(parsed.dispatches), len(new)

    def _ingest_items(self, url: str, body: bytes, sink: Sink, rep: FeedReport) -> tuple[int, int]:
        path = self.options.items or ""
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            return self._refuse_page(url, body, f"page is not JSON ({exc})", sink, rep)
        items = json_path(doc, path)
        if items is None:
            items = []  # an empty page may leave the list out
        if not isinstance(items, list):
            return self._refuse_page(url, body, f"'{path}' is not a list of items", sink, rep)
        new = 0
        for item in items:
            key = item_key(item, self.options.item_id, self.options.item_version)
            if key in self._sent:
                rep.skipped += 1
                continue
            data = orjson.dumps(item)
            result = sink.publish(data, f"{url}#{key}", fmt=self.options.fmt)
            if result.refused:
                rep.refused += 1
                rep.notes.append(f"item {key} refused: {result.refused}")
            else:
                rep.sent += 1
            self._sent.add(key)
            rep.new.append(key)
            new += 1
        return len(items), new

    def _refuse_page(
        self,
        url: str,
        body: bytes,
        reason: str,
        sink: Sink,
        rep: FeedReport,
        exc: RefusedInput | None = None,
    ) -> tuple[int, int]:
        key = "page:" + hashlib.sha256(body).hexdigest()
        if key in self._sent:  # the same unreadable page again: one dead letter is enough
            rep.skipped += 1
            return 0, 0
        refusal = exc or RefusedInput(reason)
        sink.publish(body, url, fmt=self.options.fmt, refused=refusal)
        self._sent.add(key)
        rep.refused += 1
        rep.notes.append(f"{url} refused: {reason}")
        return 0, 0

    def _next(self, url: str, body: bytes, resp: httpx.Response) -> str | None:
        o = self.options
        if o.next_page == "link":
            link = resp.links.get("next", {}).get("url")
            return urljoin(url, link) if link else None
        if not (o.next_page or o.cursor):
            return None
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        if o.next_page:
            value = json_path(doc, o.next_page)
            return urljoin(url, value) if isinstance(value, str) and value else None
        cursor = json_path(doc, o.cursor or "")
        if cursor in (None, ""):
            return None
        return with_param(self.url, o.cursor_param, str(cursor))

    def check(self) -> list[str]:
        """Fetch the first page (unconditionally) and say what a poll would send."""
        url = self.state.resume_url if self.options.resume and self.state.resume_url else self.url
        resp, body, cut = self._get(url, {})
        lines = [
            f"GET {self.redact(url)}: HTTP {resp.status_code}, {len(body)} bytes{' (cut)' if cut else ''}"
        ]
        if resp.status_code != 200 or cut:
            return lines
        if self.options.items:
            try:
                items = json_path(orjson.loads(body), self.options.items) or []
            except orjson.JSONDecodeError as exc:
                return [*lines, f"not JSON: {exc}"]
            keys = [
                item_key(i, self.options.item_id, self.options.item_version)
                for i in (items if isinstance(items, list) else [])
            ]
            fresh = [k for k in keys if k not in self._sent]
            lines.append(f"{len(keys)} item(s) on the page, {len(fresh)} not sent yet")
        else:
            try:
                parsed = parse_document(
                    body,
                    source=url,
                    received_at=datetime.now(UTC),
                    max_bytes=self.max_bytes,
                    fmt=self.options.fmt,
                )
            except RefusedInput as exc:
                return [*lines, f"refused: {exc.reason}"]
            fresh_d = [d for d in parsed.dispatches if entry_key(d) not in self._sent]
            lines.append(
                f"{parsed.format}: {len(parsed.dispatches)} dispatch(es), "
                f"{len(fresh_d)} not sent yet"
            )
        nxt = self._next(url, body, resp)
        if nxt:
            lines.append(f"next page: {nxt}")
        return lines

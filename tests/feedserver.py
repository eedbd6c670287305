"""A real HTTP server on 127.0.0.1 serving a feed with ETag / Last-Modified, for poller tests."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Feed:
    def __init__(self, body: bytes) -> None:
        self.body = body
        self.requests: list[dict[str, str]] = []

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'


@contextmanager
def serve_feed(feed: Feed) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            feed.requests.append(dict(self.headers))
            if self.headers.get("If-None-Match") == feed.etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("ETag", feed.etag)
            self.send_header("Content-Length", str(len(feed.body)))
            self.end_headers()
            self.wfile.write(feed.body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/afp/eco.rss"
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------- a content API


def ninjs_item(tag: str, version: int = 1, words: str = "") -> dict[str, object]:
    """A ninjs 1.x item of its own: uri urn:test:<tag>."""
    return {
        "uri": f"urn:test:{tag}",
        "type": "text",
        "version": str(version),
        "versioncreated": "2025-03-27T10:34:00Z",
        "language": "fr",
        "headline": f"La start-up {tag} lève 12 millions d'euros",
        "located": "Paris, 27 mars 2025 (AFP) -",
        "body_text": (
            f"<p>La start-up parisienne {tag} a levé 12 millions d'euros auprès du fonds "
            f"Partech, a-t-elle annoncé jeudi. {words}</p><p>afp/ab</p>"
        ),
    }


G2_ITEM = """<newsItem guid="urn:test:{tag}" version="{version}" standard="NewsML-G2" standardversion="2.29" xml:lang="fr">
  <itemMeta><itemClass qcode="ninat:text"/><provider qcode="nprov:AFP"/>
    <versionCreated>2025-03-27T10:34:00Z</versionCreated><pubStatus qcode="stat:usable"/></itemMeta>
  <contentMeta><headline>La start-up {tag} lève 12 millions d'euros</headline><language tag="fr"/></contentMeta>
  <contentSet><inlineXML contenttype="application/nitf+xml"><nitf xmlns="http://iptc.org/std/NITF/2006-10-18/">
    <body><body.content><p>Paris (AFP) - La start-up {tag} a levé 12 millions d'euros, a-t-elle annoncé jeudi.</p></body.content></body>
  </nitf></inlineXML></contentSet>
</newsItem>"""


class ContentApi:
    """An agency content API on 127.0.0.1 behind a bearer token or an API key header.

    - `/v1/feed?cursor=N`: ninjs items from position N (oldest first), `page_size` a page,
      `{"data": {"items": [...], "next_page": <URL of what comes next>}}`: a continuation
      feed; `next_page` is always there, an empty page says "nothing new yet".
    - `/v1/latest?page=N`: newest first, `{"items": [...], "links": {"next": ...}}` while
      more pages remain.
    - `/g2/feed?page=N`: NewsML-G2 newsMessage pages, newest first, the next page in the
      `Link` header.
    Every response has an ETag; If-None-Match answers 304. `down` answers 503.
    """

    def __init__(self, items: list[dict[str, object]], page_size: int = 2) -> None:
        self.items = items
        self.page_size = page_size
        self.token = "t0k3n"
        self.api_key = "k3y"
        self.down = False
        self.requests: list[tuple[str, dict[str, str]]] = []

    def authorised(self, headers: dict[str, str]) -> bool:
        return (
            headers.get("Authorization") == f"Bearer {self.token}"
            or headers.get("X-API-Key") == self.api_key
        )


@contextmanager
def serve_api(api: ContentApi) -> Iterator[str]:
    """Yields the base URL (http://127.0.0.1:PORT)."""
    import json
    from urllib.parse import parse_qs, urlsplit

    class Handler(BaseHTTPRequestHandler):
        def _send(
            self, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None
        ) -> None:
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            if status == 200 and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            if status == 200:
                self.send_header("ETag", etag)
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            api.requests.append((self.path, dict(self.headers)))
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            if api.down:
                self._send(503, b'{"error": "maintenance"}', "application/json")
                return
            if not api.authorised(dict(self.headers)):
                self._send(401, b'{"error": "unauthorised"}', "application/json")
                return
            size = api.page_size
            if url.path == "/v1/feed":
                start = int(query.get("cursor", "0"))
                page = api.items[start : start + size]
                nxt = f"{base}/v1/feed?cursor={start + len(page)}"
                body = {"data": {"items": page, "next_page": nxt}}
                self._send(200, json.dumps(body).encode(), "application/json")
            elif url.path == "/v1/latest":
                n = int(query.get("page", "0"))
                newest = api.items[::-1]
                page = newest[n * size : (n + 1) * size]
                links = {"next": f"/v1/latest?page={n + 1}"} if (n + 1) * size < len(newest) else {}
                self._send(
                    200, json.dumps({"items": page, "links": links}).encode(), "application/json"
                )
            elif url.path == "/g2/feed":
                n = int(query.get("page", "0"))
                page = api.items[::-1][n * size : (n + 1) * size]
                xml = (
                    '<?xml version="1.0" encoding="UTF-8"?>\n'
                    '<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/"><header>'
                    "<sent>2025-03-27T10:35:00Z</sent></header><itemSet>"
                    + "".join(
                        G2_ITEM.format(tag=str(i["uri"]).rsplit(":", 1)[-1], version=i["version"])
                        for i in page
                    )
                    + "</itemSet></newsMessage>"
                ).encode()
                extra = (
                    {"Link": f'</g2/feed?page={n + 1}>; rel="next"'}
                    if (n + 1) * size < len(api.items)
                    else {}
                )
                self._send(200, xml, "application/vnd.iptc.g2.newsmessage+xml", extra)
            else:
                self._send(404, b'{"error": "no such route"}', "application/json")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()

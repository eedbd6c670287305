"""TLS in front of the local stack, for the secured-cluster test (127.0.0.1 only).

The local broker and search node speak plaintext and know nothing of TLS or SASL, so
these proxies play the secured cluster:

- `KafkaTlsProxy` terminates TLS (optionally requiring a client certificate), does SASL
  PLAIN itself (a client that sends anything but ApiVersions before authenticating is
  cut off, as a SASL listener does), and forwards the Kafka protocol to the broker. The
  broker advertises its own port in Metadata / FindCoordinator / DescribeCluster
  answers; the proxy rewrites that port to its own, so every later connection comes back
  through TLS too.
- `HttpsProxy` terminates TLS in front of Elasticsearch, requires a client certificate
  and refuses (401) a connection whose first request lacks the expected Authorization.

Both run on their own event loop in a thread and count who connected.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import struct
import threading
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from kafka.protocol.sasl import (
    SaslAuthenticateRequest,
    SaslAuthenticateResponse,
    SaslHandshakeResponse,
)

from tests.tls import Certs

API_VERSIONS, SASL_HANDSHAKE, SASL_AUTHENTICATE = 18, 17, 36
ADDRESS_ANSWERS = {3, 10, 60}  # Metadata, FindCoordinator, DescribeCluster
SASL_AUTHENTICATION_FAILED = 58


def server_context(certs: Certs, *, require_client_cert: bool) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certs.server_cert, certs.server_key)
    if require_client_cert:
        ctx.load_verify_locations(certs.ca)
        ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


@dataclass
class Seen:
    """What the proxy saw: authenticated client ids, refusals, TLS failures."""

    clients: Counter[str] = field(default_factory=Counter)
    refused: list[str] = field(default_factory=list)
    handshake_failures: int = 0


class _Loop:
    """An asyncio loop in a daemon thread, serving one listener on 127.0.0.1."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server: asyncio.Server | None = None
        self.port = 0
        self.open: set[asyncio.StreamWriter] = set()  # closed at the end, ending handlers

    def serve(
        self,
        handler: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
        ctx: ssl.SSLContext,
    ) -> int:
        self.thread.start()

        async def start() -> asyncio.Server:
            return await asyncio.start_server(handler, "127.0.0.1", 0, ssl=ctx)

        self.server = asyncio.run_coroutine_threadsafe(start(), self.loop).result(10)
        self.port = int(self.server.sockets[0].getsockname()[1])
        self.loop.set_exception_handler(self._quiet)
        return self.port

    def _quiet(self, loop: asyncio.AbstractEventLoop, context: dict[str, object]) -> None:
        """TLS handshakes refused on purpose are not errors of the test."""
        exc = context.get("exception")
        if isinstance(exc, ssl.SSLError | ConnectionError | OSError):
            self.on_handshake_failure()
            return
        loop.default_exception_handler(context)

    def on_handshake_failure(self) -> None:
        pass

    def close(self) -> None:
        async def stop() -> None:
            if self.server is not None:
                self.server.close()
            for w in list(self.open):
                with contextlib.suppress(Exception):
                    w.close()
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            await asyncio.wait(others, timeout=3) if others else None

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(stop(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


async def _frame(reader: asyncio.StreamReader) -> bytes:
    size = struct.unpack(">i", await reader.readexactly(4))[0]
    return await reader.readexactly(size)


def _framed(payload: bytes) -> bytes:
    return struct.pack(">i", len(payload)) + payload


def _client_id(payload: bytes) -> str:
    """The client_id of a request header (v1/v2: after api key, version, correlation id)."""
    (length,) = struct.unpack(">h", payload[8:10])
    return payload[10 : 10 + length].decode(errors="replace") if length > 0 else ""


class KafkaTlsProxy(_Loop):
    """TLS + SASL/PLAIN in front of a plaintext Kafka broker on 127.0.0.1:`upstream`."""

    def __init__(
        self,
        upstream: int,
        certs: Certs,
        users: dict[str, str],
        *,
        require_client_cert: bool = True,
    ) -> None:
        super().__init__()
        self.upstream = upstream
        self.users = users
        self.seen = Seen()
        self.ctx = server_context(certs, require_client_cert=require_client_cert)

    def start(self) -> int:
        return self.serve(self._handle, self.ctx)

    def on_handshake_failure(self) -> None:
        self.seen.handshake_failures += 1

    def _rewrite(self, payload: bytes) -> bytes:
        """The broker's advertised 127.0.0.1:<upstream> -> 127.0.0.1:<proxy> (same length)."""
        host = b"127.0.0.1"
        return payload.replace(
            host + struct.pack(">i", self.upstream), host + struct.pack(">i", self.port)
        )

    def _check_plain(self, token: bytes) -> str | None:
        """'\\0user\\0password' -> user when the password is right."""
        parts = token.split(b"\0")
        if len(parts) != 3:
            return None
        user, password = parts[1].decode(errors="replace"), parts[2].decode(errors="replace")
        return user if self.users.get(user) == password else None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open.add(writer)
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream)
        except OSError:
            writer.close()
            return
        self.open.add(up_writer)
        pending: dict[int, int] = {}  # correlation id -> api key, for answers to rewrite
        state = {"user": None, "raw_token": False}

        def answer(message: object, correlation_id: int) -> None:
            message.with_header(correlation_id=correlation_id)  # type: ignore[attr-defined]
            writer.write(message.encode(header=True, framed=True))  # type: ignore[attr-defined]

        async def upward() -> None:
            while True:
                payload = await _frame(reader)
                if state["raw_token"]:  # SASL v0: the token travels unframed by Kafka headers
                    state["raw_token"] = False
                    user = self._check_plain(payload)
                    if user is None:
                        self.seen.refused.append("bad password")
                        return
                    state["user"] = user
                    writer.write(_framed(b""))
                    continue
                api_key, version, correlation_id = struct.unpack(">hhi", payload[:8])
                if api_key == SASL_HANDSHAKE:
                    answer(
                        SaslHandshakeResponse(error_code=0, mechanisms=["PLAIN"], version=version),
                        correlation_id,
                    )
                    state["raw_token"] = version == 0
                elif api_key == SASL_AUTHENTICATE:
                    request = SaslAuthenticateRequest.decode(payload, version=version, header=True)
                    user = self._check_plain(bytes(request.auth_bytes))
                    ok = user is not None
                    answer(
                        SaslAuthenticateResponse(
                            error_code=0 if ok else SASL_AUTHENTICATION_FAILED,
                            error_message=None if ok else "Authentication failed: bad password",
                            auth_bytes=b"",
                            session_lifetime_ms=0,
                            version=version,
                        ),
                        correlation_id,
                    )
                    if not ok:
                        self.seen.refused.append("bad password")
                        await writer.drain()
                        return
                    state["user"] = user
                    self.seen.clients[_client_id(payload)] += 1
                elif state["user"] is None and api_key != API_VERSIONS:
                    self.seen.refused.append(f"api {api_key} before authenticating")
                    return
                else:
                    pending[correlation_id] = api_key
                    up_writer.write(_framed(payload))
                await up_writer.drain()
                await writer.drain()

        async def downward() -> None:
            while True:
                payload = await _frame(up_reader)
                (correlation_id,) = struct.unpack(">i", payload[:4])
                if pending.pop(correlation_id, None) in ADDRESS_ANSWERS:
                    payload = self._rewrite(payload)
                writer.write(_framed(payload))
                await writer.drain()

        await _pipe(upward(), downward(), writer, up_writer)


class HttpsProxy(_Loop):
    """TLS with a required client certificate, and an Authorization check, in front of
    a plaintext HTTP server on 127.0.0.1:`upstream`."""

    def __init__(self, upstream: int, certs: Certs, authorization: str) -> None:
        super().__init__()
        self.upstream = upstream
        self.authorization = authorization.encode()
        self.seen = Seen()
        self.ctx = server_context(certs, require_client_cert=True)

    def start(self) -> int:
        return self.serve(self._handle, self.ctx)

    def on_handshake_failure(self) -> None:
        self.seen.handshake_failures += 1

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open.add(writer)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        headers = {
            k.strip().lower(): v.strip()
            for k, _, v in (line.partition(b":") for line in head.split(b"\r\n")[1:] if line)
        }
        if headers.get(b"authorization") != self.authorization:
            self.seen.refused.append("missing or wrong Authorization")
            writer.write(
                b"HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\n"
                b"X-Elastic-Product: Elasticsearch\r\ncontent-length: 2\r\n"
                b"connection: close\r\n\r\n{}"
            )
            await writer.drain()
            writer.close()
            return
        self.seen.clients[headers.get(b"user-agent", b"").decode().split("/")[0]] += 1
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream)
        self.open.add(up_writer)
        up_writer.write(head)

        async def copy(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()

        await _pipe(copy(reader, up_writer), copy(up_reader, writer), writer, up_writer)


async def _pipe(a: Awaitable[None], b: Awaitable[None], *writers: asyncio.StreamWriter) -> None:
    """Run both directions until either ends (or fails), then close both sides."""

    async def quietly(c: Awaitable[None]) -> None:
        with contextlib.suppress(Exception):
            await c

    tasks = [asyncio.ensure_future(quietly(a)), asyncio.ensure_future(quietly(b))]
    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for w in writers:
        with contextlib.suppress(Exception):
            w.close()
    await asyncio.wait(tasks, timeout=3)

"""Real local receivers for alert delivery tests: an HTTP server that records (and can
refuse) webhook calls, and an SMTP server (aiosmtpd) that records what it is sent."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Call:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver:
    url: str
    calls: list[Call] = field(default_factory=list)
    fail_first: int = 0  # answer 500 to this many calls first


@contextmanager
def webhook_receiver(fail_first: int = 0) -> Iterator[WebhookReceiver]:
    box: dict[str, WebhookReceiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            rec = box["r"]
            rec.calls.append(Call(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            failing = len(rec.calls) <= rec.fail_first
            self.send_response(500 if failing else 200)
            self.end_headers()
            self.wfile.write(b"try later" if failing else b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box["r"] = WebhookReceiver(f"http://127.0.0.1:{server.server_port}/hook", fail_first=fail_first)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box["r"]
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Mailbox:
    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            msg = message_from_bytes(envelope.content, policy=policy.default)
            assert isinstance(msg, EmailMessage)
            box.messages.append(msg)
            box.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            return "250 OK"

    with socket.socket() as sock:  # aiosmtpd needs a port it can connect to, not 0
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    box = Mailbox("127.0.0.1", port)
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()

"""Real servers on 127.0.0.1 for the live-source tests: FTP and FTPS (pyftpdlib), SFTP
(asyncssh's server), IMAP (pymap, in its own process), and a sink that records what a
source hands to the publisher (parsed by the real registry, as the Publisher does)."""

from __future__ import annotations

import asyncio
import datetime as dt
import imaplib
import ipaddress
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors.errors import RefusedInput
from connectors.registry import parse_document
from schemas import Dispatch

USER, PASSWORD = "wire", "s3cret-pw"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------- the sink


@dataclass
class Delivery:
    source: str
    data: bytes
    guids: list[str] = field(default_factory=list)
    refused: str | None = None


class MemorySink:
    """Parses like `Publisher.publish` and keeps what would have gone to Kafka.
    `fail_next` makes the next publication raise, as an unacknowledged send does."""

    def __init__(self, max_bytes: int = 5 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self.deliveries: list[Delivery] = []
        self.dispatches: list[Dispatch] = []
        self.fail_next = False

    def _check(self) -> None:
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("Kafka did not acknowledge")

    def publish(
        self,
        data: bytes,
        source: str,
        *,
        encoding: str | None = None,
        fmt: str | None = None,
        refused: RefusedInput | None = None,
        wait: bool = True,
    ) -> Delivery:
        self._check()
        out = Delivery(source, data)
        if refused is None:
            try:
                parsed = parse_document(
                    data,
                    source=source,
                    received_at=dt.datetime.now(dt.UTC),
                    max_bytes=self.max_bytes,
                    encoding=encoding,
                    fmt=fmt,
                )
            except RefusedInput as exc:
                refused = exc
            else:
                out.guids = [d.guid for d in parsed.dispatches]
                self.dispatches.extend(parsed.dispatches)
        out.refused = refused.reason if refused else None
        self.deliveries.append(out)
        return out

    def publish_dispatches(self, dispatches: list[Dispatch]) -> None:
        self._check()
        self.dispatches.extend(dispatches)
        for d in dispatches:
            self.deliveries.append(Delivery(d.source or "", b"", [d.guid]))

    @property
    def sent(self) -> list[str]:
        return [d.source for d in self.deliveries if not d.refused]

    @property
    def refused(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.refused]


def dispatch_text(tag: str, words: str = "") -> bytes:
    """A plain-text wire dispatch of its own (its guid is the hash of its text)."""
    return (
        f"Paris (AFP) - Le groupe {tag} a annoncé jeudi une levée de fonds de 12 millions "
        f"d'euros auprès de ses actionnaires historiques. {words}\n\nafp/ab\n"
    ).encode()


# ---------------------------------------------------------------- TLS


@dataclass(frozen=True)
class SelfSigned:
    cert: Path
    key: Path


def self_signed(folder: Path) -> SelfSigned:
    """A certificate for 127.0.0.1 and localhost, made now with `cryptography`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wirestream test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    out = SelfSigned(folder / "cert.pem", folder / "key.pem")
    out.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    out.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return out


# ---------------------------------------------------------------- FTP / FTPS


@contextmanager
def ftp_server(root: Path, tls: SelfSigned | None = None) -> Iterator[int]:
    """pyftpdlib serving `root` to USER/PASSWORD (TLS required on both channels with `tls`)."""
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler, TLS_FTPHandler
    from pyftpdlib.ioloop import IOLoop
    from pyftpdlib.servers import FTPServer

    authorizer = DummyAuthorizer()
    authorizer.add_user(USER, PASSWORD, str(root), perm="elradfmwMT")
    attrs: dict[str, Any] = {"authorizer": authorizer, "banner": "wirestream test FTP"}
    if tls is not None:
        attrs |= {
            "certfile": str(tls.cert),
            "keyfile": str(tls.key),
            "tls_control_required": True,
            "tls_data_required": True,
        }
    handler = type("Handler", (TLS_FTPHandler if tls else FTPHandler,), attrs)
    # Its own IO loop: two servers in one process must not share pyftpdlib's default one.
    server = FTPServer(("127.0.0.1", 0), handler, ioloop=IOLoop())
    port = int(server.socket.getsockname()[1])
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            server.serve_forever(timeout=0.05, blocking=False, handle_exit=False)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        stop.set()
        thread.join(5)
        server.close_all()


# ---------------------------------------------------------------- SFTP


@dataclass
class SftpServer:
    port: int
    known_hosts: Path  # a known_hosts file trusting this server's host key


@contextmanager
def sftp_server(root: Path, folder: Path) -> Iterator[SftpServer]:
    """asyncssh's SFTP server, chrooted to `root`, password login for USER."""
    import asyncssh

    host_key = asyncssh.generate_private_key("ssh-ed25519")
    loop = asyncio.new_event_loop()

    class Server(asyncssh.SSHServer):
        def begin_auth(self, username: str) -> bool:
            return True

        def password_auth_supported(self) -> bool:
            return True

        def validate_password(self, username: str, password: str) -> bool:
            return username == USER and password == PASSWORD

    def sftp_factory(chan: Any) -> asyncssh.SFTPServer:
        return asyncssh.SFTPServer(chan, chroot=str(root).encode())

    acceptor = loop.run_until_complete(
        asyncssh.listen(
            "127.0.0.1",
            0,
            server_host_keys=[host_key],
            server_factory=Server,
            sftp_factory=sftp_factory,
            allow_scp=False,
        )
    )
    port = int(acceptor.sockets[0].getsockname()[1])
    known = folder / "known_hosts"
    known.write_text(f"[127.0.0.1]:{port} {host_key.export_public_key().decode().strip()}\n")
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield SftpServer(port, known)
    finally:

        async def close() -> None:
            acceptor.close()
            await acceptor.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


# ---------------------------------------------------------------- IMAP


@dataclass
class ImapServer:
    port: int
    process: subprocess.Popen[bytes]
    tls: SelfSigned | None = None

    def client(self) -> imaplib.IMAP4:
        c = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        if self.tls:
            c.starttls(ssl.create_default_context(cafile=str(self.tls.cert)))
        c.login(USER, PASSWORD)
        return c

    def append(self, *messages: bytes, mailbox: str = "INBOX") -> None:
        """Deliver messages over IMAP itself (APPEND), as a mail server's delivery would."""
        c = self.client()
        try:
            for m in messages:
                typ, data = c.append(mailbox, None, None, m)
                assert typ == "OK", data
        finally:
            c.logout()

    def uids(self, mailbox: str = "INBOX", criteria: str = "ALL") -> list[int]:
        c = self.client()
        try:
            c.select(f'"{mailbox}"', readonly=True)
            typ, data = c.uid("SEARCH", criteria)
            assert typ == "OK", data
            return [int(u) for u in (data[0] or b"").split()]
        finally:
            c.logout()


@contextmanager
def imap_server(tls: SelfSigned | None = None) -> Iterator[ImapServer]:
    """pymap (MIT) with its in-memory backend, in its own process: a real IMAP4rev1
    server (UIDPLUS, MOVE) that knows USER/PASSWORD and starts with an empty INBOX.
    With `tls`, it offers STARTTLS with that certificate."""
    port = free_port()
    tls_args = ["--cert", str(tls.cert), "--key", str(tls.key)] if tls else ["--no-tls"]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from pymap.main import main; main()",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *tls_args,
            "dict",
            "--demo-user",
            USER,
            "--demo-password",
            PASSWORD,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if s.recv(100).startswith(b"* OK"):
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"pymap did not start: {proc.communicate()[1][-2000:]!r}")
        time.sleep(0.1)
    try:
        yield ImapServer(port, proc, tls)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()


def email(subject: str, body: bytes, message_id: str) -> bytes:
    return (
        f"From: AFP Desk <desk@afp.example>\r\nTo: wire@newsroom.example\r\n"
        f"Subject: {subject}\r\nMessage-ID: <{message_id}>\r\n"
        "Date: Thu, 27 Mar 2025 10:34:00 +0000\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode() + body.replace(b"\n", b"\r\n")

"""SFTP folders, with asyncssh (EPL-2.0: see README, Licences) driven from a private loop.

The server's host key is checked against a known_hosts file (the user's by default);
`host_key_check: false` turns that off and says so in the feed listing. Authentication by
password and/or private key files (with an optional passphrase).
"""

from __future__ import annotations

import asyncio
import posixpath
from collections.abc import Coroutine, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import asyncssh

from connectors.sources.live import SourceError
from connectors.sources.remote import RemoteFile

T = TypeVar("T")


@dataclass(frozen=True)
class SftpAddress:
    host: str
    port: int = 22
    path: str = "."
    username: str | None = None
    password: str | None = None
    key_files: Sequence[str] = field(default_factory=tuple)
    passphrase: str | None = None
    known_hosts: str | None = None  # a known_hosts file; None: ~/.ssh/known_hosts
    host_key_check: bool = True
    timeout: float = 30.0


class SftpFolder:
    def __init__(self, loop: asyncio.AbstractEventLoop, sftp: asyncssh.SFTPClient, path: str):
        self.loop, self.sftp, self.path = loop, sftp, path

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)

    def _full(self, name: str) -> str:
        return posixpath.join(self.path, name)

    def listing(self) -> list[RemoteFile]:
        return [
            RemoteFile(
                e.filename if isinstance(e.filename, str) else e.filename.decode(),
                e.attrs.size or 0,
                str(e.attrs.mtime) if e.attrs.mtime is not None else "",
            )
            for e in self._run(self.sftp.readdir(self.path))
            if e.attrs.type == asyncssh.FILEXFER_TYPE_REGULAR
        ]

    def read(self, name: str, limit: int) -> bytes:
        async def read() -> bytes:
            async with self.sftp.open(self._full(name), "rb") as fh:
                data: bytes = await fh.read(limit)
                return data

        try:
            return self._run(read())
        except asyncssh.SFTPError as exc:  # gone, or not ours to read
            raise SourceError(f"cannot read {name}: {exc.reason}") from exc

    def move(self, name: str, folder: str) -> str:
        target_dir = folder if folder.startswith("/") else posixpath.join(self.path, folder)
        target = posixpath.join(target_dir, name)

        async def move() -> str:
            await self.sftp.makedirs(target_dir, exist_ok=True)
            if await self.sftp.exists(target):  # keep both, as a drop folder does
                stem, ext = posixpath.splitext(name)
                stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
                moved = posixpath.join(target_dir, f"{stem}.{stamp}{ext}")
            else:
                moved = target
            await self.sftp.rename(self._full(name), moved)
            return moved

        try:
            return self._run(move())
        except asyncssh.SFTPError as exc:
            raise SourceError(exc.reason) from exc

    def delete(self, name: str) -> None:
        try:
            self._run(self.sftp.remove(self._full(name)))
        except asyncssh.SFTPError as exc:
            raise SourceError(exc.reason) from exc


@contextmanager
def connect_sftp(addr: SftpAddress) -> Iterator[SftpFolder]:
    """One SFTP session on `addr.path`; server problems become SourceError."""
    where = f"sftp://{addr.host}:{addr.port}"
    loop = asyncio.new_event_loop()
    options: dict[str, Any] = {
        "username": addr.username,
        "password": addr.password,
        "passphrase": addr.passphrase,
        "connect_timeout": addr.timeout,
        "known_hosts": (addr.known_hosts or ()) if addr.host_key_check else None,
    }
    if addr.key_files:
        options["client_keys"] = list(addr.key_files)
    else:
        options["client_keys"] = None if addr.password else ()
    conn: asyncssh.SSHClientConnection | None = None
    try:
        try:
            conn = loop.run_until_complete(asyncssh.connect(addr.host, addr.port, **options))
            sftp = loop.run_until_complete(conn.start_sftp_client())
        except asyncssh.PermissionDenied as exc:
            raise SourceError(f"{where} refused the login of {addr.username!r}: {exc}") from exc
        except asyncssh.HostKeyNotVerifiable as exc:
            raise SourceError(
                f"{where}: host key not trusted ({exc}); add it to known_hosts"
            ) from exc
        except (TimeoutError, OSError, asyncssh.Error) as exc:
            raise SourceError(f"cannot connect to {where}: {exc or type(exc).__name__}") from exc
        try:
            yield SftpFolder(loop, sftp, addr.path)
        except (OSError, asyncssh.Error) as exc:
            raise SourceError(f"{where}{addr.path}: {exc or type(exc).__name__}") from exc
        finally:
            sftp.exit()
    finally:
        if conn is not None:
            conn.close()
            loop.run_until_complete(conn.wait_closed())
        loop.close()

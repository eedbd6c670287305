"""FTP and explicit FTPS (AUTH TLS, protected data channel) folders, with the stdlib ftplib.

Listing uses MLSD (size and modify facts) and falls back to NLST + SIZE + MDTM on servers
without it. Reads stop after `limit` bytes (the data connection is closed early, so an
oversized file is never fetched whole).
"""

from __future__ import annotations

import ftplib
import posixpath
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime

from connectors.sources.live import SourceError
from connectors.sources.remote import RemoteFile

FTP_ERRORS = (ftplib.Error, OSError, EOFError)


@dataclass(frozen=True)
class FtpAddress:
    host: str
    port: int = 21
    path: str = "/"
    username: str = "anonymous"
    password: str = ""
    tls: bool = False
    verify: bool = True  # check the server's certificate and host name (FTPS)
    ca_file: str | None = None  # trust this CA (a private or self-signed certificate)
    timeout: float = 30.0
    passive: bool = True


def tls_context(verify: bool, ca_file: str | None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=ca_file)
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


class FtpFolder:
    def __init__(self, ftp: ftplib.FTP, path: str) -> None:
        self.ftp = ftp
        self.path = path

    def _full(self, name: str) -> str:
        return posixpath.join(self.path, name)

    def listing(self) -> list[RemoteFile]:
        try:
            entries = list(self.ftp.mlsd(self.path, facts=["type", "size", "modify"]))
        except ftplib.error_perm as exc:
            if not str(exc).startswith(("500", "501", "502", "504")):
                raise
            return self._list_without_mlsd()
        return [
            RemoteFile(name, int(facts.get("size", "0")), facts.get("modify", ""))
            for name, facts in entries
            if facts.get("type", "file") == "file"
        ]

    def _list_without_mlsd(self) -> list[RemoteFile]:
        self.ftp.voidcmd("TYPE I")  # SIZE is defined in binary mode
        files = []
        for entry in self.ftp.nlst(self.path):
            name = posixpath.basename(entry.rstrip("/"))
            try:
                size = self.ftp.size(self._full(name))
            except ftplib.error_perm:  # a folder, or a file we may not read
                continue
            try:
                mtime = self.ftp.voidcmd(f"MDTM {self._full(name)}").split()[-1]
            except ftplib.error_perm:
                mtime = ""
            files.append(RemoteFile(name, size or 0, mtime))
        return files

    def read(self, name: str, limit: int) -> bytes:
        self.ftp.voidcmd("TYPE I")
        chunks: list[bytes] = []
        got = 0
        try:
            conn = self.ftp.transfercmd(f"RETR {self._full(name)}")
        except ftplib.error_perm as exc:  # gone, or not ours to read
            raise SourceError(f"cannot read {name}: {exc}") from exc
        try:
            while got < limit:
                chunk = conn.recv(min(65536, limit - got))
                if not chunk:
                    break
                chunks.append(chunk)
                got += len(chunk)
            complete = got < limit
            if complete and isinstance(conn, ssl.SSLSocket):
                conn.unwrap()
        finally:
            conn.close()
        try:
            self.ftp.voidresp()  # 226 when complete; 426/451 when we stopped early
        except (ftplib.error_temp, ftplib.error_reply, ftplib.error_perm):
            if complete:
                raise
        return b"".join(chunks)

    def move(self, name: str, folder: str) -> str:
        target_dir = folder if folder.startswith("/") else posixpath.join(self.path, folder)
        with suppress(ftplib.error_perm):  # it exists (or we may not: the rename will say)
            self.ftp.mkd(target_dir)
        target = posixpath.join(target_dir, name)
        try:
            try:
                self.ftp.rename(self._full(name), target)
            except ftplib.error_perm:  # some servers refuse to replace: keep both
                stem, ext = posixpath.splitext(name)
                stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
                target = posixpath.join(target_dir, f"{stem}.{stamp}{ext}")
                self.ftp.rename(self._full(name), target)
        except ftplib.error_perm as exc:
            raise SourceError(str(exc)) from exc
        return target

    def delete(self, name: str) -> None:
        try:
            self.ftp.delete(self._full(name))
        except ftplib.error_perm as exc:
            raise SourceError(str(exc)) from exc


@contextmanager
def connect_ftp(addr: FtpAddress) -> Iterator[FtpFolder]:
    """One logged-in FTP(S) session on `addr.path`; server problems become SourceError."""
    where = f"{'ftps' if addr.tls else 'ftp'}://{addr.host}:{addr.port}"
    ftp: ftplib.FTP
    if addr.tls:
        ftp = ftplib.FTP_TLS(context=tls_context(addr.verify, addr.ca_file), timeout=addr.timeout)
    else:
        ftp = ftplib.FTP(timeout=addr.timeout)
    try:
        ftp.connect(addr.host, addr.port)
        if isinstance(ftp, ftplib.FTP_TLS):
            try:
                ftp.auth()
            except ftplib.error_perm as exc:
                raise SourceError(f"{where} offers no TLS (AUTH TLS): {exc}") from exc
        try:
            ftp.login(addr.username, addr.password)
        except ftplib.error_perm as exc:
            raise SourceError(f"{where} refused the login of {addr.username!r}: {exc}") from exc
        if isinstance(ftp, ftplib.FTP_TLS):
            ftp.prot_p()
        ftp.set_pasv(addr.passive)
    except SourceError:
        ftp.close()
        raise
    except FTP_ERRORS as exc:
        ftp.close()
        raise SourceError(f"cannot connect to {where}: {exc or type(exc).__name__}") from exc
    try:
        yield FtpFolder(ftp, addr.path)
    except FTP_ERRORS as exc:
        raise SourceError(f"{where}{addr.path}: {exc or type(exc).__name__}") from exc
    finally:
        try:
            ftp.quit()
        except FTP_ERRORS:
            ftp.close()

"""An IMAP mailbox as a source: each message's raw RFC 822 bytes sent once, then marked.

- **Once only**: the state holds the mailbox's UIDVALIDITY and the highest UID sent; it is
  written atomically after the sink confirmed each message. When UIDVALIDITY changes (the
  mailbox was rebuilt), UIDs start over and the sha256 of the messages sent keeps the same
  content from being sent again.
- **After**: `seen` sets \\Seen, `move` moves to a folder (MOVE, or COPY + \\Deleted +
  EXPUNGE on servers without it), `delete` expunges, `keep` leaves the message as it was.
  Messages are read with BODY.PEEK, so nothing is marked before it is sent. A message
  sent but not yet marked (a crash in between) is finished on the next poll, not re-sent.
- **Too big**: a message over WIRE_MAX_DOCUMENT_BYTES (by RFC822.SIZE) is fetched no
  further than that and goes to the dead-letter topic with its size in the reason.
"""

from __future__ import annotations

import hashlib
import imaplib
import re
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from connectors.errors import RefusedInput
from connectors.sources.ftp import tls_context
from connectors.sources.live import PollReport, Sink, SourceError, oversize
from connectors.sources.state import Ledger, load_json, save_json

ImapAfter = Literal["seen", "move", "delete", "keep"]
IMAP_ERRORS = (imaplib.IMAP4.error, OSError, EOFError)
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


@dataclass(frozen=True)
class ImapAddress:
    host: str
    port: int = 993
    mailbox: str = "INBOX"
    username: str = ""
    password: str = ""
    tls: Literal["ssl", "starttls", "none"] = "ssl"
    verify: bool = True
    ca_file: str | None = None
    timeout: float = 30.0


@dataclass(frozen=True)
class ImapOptions:
    max_bytes: int
    after: ImapAfter = "seen"
    move_to: str = "Processed"
    failed_to: str | None = None  # refused messages; None: treated as `after` says, never deleted
    fmt: str | None = None
    batch: int = 200  # most messages per poll


def _ok(typ: str, data: Sequence[object], what: str) -> Sequence[object]:
    if typ != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode(errors="replace")
        raise SourceError(f"IMAP {what} failed: {typ} {detail}".rstrip())
    return data


def _quote(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Mailbox:
    """One logged-in IMAP session with one mailbox selected."""

    def __init__(self, imap: imaplib.IMAP4, mailbox: str, readonly: bool) -> None:
        self.imap = imap
        self.name = mailbox
        typ, data = imap.select(_quote(mailbox), readonly=readonly)
        _ok(typ, data, f"SELECT {mailbox}")
        validity = imap.untagged_responses.get("UIDVALIDITY", [b"0"])[-1]
        self.uidvalidity = int(validity if isinstance(validity, bytes) else b"0")
        self.capabilities = {c.upper() for c in imap.capabilities}

    def uids_after(self, last: int) -> list[int]:
        typ, data = self.imap.uid("SEARCH", f"UID {last + 1}:*")
        found = _ok(typ, data, "UID SEARCH")
        raw = found[0] if found and isinstance(found[0], bytes) else b""
        # "n:*" always matches the highest UID, even below n: keep only the new ones.
        return sorted(u for u in map(int, raw.split()) if u > last)

    def size(self, uid: int) -> int | None:
        """RFC822.SIZE, or None when the message is gone."""
        typ, data = self.imap.uid("FETCH", str(uid), "(RFC822.SIZE)")
        for item in _ok(typ, data, "UID FETCH RFC822.SIZE"):
            line = item[0] if isinstance(item, tuple) else item
            if isinstance(line, bytes) and (m := _SIZE.search(line)):
                return int(m.group(1))
        return None

    def read(self, uid: int, limit: int) -> bytes | None:
        """The message's raw bytes (at most `limit`), without setting \\Seen."""
        part = f"BODY.PEEK[]<0.{limit}>"
        typ, data = self.imap.uid("FETCH", str(uid), f"({part})")
        for item in _ok(typ, data, "UID FETCH BODY"):
            if isinstance(item, tuple) and len(item) >= 2 and isinstance(item[1], bytes):
                return item[1]
        return None

    def finish(self, uid: int, after: ImapAfter, target: str | None) -> None:
        u = str(uid)
        if after == "seen":
            _ok(*self.imap.uid("STORE", u, "+FLAGS.SILENT", "(\\Seen)"), "UID STORE \\Seen")
        elif after == "move" and target:
            if "MOVE" in self.capabilities:
                _ok(*self.imap.uid("MOVE", u, _quote(target)), f"UID MOVE to {target}")
            else:
                _ok(*self.imap.uid("COPY", u, _quote(target)), f"UID COPY to {target}")
                self._expunge(u)
        elif after == "delete":
            self._expunge(u)

    def _expunge(self, uid: str) -> None:
        _ok(*self.imap.uid("STORE", uid, "+FLAGS.SILENT", "(\\Deleted)"), "UID STORE \\Deleted")
        if "UIDPLUS" in self.capabilities:
            _ok(*self.imap.uid("EXPUNGE", uid), "UID EXPUNGE")
        else:
            _ok(*self.imap.expunge(), "EXPUNGE")

    def ensure(self, mailbox: str) -> None:
        typ, _ = self.imap.create(_quote(mailbox))  # NO when it exists: fine
        del typ


@contextmanager
def connect_imap(addr: ImapAddress, *, readonly: bool = False) -> Iterator[Mailbox]:
    where = f"imap{'s' if addr.tls == 'ssl' else ''}://{addr.host}:{addr.port}"
    imap: imaplib.IMAP4
    try:
        if addr.tls == "ssl":
            imap = imaplib.IMAP4_SSL(
                addr.host,
                addr.port,
                ssl_context=tls_context(addr.verify, addr.ca_file),
                timeout=addr.timeout,
            )
        else:
            imap = imaplib.IMAP4(addr.host, addr.port, timeout=addr.timeout)
            if addr.tls == "starttls":
                imap.starttls(tls_context(addr.verify, addr.ca_file))
    except (*IMAP_ERRORS, ssl.SSLError) as exc:
        raise SourceError(f"cannot connect to {where}: {exc or type(exc).__name__}") from exc
    try:
        try:
            imap.login(addr.username, addr.password)
        except imaplib.IMAP4.error as exc:
            raise SourceError(f"{where} refused the login of {addr.username!r}: {exc}") from exc
        try:
            yield Mailbox(imap, addr.mailbox, readonly)
        except IMAP_ERRORS as exc:
            raise SourceError(f"{where}/{addr.mailbox}: {exc or type(exc).__name__}") from exc
    finally:
        with suppress(*IMAP_ERRORS):
            imap.logout()


class ImapState:
    def __init__(self, path: Path) -> None:
        self.path = path
        raw = load_json(path)
        self.uidvalidity: int = int(raw.get("uidvalidity", 0))
        self.last_uid: int = int(raw.get("last_uid", 0))
        # UIDs sent but not yet marked/moved -> "ok" | "refused"
        self.unfinished: dict[str, str] = dict(raw.get("unfinished", {}))
        self.hashes = Ledger(raw.get("hashes", {}))

    def save(self) -> None:
        save_json(
            self.path,
            {
                "uidvalidity": self.uidvalidity,
                "last_uid": self.last_uid,
                "unfinished": self.unfinished,
                "hashes": self.hashes.to_dict(),
            },
        )


class ImapPoller:
    def __init__(
        self, addr: ImapAddress, state_file: Path, sink: Sink, options: ImapOptions
    ) -> None:
        self.addr, self.sink, self.options = addr, sink, options
        self.state = ImapState(state_file)
        self.address = f"imap://{addr.username}@{addr.host}:{addr.port}/{addr.mailbox}"
        self._ensured = False

    def _target(self, outcome: str) -> tuple[ImapAfter, str | None]:
        o = self.options
        if outcome == "refused":
            if o.failed_to:
                return "move", o.failed_to
            return ("keep" if o.after == "delete" else o.after), o.move_to
        return o.after, o.move_to

    def poll_once(self) -> PollReport:
        report = PollReport()
        with connect_imap(self.addr, readonly=self.options.after == "keep") as box:
            st = self.state
            if box.uidvalidity != st.uidvalidity:
                if st.uidvalidity:
                    report.notes.append(
                        f"UIDVALIDITY changed ({st.uidvalidity} -> {box.uidvalidity}): "
                        "UIDs start over, content already sent is still skipped"
                    )
                st.uidvalidity, st.last_uid, st.unfinished = box.uidvalidity, 0, {}
                st.save()
            if not self._ensured:  # the folders we move to, once per run
                for folder in {self.options.move_to, self.options.failed_to}:
                    if folder and (
                        self.options.after == "move" or folder == self.options.failed_to
                    ):
                        box.ensure(folder)
                self._ensured = True
            for pending, outcome in list(st.unfinished.items()):  # sent before a crash
                self._finish(box, int(pending), outcome, report)
            for uid in box.uids_after(st.last_uid)[: self.options.batch]:
                self._take(box, uid, report)
        return report

    def check(self) -> list[str]:
        with connect_imap(self.addr, readonly=True) as box:
            same = box.uidvalidity == self.state.uidvalidity
            new = box.uids_after(self.state.last_uid if same else 0)
        return [
            f"{self.address}: UIDVALIDITY {box.uidvalidity}"
            + ("" if same or not self.state.uidvalidity else " (changed)"),
            f"{len(new)} message(s) not sent yet" + (f" (UIDs {new[0]}..{new[-1]})" if new else ""),
        ]

    def _take(self, box: Mailbox, uid: int, report: PollReport) -> None:
        max_bytes = self.options.max_bytes
        size = box.size(uid)
        data = None if size is None else box.read(uid, max_bytes + 1)
        st = self.state
        if data is None:  # expunged meanwhile by someone else
            st.last_uid = uid
            st.save()
            return
        refused: RefusedInput | None = None
        if (size or 0) > max_bytes or len(data) > max_bytes:
            refused = oversize(max(size or 0, len(data)), max_bytes)
        digest = hashlib.sha256(data).hexdigest()
        if refused is None and digest in st.hashes:
            outcome = "ok"
            report.skipped += 1
        else:
            source = f"{self.address};UIDVALIDITY={box.uidvalidity};UID={uid}"
            result = self.sink.publish(data, source, fmt=self.options.fmt, refused=refused)
            if result.refused:
                outcome = "refused"
                report.refused += 1
                report.notes.append(f"UID {uid} refused: {result.refused}")
            else:
                outcome = "ok"
                report.sent += 1
                st.hashes.add(digest, str(uid))
        st.last_uid = uid
        st.unfinished[str(uid)] = outcome
        st.save()  # only now: the sink confirmed
        self._finish(box, uid, outcome, report)

    def _finish(self, box: Mailbox, uid: int, outcome: str, report: PollReport) -> None:
        after, target = self._target(outcome)
        try:
            if after != "keep":
                box.finish(uid, after, target)
        except (SourceError, imaplib.IMAP4.error) as exc:
            report.notes.append(f"UID {uid} sent, but cannot mark it ({after}): {exc}")
            return
        self.state.unfinished.pop(str(uid), None)
        self.state.save()

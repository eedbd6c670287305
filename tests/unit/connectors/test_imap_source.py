"""The IMAP source against a real IMAP4rev1 server (pymap, in its own process)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.sources.imap import ImapAddress, ImapOptions, ImapPoller, connect_imap
from connectors.sources.live import SourceError
from tests.servers import (
    PASSWORD,
    USER,
    ImapServer,
    MemorySink,
    dispatch_text,
    email,
    free_port,
    imap_server,
    self_signed,
)


@pytest.fixture
def server() -> Iterator[ImapServer]:
    with imap_server() as srv:
        yield srv


def address(srv: ImapServer, mailbox: str = "INBOX", password: str = PASSWORD) -> ImapAddress:
    return ImapAddress("127.0.0.1", srv.port, mailbox, USER, password, tls="none", timeout=10)


def test_each_message_is_sent_once_and_marked_seen(server: ImapServer, tmp_path: Path) -> None:
    server.append(
        email("Levée de fonds", dispatch_text("Mailone"), "m1@afp.example"),
        email("Rachat", dispatch_text("Mailtwo"), "m2@afp.example"),
    )
    sink = MemorySink()
    state = tmp_path / "imap.json"
    poller = ImapPoller(address(server), state, sink, ImapOptions(max_bytes=10**6))
    report = poller.poll_once()
    assert report.sent == 2
    uids = server.uids()
    assert server.uids(criteria="SEEN") == uids  # marked after sending
    assert [s.rsplit(";UID=", 1)[1] for s in sink.sent] == [str(u) for u in uids]
    # The raw RFC 822 bytes went to the publisher, headers and all.
    assert sink.deliveries[0].data.startswith(b"From: AFP Desk <desk@afp.example>\r\n")
    assert "Mailone" in " ".join(sink.dispatches[0].body)
    # Restarted (and the messages marked unread again by a person): nothing re-sent.
    c = server.client()
    c.select("INBOX")
    c.uid("STORE", ",".join(map(str, uids)), "-FLAGS", "(\\Seen)")
    c.logout()
    server.append(email("Nouveau", dispatch_text("Mailthree"), "m3@afp.example"))
    restarted = ImapPoller(address(server), state, sink, ImapOptions(max_bytes=10**6))
    assert restarted.poll_once().sent == 1
    assert len(sink.sent) == 3


def test_move_after_sending_and_refused_messages_to_their_own_folder(
    server: ImapServer, tmp_path: Path
) -> None:
    server.append(
        email("Bon", dispatch_text("Moved"), "ok@afp.example"),
        b"Subject: vide\r\n\r\n",  # headers only: the registry has nothing to parse
    )
    sink = MemorySink()
    options = ImapOptions(
        max_bytes=10**6, after="move", move_to="Wire/Done", failed_to="Wire/Failed"
    )
    poller = ImapPoller(address(server), tmp_path / "s.json", sink, options)
    report = poller.poll_once()
    assert (report.sent + report.refused) == 2
    assert server.uids() == []
    assert len(server.uids("Wire/Done")) == report.sent
    assert len(server.uids("Wire/Failed")) == report.refused
    # Whatever the formats make of it, each message reached the raw topic or the DLQ once.
    assert len(sink.deliveries) == 2


def test_a_message_over_the_limit_goes_to_the_dead_letters_with_its_size(
    server: ImapServer, tmp_path: Path
) -> None:
    server.append(email("Énorme", dispatch_text("Big", "mot " * 3000), "big@afp.example"))
    sink = MemorySink(max_bytes=4096)
    poller = ImapPoller(address(server), tmp_path / "s.json", sink, ImapOptions(max_bytes=4096))
    assert poller.poll_once().refused == 1
    [letter] = sink.refused
    assert letter.refused is not None and "over the 4.0 KiB limit" in letter.refused
    assert len(letter.data) == 4097  # fetched no further than the limit
    assert poller.poll_once().refused == 0  # once


def test_a_message_sent_before_a_crash_is_marked_not_resent(
    server: ImapServer, tmp_path: Path
) -> None:
    server.append(email("Crash", dispatch_text("Crash"), "c@afp.example"))
    sink = MemorySink()
    state = tmp_path / "s.json"
    first = ImapPoller(address(server), state, sink, ImapOptions(max_bytes=10**6))
    # Sent and recorded, then the process died before setting \Seen.
    first._finish = lambda *args: None  # type: ignore[method-assign]
    first.poll_once()
    assert server.uids(criteria="SEEN") == [] and len(sink.sent) == 1
    restarted = ImapPoller(address(server), state, sink, ImapOptions(max_bytes=10**6))
    assert restarted.poll_once().sent == 0
    assert server.uids(criteria="SEEN") == server.uids() and len(sink.sent) == 1


def test_a_new_uidvalidity_starts_over_without_resending_content(tmp_path: Path) -> None:
    message = email("Rebuilt", dispatch_text("Rebuilt"), "r@afp.example")
    sink = MemorySink()
    state = tmp_path / "s.json"
    options = ImapOptions(max_bytes=10**6, after="keep")
    with imap_server() as srv:
        srv.append(message)
        assert ImapPoller(address(srv), state, sink, options).poll_once().sent == 1
    with imap_server() as rebuilt:  # a new mailbox: new UIDVALIDITY, UIDs from the start
        rebuilt.append(message, email("Autre", dispatch_text("Other"), "o@afp.example"))
        report = ImapPoller(address(rebuilt), state, sink, options).poll_once()
    assert (report.sent, report.skipped) == (1, 1)
    assert "UIDVALIDITY changed" in report.notes[0]
    assert len(sink.sent) == 2


def test_keep_reads_without_marking(server: ImapServer, tmp_path: Path) -> None:
    server.append(email("Lu", dispatch_text("Keep"), "k@afp.example"))
    sink = MemorySink()
    poller = ImapPoller(
        address(server), tmp_path / "s.json", sink, ImapOptions(max_bytes=10**6, after="keep")
    )
    assert poller.poll_once().sent == 1
    assert server.uids(criteria="UNSEEN") == server.uids()
    assert poller.check()[1] == "0 message(s) not sent yet"


def test_login_and_connection_errors_are_one_line(server: ImapServer, tmp_path: Path) -> None:
    with (
        pytest.raises(SourceError, match="refused the login of 'wire'"),
        connect_imap(address(server, password="nope")),
    ):
        pass
    with (
        pytest.raises(SourceError, match="SELECT Nowhere failed"),
        connect_imap(address(server, mailbox="Nowhere")),
    ):
        pass
    closed = ImapAddress("127.0.0.1", free_port(), tls="none", timeout=5)
    with (
        pytest.raises(SourceError, match=r"cannot connect to imap://127.0.0.1:\d+"),
        connect_imap(closed),
    ):
        pass


def test_starttls_checks_the_certificate(tmp_path: Path) -> None:
    tls = self_signed(tmp_path / "tls")
    with imap_server(tls) as srv:
        srv.append(email("Chiffré", dispatch_text("Starttls"), "t@afp.example"))
        trusted = ImapAddress(
            "127.0.0.1", srv.port, "INBOX", USER, PASSWORD, "starttls", ca_file=str(tls.cert)
        )
        sink = MemorySink()
        poller = ImapPoller(trusted, tmp_path / "s.json", sink, ImapOptions(max_bytes=10**6))
        assert poller.poll_once().sent == 1
        untrusted = ImapAddress("127.0.0.1", srv.port, "INBOX", USER, PASSWORD, "starttls")
        with pytest.raises(SourceError, match="CERTIFICATE_VERIFY_FAILED"), connect_imap(untrusted):
            pass

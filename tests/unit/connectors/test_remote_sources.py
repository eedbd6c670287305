"""FTP, FTPS and SFTP folders against real servers on 127.0.0.1 (pyftpdlib, asyncssh)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from connectors.sources.ftp import FtpAddress, connect_ftp
from connectors.sources.live import SourceError
from connectors.sources.remote import RemoteFolder, RemoteOptions, RemotePoller
from connectors.sources.sftp import SftpAddress, connect_sftp
from tests.servers import (
    PASSWORD,
    USER,
    MemorySink,
    dispatch_text,
    free_port,
    ftp_server,
    self_signed,
    sftp_server,
)

Connect = Callable[[], AbstractContextManager[RemoteFolder]]


@pytest.fixture(params=["ftp", "ftps", "sftp"])
def remote(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, Connect, str]]:
    """(the server's folder on disk, a connect function, the address) for each protocol."""
    root = tmp_path / "server"
    outgoing = root / "outgoing"
    outgoing.mkdir(parents=True)
    kind = request.param
    if kind == "sftp":
        with sftp_server(root, tmp_path) as srv:
            addr = SftpAddress(
                "127.0.0.1",
                srv.port,
                "/outgoing",
                USER,
                PASSWORD,
                known_hosts=str(srv.known_hosts),
                timeout=10,
            )
            yield outgoing, lambda: connect_sftp(addr), f"sftp://127.0.0.1:{srv.port}/outgoing"
        return
    tls = self_signed(tmp_path / "tls") if kind == "ftps" else None
    with ftp_server(root, tls) as port:
        ftp_addr = FtpAddress(
            "127.0.0.1",
            port,
            "/outgoing",
            USER,
            PASSWORD,
            tls=tls is not None,
            ca_file=str(tls.cert) if tls else None,
            timeout=10,
        )
        yield outgoing, lambda: connect_ftp(ftp_addr), f"{kind}://127.0.0.1:{port}/outgoing"


def poller(
    remote: tuple[Path, Connect, str], state: Path, sink: MemorySink, **options: object
) -> RemotePoller:
    _, connect, address = remote
    opts = RemoteOptions(max_bytes=sink.max_bytes, settle=0.2, **options)  # type: ignore[arg-type]
    return RemotePoller(address, connect, state, sink, opts)


def test_files_are_sent_once_and_moved_partial_uploads_left_alone(
    remote: tuple[Path, Connect, str], tmp_path: Path
) -> None:
    folder, _, address = remote
    sink = MemorySink()
    (folder / "a.txt").write_bytes(dispatch_text("Alpha"))
    (folder / "broken.xml").write_bytes(b'<?xml version="1.0"?><newsItem guid="x"><contentMeta>')
    (folder / "b.txt.part").write_bytes(dispatch_text("Beta"))  # still uploading
    (folder / ".upload-c.txt").write_bytes(dispatch_text("Gamma"))  # a hidden temp name
    p = poller(remote, tmp_path / "state.json", sink)
    report = p.poll_once()
    assert (report.sent, report.refused) == (1, 1)
    assert sink.sent == [f"{address}/a.txt"]
    assert "broken XML" in (sink.refused[0].refused or "")
    assert (folder / "done" / "a.txt").exists() and (folder / "failed" / "broken.xml").exists()
    assert sorted(p.name for p in folder.iterdir() if p.is_file()) == [
        ".upload-c.txt",
        "b.txt.part",
    ]
    # The uploader renames its file when complete: taken on the next poll.
    (folder / "b.txt.part").rename(folder / "b.txt")
    assert p.poll_once().sent == 1
    assert sink.sent[-1] == f"{address}/b.txt"


def test_a_file_still_growing_waits_until_its_size_holds(
    remote: tuple[Path, Connect, str], tmp_path: Path
) -> None:
    folder, _, _ = remote
    sink = MemorySink()
    growing = folder / "growing.txt"
    growing.write_bytes(dispatch_text("Growing")[:40])
    slept: list[float] = []

    def upload_more(seconds: float) -> None:  # the second look finds it bigger
        slept.append(seconds)
        with growing.open("ab") as fh:
            fh.write(b" more")

    p = poller(remote, tmp_path / "state.json", sink)
    p.sleep = upload_more
    report = p.poll_once()
    assert slept == [0.2] and report.sent == 0 and report.waiting == 1
    growing.write_bytes(dispatch_text("Growing"))
    p.sleep = lambda s: None
    assert p.poll_once().sent == 0  # changed since the last look: wait again
    p.stability.settle = 0
    assert p.poll_once().sent == 1


def test_restart_sends_nothing_twice_and_finishes_an_interrupted_move(
    remote: tuple[Path, Connect, str], tmp_path: Path
) -> None:
    folder, _, _ = remote
    sink = MemorySink()
    state = tmp_path / "state.json"
    (folder / "one.txt").write_bytes(dispatch_text("One"))
    (folder / "two.txt").write_bytes(dispatch_text("Two"))
    first = poller(remote, state, sink, after="keep")
    assert first.poll_once().sent == 2
    assert (folder / "one.txt").exists()  # keep: the folder is the agency's
    # Restarted, with files still there: nothing is sent again.
    again = poller(remote, state, sink, after="keep")
    assert again.poll_once().sent == 0
    # The same content re-uploaded (new mtime): not sent again either.
    data = (folder / "one.txt").read_bytes()
    (folder / "one.txt").unlink()
    (folder / "one-again.txt").write_bytes(data)
    report = again.poll_once()
    assert (report.sent, report.skipped) == (0, 1)
    # Switching to move (as after a crash between sending and moving): moved, not re-sent.
    mover = poller(remote, state, sink, after="move")
    assert mover.poll_once().sent == 0
    assert sorted(p.name for p in (folder / "done").iterdir()) == [
        "one-again.txt",
        "two.txt",
    ]
    assert len(sink.sent) == 2


def test_delete_after_sending_but_never_a_refused_file(
    remote: tuple[Path, Connect, str], tmp_path: Path
) -> None:
    folder, _, _ = remote
    sink = MemorySink()
    (folder / "ok.txt").write_bytes(dispatch_text("Deleted"))
    (folder / "empty.txt").write_bytes(b"   \n")
    p = poller(remote, tmp_path / "state.json", sink, after="delete")
    report = p.poll_once()
    assert (report.sent, report.refused) == (1, 1)
    assert not (folder / "ok.txt").exists()
    assert (folder / "empty.txt").exists()  # only what reached the raw topic is deleted
    assert p.poll_once().refused == 0  # and it is not sent to the dead letters again


def test_a_file_over_the_limit_goes_to_the_dead_letters_with_its_size(
    remote: tuple[Path, Connect, str], tmp_path: Path
) -> None:
    folder, _, _ = remote
    sink = MemorySink(max_bytes=4096)
    (folder / "huge.txt").write_bytes(dispatch_text("Huge", "mot " * 100_000))
    p = poller(remote, tmp_path / "state.json", sink)
    assert p.poll_once().refused == 1
    [letter] = sink.refused
    assert letter.refused == (
        "document is 390.8 KiB, over the 4.0 KiB limit (WIRE_MAX_DOCUMENT_BYTES)"
    )
    assert len(letter.data) == 4097  # read no further than the limit
    assert (folder / "failed" / "huge.txt").exists()


def test_state_is_saved_only_once_the_sink_confirmed(
    remote: tuple[Path, Connect, str], tmp_path: Path
) -> None:
    folder, _, _ = remote
    sink = MemorySink()
    (folder / "late.txt").write_bytes(dispatch_text("Late"))
    p = poller(remote, tmp_path / "state.json", sink)
    sink.fail_next = True
    with pytest.raises((ConnectionError, SourceError)):
        p.poll_once()
    assert (folder / "late.txt").exists() and not (tmp_path / "state.json").exists()
    assert p.poll_once().sent == 1


def test_check_lists_without_sending(remote: tuple[Path, Connect, str], tmp_path: Path) -> None:
    folder, _, _ = remote
    sink = MemorySink(max_bytes=4096)
    (folder / "new.txt").write_bytes(dispatch_text("New"))
    (folder / "big.txt").write_bytes(b"x" * 5000)
    (folder / "x.tmp").write_bytes(b"partial")
    lines = poller(remote, tmp_path / "state.json", sink).check()
    assert [line.split()[0] for line in lines] == ["big.txt", "new.txt", "x.tmp"]
    assert lines[0].endswith("over the size limit: would go to the dead-letter topic")
    assert lines[2].endswith("ignored (temporary name)")
    assert sink.deliveries == [] and (folder / "new.txt").exists()


def test_ftp_errors_are_one_line(tmp_path: Path) -> None:
    root = tmp_path / "srv"
    root.mkdir()
    with ftp_server(root) as port:
        wrong = FtpAddress("127.0.0.1", port, "/", USER, "wrong", timeout=5)
        with (
            pytest.raises(SourceError, match=r"refused the login of 'wire': 530"),
            connect_ftp(wrong),
        ):
            pass
        plain = FtpAddress("127.0.0.1", port, "/", USER, PASSWORD, tls=True, timeout=5)
        with pytest.raises(SourceError, match="offers no TLS"), connect_ftp(plain):
            pass  # this server speaks no TLS
    closed = FtpAddress("127.0.0.1", free_port(), "/", USER, PASSWORD, timeout=5)
    with (
        pytest.raises(SourceError, match=r"cannot connect to ftp://127.0.0.1:\d+: .*refused"),
        connect_ftp(closed),
    ):
        pass


def test_ftps_checks_the_certificate(tmp_path: Path) -> None:
    root = tmp_path / "srv"
    root.mkdir()
    tls = self_signed(tmp_path / "tls")
    with ftp_server(root, tls) as port:
        untrusted = FtpAddress("127.0.0.1", port, "/", USER, PASSWORD, tls=True, timeout=5)
        with pytest.raises(SourceError, match="CERTIFICATE_VERIFY_FAILED"), connect_ftp(untrusted):
            pass
        unchecked = FtpAddress(
            "127.0.0.1", port, "/", USER, PASSWORD, tls=True, verify=False, timeout=5
        )
        with connect_ftp(unchecked) as folder:
            assert folder.listing() == []
        insecure = FtpAddress("127.0.0.1", port, "/", USER, PASSWORD, tls=False, timeout=5)
        with pytest.raises(SourceError), connect_ftp(insecure):  # the server requires TLS
            pass


def test_sftp_checks_the_host_key_and_the_login(tmp_path: Path) -> None:
    root = tmp_path / "srv"
    root.mkdir()
    with sftp_server(root, tmp_path) as srv:
        other = tmp_path / "other_known_hosts"
        other.write_text("")
        stranger = SftpAddress(
            "127.0.0.1", srv.port, "/", USER, PASSWORD, known_hosts=str(other), timeout=5
        )
        with pytest.raises(SourceError, match="host key not trusted"), connect_sftp(stranger):
            pass
        wrong = SftpAddress(
            "127.0.0.1", srv.port, "/", USER, "nope", known_hosts=str(srv.known_hosts), timeout=5
        )
        with pytest.raises(SourceError, match="refused the login of 'wire'"), connect_sftp(wrong):
            pass
    with (
        pytest.raises(SourceError, match=r"cannot connect to sftp://127\.0\.0\.1"),
        connect_sftp(SftpAddress("127.0.0.1", free_port(), "/", USER, PASSWORD, timeout=5)),
    ):
        pass


def test_the_state_file_is_replaced_atomically(
    remote: tuple[Path, Connect, str], tmp_path: Path
) -> None:
    folder, _, _ = remote
    (folder / "s.txt").write_bytes(dispatch_text("State"))
    state = tmp_path / "feeds" / "x.json"
    poller(remote, state, MemorySink()).poll_once()
    assert os.listdir(state.parent) == ["x.json"]  # no temporary file left behind


def test_a_file_taken_away_before_it_is_read_is_skipped(
    remote: tuple[Path, Connect, str], tmp_path: Path
) -> None:
    folder, connect, _ = remote
    sink = MemorySink()
    (folder / "gone.txt").write_bytes(dispatch_text("Gone"))
    (folder / "stays.txt").write_bytes(dispatch_text("Stays"))

    @contextmanager
    def racing() -> Iterator[RemoteFolder]:
        """The real connection; another client takes gone.txt between listing and reading."""
        with connect() as real:
            original = real.read

            def read(name: str, limit: int) -> bytes:
                (folder / "gone.txt").unlink(missing_ok=True)
                return original(name, limit)

            real.read = read  # type: ignore[method-assign]
            yield real

    p = poller(remote, tmp_path / "state.json", sink)
    p.connect = racing
    report = p.poll_once()
    assert report.sent == 1 and "cannot read gone.txt" in report.notes[0]
    assert sink.sent[0].endswith("/stays.txt")

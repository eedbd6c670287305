"""Dead letters read back: one per id (its latest record), filtered, grouped by reason."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from rich.console import Console

from pipeline.cli.base import since_arg
from pipeline.cli.dlq import summary_table
from pipeline.kafka.dlq import latest_by_id, reason_key, select, summarise
from pipeline.kafka.publisher import again
from schemas import DeadLetter

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def letter(i: int, error: str, stage: str = "parse", minutes: int = 0) -> DeadLetter:
    dl = DeadLetter.of(
        b"x" * i, source=f"/srv/drop/f{i}.xml", stage=stage, error=error, keep_bytes=9
    )
    return dl.model_copy(update={"failed_at": T0 + timedelta(minutes=minutes)})


def test_near_identical_reasons_group_together() -> None:
    a = "not well-formed (invalid token): line 1, column 12 in '/srv/drop/a.xml'"
    b = "not well-formed (invalid token): line 3, column 0 in '/srv/drop/b.xml'"
    assert (
        reason_key(a) == reason_key(b) == "not well-formed (invalid token): line N, column N in …"
    )
    assert reason_key("empty file /tmp/x/y.txt") == "empty file …"
    assert reason_key("sha 0123456789abcdef differs") == "sha … differs"
    # numbers inside names are the advice itself, not what differs between letters
    latin1 = (
        "not valid UTF-8 at byte {} (looks like Latin-1/CP1252: re-encode to UTF-8 or pass "
        "--encoding cp1252)"
    )
    assert reason_key(latin1.format(57)) == reason_key(latin1.format(1204)) == latin1.format("N")
    assert reason_key("fetch sftp://wire.example/in/x.xml failed") == "fetch … failed"
    assert reason_key("no such file drop/in/a.xml") == "no such file …"
    assert reason_key("over the 5.0 MiB limit (ISO-8859-1)") == "over the N MiB limit (ISO-8859-1)"
    letters = [letter(i, a if i % 2 else b, minutes=i) for i in range(1, 238)]
    letters.append(letter(300, "document larger than 5242880 bytes", stage="decode", minutes=500))
    [big, small] = summarise(letters)
    assert (big.count, big.stages, small.count) == (237, {"parse"}, 1)
    assert big.example is not None and big.example.failed_at == T0 + timedelta(minutes=237)
    assert big.first == T0 + timedelta(minutes=1)


def test_select_newest_first_by_time_stage_reason_and_replayed() -> None:
    letters = [
        letter(1, "bad xml", minutes=0),
        letter(2, "bad charset", stage="decode", minutes=10),
        letter(3, "bad xml again", minutes=20).model_copy(update={"replayed_at": T0}),
    ]
    assert [d.error for d in select(letters)] == ["bad charset", "bad xml"]
    assert select(letters, include_replayed=True)[0].error == "bad xml again"
    assert [d.error for d in select(letters, stage="decode")] == ["bad charset"]
    assert [d.error for d in select(letters, since=T0 + timedelta(minutes=5))] == ["bad charset"]
    assert [d.error for d in select(letters, reason="XML")] == ["bad xml"]


def test_a_failed_replay_updates_the_first_letter() -> None:
    first = letter(1, "cannot decode as utf-8", stage="decode")
    retry = letter(1, "cannot decode as cp1250 either", stage="decode", minutes=5)
    updated = again(first, retry)
    assert updated.id == first.id and updated.attempts == 2
    assert updated.error == "cannot decode as cp1250 either"
    assert updated.payload_sha256 == first.payload_sha256
    # the topic holds both records; readers see one letter, the latest
    [seen] = latest_by_id([first, updated])
    assert seen.attempts == 2 and seen.error.startswith("cannot decode as cp1250")
    replayed = updated.model_copy(update={"attempts": 3, "replayed_at": T0})
    assert select(latest_by_id([first, updated, replayed])) == []


def test_since_takes_durations_and_dates() -> None:
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert since_arg("2h", now) == now - timedelta(hours=2)
    assert since_arg("30m", now) == now - timedelta(minutes=30)
    assert since_arg("7d", now) == now - timedelta(days=7)
    assert since_arg("2026-11-24", now) == datetime(2026, 11, 24, tzinfo=UTC)
    assert since_arg(None) is None


def test_summary_fits_80_columns() -> None:
    letters = [letter(i, f"not well-formed: line {i}, column 4", minutes=i) for i in range(1, 50)]
    letters += [letter(99, "x " * 80, stage="decode")]
    console = Console(width=80, file=io.StringIO(), record=True, color_system=None)
    console.print(summary_table(letters, "by reason", top=5))
    lines = console.export_text().splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert any("49" in line and "not well-formed: line N, column N" in line for line in lines)

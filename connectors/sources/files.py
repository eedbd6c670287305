"""Files and folders as a source: expand paths, read safely, parse."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from connectors.errors import RefusedInput
from connectors.registry import parse_document
from pipeline.limits import document_too_large
from schemas import Dispatch

SKIP_DIRS = {"done", "failed", ".git", "__pycache__"}


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given, and every non-hidden file below each folder, in a stable order."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(
                f
                for f in sorted(p.rglob("*"))
                if f.is_file()
                and not f.name.startswith(".")
                and not SKIP_DIRS.intersection(f.relative_to(p).parts[:-1])
            )
        else:
            out.append(p)
    return out


@dataclass
class FileResult:
    path: Path
    data: bytes
    format: str | None = None
    dispatches: list[Dispatch] = field(default_factory=list)
    error: RefusedInput | None = None
    skipped: list[str] = field(default_factory=list)  # items of a multi-item file left out
    # The whole file's size and sha256 when `data` holds only its beginning (too large)
    size: int | None = None
    sha256: str | None = None


def _sha256(path: Path) -> str | None:
    """The file's sha256, read in chunks (never whole in memory)."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def read_file(
    path: Path,
    *,
    received_at: datetime,
    max_bytes: int,
    encoding: str | None = None,
    fmt: str | None = None,
) -> FileResult:
    """Never raises for bad content: the result carries the reason instead."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)  # never load a huge file whole
    except OSError as exc:
        return FileResult(
            path, b"", error=RefusedInput(f"cannot read: {exc.strerror}", stage="decode")
        )
    if size > max_bytes:
        reason = document_too_large(size, max_bytes)
        return FileResult(
            path,
            data,
            error=RefusedInput(reason, stage="decode"),
            size=size,
            sha256=_sha256(path),
        )
    try:
        parsed = parse_document(
            data,
            source=str(path),
            received_at=received_at,
            max_bytes=max_bytes,
            encoding=encoding,
            fmt=fmt,
        )
    except RefusedInput as exc:
        return FileResult(path, data, error=exc)
    except Exception as exc:  # a parser bug on odd input is still a refusal, not a crash
        return FileResult(
            path, data, error=RefusedInput(f"parser error: {type(exc).__name__}: {exc}")
        )
    return FileResult(
        path, data, format=parsed.format, dispatches=parsed.dispatches, skipped=parsed.skipped
    )

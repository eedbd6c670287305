"""`wire parse --report DIR`: what a feed's files become, before subscribing to it.

Per format and agency: files, dispatches parsed, files refused (with their reasons),
empty dispatches (a text item without body text: should never happen), media items,
and the languages found. Pure functions over parse results, no I/O but reading a
manifest; the CLI prints `render`.

A folder may hold a `manifest.toml` saying what each file should give (the agency
corpora under tests/fixtures/agencies and eval/formats do): `check_manifest` then
counts the files whose expectations hold.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connectors.registry import ALIASES
from connectors.sources.files import FileResult, expand_paths, read_file
from schemas import Dispatch, ItemType

NO_AGENCY = "-"
MANIFEST = "manifest.toml"


@dataclass
class FileOutcome:
    """One file's parse: its dispatches, or the reason it was refused."""

    path: str
    format: str | None
    dispatches: list[Dispatch] = field(default_factory=list)
    refused: str | None = None
    skipped: list[str] = field(default_factory=list)


@dataclass
class Row:
    format: str
    agency: str
    files: int = 0
    parsed: int = 0  # dispatches
    refused: int = 0  # files
    empty: int = 0  # text dispatches with no body
    media: int = 0
    skipped: int = 0  # items left out of multi-item files
    languages: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)


def _agency(o: FileOutcome) -> str:
    names = sorted({d.provider for d in o.dispatches if d.provider})
    return "/".join(names) if names else NO_AGENCY


def build_report(outcomes: Iterable[FileOutcome]) -> list[Row]:
    rows: dict[tuple[str, str], Row] = {}
    for o in outcomes:
        key = (o.format or "unknown", _agency(o))
        row = rows.setdefault(key, Row(*key))
        row.files += 1
        row.skipped += len(o.skipped)
        if o.refused is not None:
            row.refused += 1
            row.reasons[o.refused] += 1
            continue
        for d in o.dispatches:
            row.parsed += 1
            row.languages[d.language or "?"] += 1
            if d.type is not ItemType.text:
                row.media += 1
            elif not d.body:
                row.empty += 1
    return sorted(rows.values(), key=lambda r: (r.format, r.agency))


def render(rows: Sequence[Row], *, reasons: int = 5) -> str:
    """A plain-text table, then the refusal reasons of each line that has some."""
    header = ("format", "agency", "files", "parsed", "refused", "empty", "media", "languages")
    lines = [
        (
            r.format,
            r.agency,
            str(r.files),
            str(r.parsed),
            str(r.refused),
            str(r.empty),
            str(r.media),
            " ".join(f"{lang}:{n}" for lang, n in r.languages.most_common()) or "-",
        )
        for r in rows
    ]
    total = (
        "total",
        "",
        str(sum(r.files for r in rows)),
        str(sum(r.parsed for r in rows)),
        str(sum(r.refused for r in rows)),
        str(sum(r.empty for r in rows)),
        str(sum(r.media for r in rows)),
        " ".join(
            f"{lang}:{n}" for lang, n in sum((r.languages for r in rows), Counter()).most_common()
        )
        or "-",
    )
    table = [header, *lines, total]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    out = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
           for row in table]  # fmt: skip
    out.insert(1, "  ".join("-" * w for w in widths))
    out.insert(len(out) - 1, "  ".join("-" * w for w in widths))
    for r in rows:
        if r.reasons:
            out.append("")
            out.append(f"refused ({r.format}, {r.agency}):")
            for reason, n in r.reasons.most_common(reasons):
                out.append(f"  {n} x {reason}")
    return "\n".join(out)


def as_json(rows: Sequence[Row]) -> list[dict[str, Any]]:
    return [
        {
            "format": r.format,
            "agency": r.agency,
            "files": r.files,
            "parsed": r.parsed,
            "refused": r.refused,
            "empty": r.empty,
            "media": r.media,
            "skipped": r.skipped,
            "languages": dict(r.languages),
            "reasons": dict(r.reasons),
        }
        for r in rows
    ]


# ------------------------------------------------------------------ manifest


@dataclass(frozen=True)
class Expectation:
    name: str
    expect: str  # dispatch | dispatches | media | refuse
    count: int
    format: str | None = None
    headlines: tuple[str, ...] = ()
    body_contains: tuple[str, ...] = ()
    language: str | None = None


@dataclass(frozen=True)
class Verdict:
    name: str
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def load_manifest(path: Path) -> list[Expectation]:
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    out = []
    for f in doc.get("file", []):
        headlines = f.get("headlines") or ([f["headline"]] if f.get("headline") else [])
        fmt = f.get("format")
        out.append(
            Expectation(
                name=f["name"],
                expect=f.get("expect", "dispatch"),
                count=int(f.get("count", 1)),
                format=ALIASES.get(fmt, fmt) if fmt else None,
                headlines=tuple(headlines),
                body_contains=tuple(f.get("body_contains", ())),
                language=f.get("language"),
            )
        )
    return out


def _norm(value: str) -> str:
    return " ".join(value.split())


def check(e: Expectation, o: FileOutcome | None) -> Verdict:
    """Do the file's dispatches hold what the manifest says?"""
    if o is None:
        return Verdict(e.name, ("file not found",))
    problems: list[str] = []
    if e.expect == "refuse":
        if o.refused is None:
            problems.append(f"expected a refusal, got {len(o.dispatches)} dispatch(es)")
        return Verdict(e.name, tuple(problems))
    if o.refused is not None:
        return Verdict(e.name, (f"refused: {o.refused}",))
    if len(o.dispatches) != e.count:
        problems.append(f"expected {e.count} dispatch(es), got {len(o.dispatches)}")
    if e.expect == "media" and any(d.type is ItemType.text for d in o.dispatches):
        problems.append("expected a media dispatch, got text")
    got_headlines = [_norm(d.headline or "") for d in o.dispatches]
    for h in e.headlines:
        if not any(_norm(h) == g or _norm(h) in g for g in got_headlines):
            problems.append(f"headline {h!r} not found (got {got_headlines})")
    bodies = _norm(" ".join(p for d in o.dispatches for p in d.body))
    for phrase in e.body_contains:
        if _norm(phrase) not in bodies:
            problems.append(f"body lacks {phrase!r}")
    if e.language:
        wrong = sorted({d.language or "?" for d in o.dispatches} - {e.language})
        if wrong:
            problems.append(f"language {wrong} instead of {e.language!r}")
    return Verdict(e.name, tuple(problems))


def check_manifest(
    expectations: Sequence[Expectation], outcomes: Iterable[FileOutcome]
) -> list[Verdict]:
    by_name = {Path(o.path).name: o for o in outcomes}
    return [check(e, by_name.get(e.name)) for e in expectations]


# ------------------------------------------------------------------ over a folder


def outcome_of(result: FileResult) -> FileOutcome:
    err = result.error
    return FileOutcome(
        path=str(result.path),
        format=result.format or (err.format if err else None),
        dispatches=result.dispatches,
        refused=err.reason if err else None,
        skipped=result.skipped,
    )


def outcomes(paths: Iterable[Path], *, max_bytes: int) -> list[FileOutcome]:
    received = datetime.now(UTC)
    return [
        outcome_of(read_file(p, received_at=received, max_bytes=max_bytes))
        for p in expand_paths(paths)
        if p.name != MANIFEST
    ]


def report_text(folder: Path, *, max_bytes: int) -> str:
    """What `wire parse --report DIR` prints: the table, then, when DIR has a
    manifest.toml, how many files hold what it expects and which do not."""
    results = outcomes([folder], max_bytes=max_bytes)
    text = render(build_report(results))
    manifest = folder / MANIFEST
    if folder.is_dir() and manifest.exists():
        verdicts = check_manifest(load_manifest(manifest), results)
        good = sum(v.ok for v in verdicts)
        text += f"\n\nmanifest: {good}/{len(verdicts)} files as expected"
        for v in verdicts:
            if not v.ok:
                text += f"\n  {v.name}: " + "; ".join(v.problems)
    return text

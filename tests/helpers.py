"""Shared test helpers: paths and a fixed reception time."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from connectors.registry import parse_document
from schemas import Dispatch, Event

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SAMPLES = ROOT / "samples"
# The shared seed sample, read from ../shared when present (CI has it), else the bundled copy.
SHARED_SEED = ROOT.parent / "shared" / "samples" / "afp-fr-amazon-gm-rivian.txt"
SEED = SHARED_SEED if SHARED_SEED.exists() else SAMPLES / "afp-fr-amazon-gm-rivian.txt"
# The Amazon/GM story ran on Thursday 21 February 2019.
SEED_RECEIVED = datetime(2019, 2, 21, 16, 30, tzinfo=UTC)


def parse_file(path: Path, received_at: datetime = SEED_RECEIVED) -> list[Dispatch]:
    return parse_document(
        path.read_bytes(), source=str(path), received_at=received_at, max_bytes=5_000_000
    ).dispatches


# Extraction tests: a dispatch as a parser hands it on, dated 2 December 2026, 09:00 UTC.
EXTRACT_NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def wire_copy(
    language: str, *paragraphs: str, place: str | None = None, key: str | None = None
) -> Dispatch:
    """A dispatch of these body paragraphs in `language`, datelined `place` when given
    ('PARIS, Dec 2, 2026 (AFP)'), for the extraction stage (no parser, no server)."""
    from schemas import Dateline

    return Dispatch(
        guid=f"test-{key or abs(hash(paragraphs))}",
        received_at=EXTRACT_NOW,
        versioncreated=EXTRACT_NOW,
        format="plaintext",
        source="test",
        language=language,
        body=list(paragraphs),
        dateline=Dateline(place=place, text=f"{place}, Dec 2, 2026 (AFP)") if place else Dateline(),
    )


def extract_copy(language: str, *paragraphs: str, place: str = "PARIS") -> Dispatch:
    """The extraction stage's output for wire_copy(language, *paragraphs, place=place)."""
    from pipeline.extract.batch import extract_batch

    [out] = extract_batch([wire_copy(language, *paragraphs, place=place)])
    return out


def role_names(e: Event) -> dict[str, list[str]]:
    """An event's roles as sorted names, the shape tests compare with."""
    return {k: sorted(r.name for r in v) for k, v in e.roles.items()}


def events_of(d: Dispatch, type_: str) -> list[Event]:
    """The asserted events of one type in a dispatch."""
    return [e for e in d.events if e.type == type_]

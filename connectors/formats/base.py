"""What every format module shares: its contract with the registry.

A format module exposes

    NAME: str                                   e.g. 'newsml-1.2'
    sniff(head: bytes) -> bool                  the first 4 KiB say it is this format
    parse(data: bytes, ctx: Context) -> Parsed  dispatches, or RefusedInput

`connectors.registry` asks each module in order (order matters: 7901 before plain
text, ANPA before 7901). Agency variants (AFP or ANA NewsML, DPA 7901, AP ANPA, WENN
Atom, AP Media API or BBC ninjs) are profiles inside their format's module.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Protocol, TypeVar

from connectors.errors import RefusedInput
from schemas import Dispatch

T = TypeVar("T")


@dataclass(frozen=True)
class Context:
    source: str
    received_at: datetime
    encoding: str | None = None  # forced by the user (--encoding): no detection then


@dataclass
class Parsed:
    dispatches: list[Dispatch] = field(default_factory=list)
    # Items of a multi-item document that were left out, each with its one-line reason.
    skipped: list[str] = field(default_factory=list)


class FormatModule(Protocol):
    NAME: str

    def sniff(self, head: bytes) -> bool: ...

    def parse(self, data: bytes, ctx: Context) -> Parsed: ...


def each_item(items: Iterable[T], parse_one: Callable[[T], Dispatch], what: str) -> Parsed:
    """Parse every item. With one item its refusal is the document's; with several, a
    refused item is skipped with its reason and the others go on."""
    batch = list(items)
    if len(batch) == 1:
        return Parsed([parse_one(batch[0])])
    out = Parsed()
    for i, item in enumerate(batch, 1):
        try:
            out.dispatches.append(parse_one(item))
        except RefusedInput as exc:
            out.skipped.append(f"{what} {i}/{len(batch)}: {exc.reason}")
    if not out.dispatches and out.skipped:
        first = out.skipped[0]
        more = f" (and {len(out.skipped) - 1} more)" if len(out.skipped) > 1 else ""
        raise RefusedInput(first + more)
    return out


_ROOT = re.compile(rb"<(?![?!])(?:[\w.-]+:)?([\w.-]+)")
_COMMENT = re.compile(rb"<!--.*?-->", re.S)
_DOCTYPE = re.compile(rb"<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>", re.S | re.I)


def strip_head(head: bytes) -> bytes:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")


@lru_cache(maxsize=64)
def xml_root(head: bytes) -> str | None:
    """Local name of the root element, lower-cased, when `head` starts an XML document."""
    head = strip_head(head)
    if not head.startswith(b"<"):
        return None
    head = _DOCTYPE.sub(b"", _COMMENT.sub(b"", head))
    m = _ROOT.search(head)
    return m.group(1).decode("ascii", "replace").lower() if m else None

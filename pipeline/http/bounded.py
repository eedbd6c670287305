"""A request body read within the document limit (pipeline.limits), for the push endpoint.

The whole body is read (in chunks, so memory stays bounded) to know its size and sha256,
but only its first `limit + 1` bytes are kept: a document over WIRE_MAX_DOCUMENT_BYTES is
a 413 *and* a dead letter with its true `payload_size`, like on every other path.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Body:
    head: bytes  # the whole body when size <= limit, else its first limit + 1 bytes
    size: int
    sha256: str

    def over(self, limit: int) -> bool:
        return self.size > limit


async def read_bounded(chunks: AsyncIterator[bytes], limit: int) -> Body:
    digest = hashlib.sha256()
    size = 0
    head = bytearray()
    async for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
        if len(head) <= limit:
            head += chunk[: limit + 1 - len(head)]
    return Body(bytes(head), size, digest.hexdigest())

"""Stage 1: normalise a parsed Dispatch (text hygiene, language, headline, hash, history)."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from connectors.formats.common import derive_headline
from pipeline.extract.language import detect_language, normalise_language
from schemas import Dispatch, VersionRecord

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f]+")


def clean_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub("", text)
    return _SPACES.sub(" ", text).strip()


def content_hash(headline: str | None, body: list[str]) -> str:
    canonical = " ".join([headline or "", *body]).casefold()
    canonical = " ".join(canonical.split())
    return hashlib.sha256(canonical.encode()).hexdigest()


def normalise(dispatch: Dispatch) -> Dispatch:
    body = [p for p in (clean_text(p) for p in dispatch.body) if p]
    headline = clean_text(dispatch.headline) if dispatch.headline else None
    slugline = clean_text(dispatch.slugline) if dispatch.slugline else None
    if not headline and body:
        headline = derive_headline(body[0])
    language = normalise_language(dispatch.language) or detect_language(
        " ".join([headline or "", *body])
    )
    history = dispatch.history or [
        VersionRecord(
            version=dispatch.version,
            versioncreated=dispatch.versioncreated,
            kind=dispatch.edit_kind,
        )
    ]
    return dispatch.model_copy(
        update={
            "body": body,
            "headline": headline,
            "slugline": slugline,
            "language": language,
            "content_hash": content_hash(headline, body),
            "history": history,
        }
    )

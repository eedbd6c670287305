"""Round 11 (eval/README.md, "Round 11: more annotated copy"): a law's name is no entity,
whatever the learned typer, trained on copy with few laws, reads it as."""

from __future__ import annotations

from pipeline.extract.batch import extract_batch
from pipeline.extract.normalise import normalise
from tests.helpers import wire_copy


def _names(language: str, body: str) -> set[str]:
    d = normalise(wire_copy(language, body))
    (out,) = extract_batch([d])
    return {e.name for e in out.entities}


def test_a_law_is_not_an_organisation() -> None:
    names = _names(
        "en",
        "Regulators in Brussels opened a case against Orbella Systems under the Digital "
        "Services Act on Tuesday, and a second one under the Clean Water Act was dropped.",
    )
    assert "Orbella Systems" in names
    assert not [n for n in names if n.endswith(" Act")]

"""The learned components (pipeline.extract.learned): shipped, read offline, blind-safe."""

from __future__ import annotations

import pytest

from pipeline.extract import learned
from pipeline.extract.batch import extract_batch
from pipeline.extract.evaluate import errors_allowed, is_blind
from pipeline.extract.learned.train import _refuse_blind, main
from pipeline.extract.nlp import LEARNED
from pipeline.extract.normalise import normalise
from schemas import Dispatch, EntityType
from tests.helpers import wire_copy


def _dispatch(language: str, *paragraphs: str) -> Dispatch:
    return normalise(wire_copy(language, *paragraphs, key="learned-1"))


def test_the_models_ship_with_the_package() -> None:
    for name in LEARNED:
        model = learned.load(name)
        assert model is not None, f"{name}.json missing: python -m eval.train"
        assert model.meta["trained_on"] and not any(is_blind(s) for s in model.meta["trained_on"])
    typer = learned.load("entity_typer")
    assert typer is not None and set(typer.labels) == {"PER", "ORG", "LOC", "OTHER"}


@pytest.mark.parametrize("split", ["heldout8", "heldout9"])
def test_training_refuses_blind_splits(split: str) -> None:
    with pytest.raises(SystemExit):
        _refuse_blind(split)
    with pytest.raises(SystemExit):
        main(["--splits", "dev", split, "--no-write"])


def test_spent_splits_are_development_copy() -> None:
    """Measured once and reported, a held-out split may be read and trained on; the next is blind."""
    for split in (
        *("heldout", "heldout2", "heldout3", "heldout4"),
        *("heldout5", "heldout6", "heldout7"),
    ):
        assert not is_blind(split) and errors_allowed(split)
        _refuse_blind(split)  # no SystemExit
    assert is_blind("heldout8") and not errors_allowed("heldout8")
    assert not is_blind("dev-b") and errors_allowed("dev")


def test_probabilities_sum_to_one() -> None:
    typer = learned.load("entity_typer")
    assert typer is not None
    probs = typer.probabilities(["model=LOC", "p1=in", "gaz=country"])
    assert abs(sum(probs.values()) - 1.0) < 1e-9


def test_a_country_is_not_short_for_a_listed_company() -> None:
    [d] = extract_batch(
        [_dispatch("en", "A strong earthquake struck northeastern Japan on Thursday.")]
    )
    japan = next(e for e in d.entities if e.name == "Japan")
    assert japan.type is EntityType.LOC


def test_the_newcomer_in_a_passive_replacement_is_hired() -> None:
    [d] = extract_batch(
        [
            _dispatch(
                "en",
                "Henry Schein said its chief financial officer, Ronald South, would retire "
                "at the end of June. He will be replaced by Maya Okonkwo, currently the "
                "group's treasurer.",
            )
        ]
    )
    hires = [e for e in d.events if e.type == "personnel.hire"]
    assert [[p.name for p in e.roles["person"]] for e in hires] == [["Maya Okonkwo"]]
    departures = [e for e in d.events if e.type == "personnel.departure"]
    assert all(p.name != "Maya Okonkwo" for e in departures for p in e.roles["person"])


def test_the_trigger_model_runs_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Off by default (it changed nothing on unseen copy in round 8); WIRE_LEARNED_TRIGGERS=1
    puts it back on the hot path, where it reads every sentence's content words."""
    from pipeline.extract.events import rules
    from pipeline.settings import get_settings

    read: list[int] = []
    real = rules._learned_candidates

    def spy(span: object, found: object) -> object:
        read.append(1)
        return real(span, found)  # type: ignore[arg-type]

    monkeypatch.setattr(rules, "_learned_candidates", spy)
    text = "Acme Robotics said on Monday it had agreed to buy Beta Systems for $2 billion."
    get_settings.cache_clear()
    try:
        [off] = extract_batch([_dispatch("en", text)])
        assert not read and [e.type for e in off.events] == ["acquisition"]
        monkeypatch.setenv("WIRE_LEARNED_TRIGGERS", "1")
        get_settings.cache_clear()
        [on] = extract_batch([_dispatch("en", text)])
        assert read and learned.load("event_trigger") is not None
        assert [e.type for e in on.events] == ["acquisition"]
    finally:
        monkeypatch.delenv("WIRE_LEARNED_TRIGGERS", raising=False)
        get_settings.cache_clear()


def test_a_word_shape_maps_letters_and_digits_and_cuts_runs() -> None:
    from pipeline.extract.learned.features import _shape

    assert _shape("Orange") == "Xxx"
    assert _shape("A320neo") == "Xddxx"
    assert _shape("ÉTATS-UNIS") == "XX-XX"
    assert _shape("L'Oréal") == "X'Xxx"
    assert _shape("٣٤٥") == "dd"  # any decimal digit
    assert _shape("日本") == "日本"  # outside Latin-1: kept

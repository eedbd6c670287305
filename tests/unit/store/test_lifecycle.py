"""Index generations, rollover conditions and the ILM policy (pipeline.store.lifecycle): pure."""

from __future__ import annotations

import pytest

from pipeline.settings import Settings
from pipeline.store.documents import templates
from pipeline.store.lifecycle import (
    generation,
    ilm_policy,
    next_index,
    rollover_conditions,
)


def test_generations_are_six_digits_after_the_alias() -> None:
    assert generation("wire-dispatches-000006", "wire-dispatches") == 6
    assert generation("wire-dispatches-reindex", "wire-dispatches") is None
    assert generation("wire-events-000001", "wire-dispatches") is None
    assert generation("wire-dispatches-0000012", "wire-dispatches") is None


def test_next_index_goes_past_every_generation_even_outside_the_alias() -> None:
    assert next_index("wire-events", []) == "wire-events-000001"
    assert next_index("wire-events", ["wire-events-000001", "wire-events-000003"]) == (
        "wire-events-000004"
    )


def test_rollover_needs_a_condition() -> None:
    assert rollover_conditions("30d", None, "50gb") == {
        "max_age": "30d",
        "max_primary_shard_size": "50gb",
    }
    with pytest.raises(ValueError):
        rollover_conditions(None, None, None)


def test_ilm_policy_rolls_over_and_never_deletes_or_freezes() -> None:
    policy = ilm_policy()
    assert policy["phases"]["hot"]["actions"]["rollover"] == {
        "max_age": "30d",
        "max_primary_shard_size": "50gb",
    }
    actions = {a for phase in policy["phases"].values() for a in phase["actions"]}
    assert not actions & {"delete", "readonly", "forcemerge", "freeze"}


def test_with_ilm_every_generation_names_the_policy_and_its_own_alias() -> None:
    s = Settings(index_prefix="wire")
    plain = templates(s)
    managed = templates(s, "wire-rollover")
    for alias in (s.dispatch_alias, s.event_alias):
        assert "index.lifecycle.name" not in plain[f"{alias}-template"]["template"]["settings"]
        settings = managed[f"{alias}-template"]["template"]["settings"]
        assert settings["index.lifecycle.name"] == "wire-rollover"
        assert settings["index.lifecycle.rollover_alias"] == alias
        assert managed[f"{alias}-template"]["index_patterns"] == [f"{alias}-*"]

"""The learned role filler (pipeline.extract.events.filler): its features on invented wire
copy, a role it gets right where the rules alone do not, deterministic training, and no
change at all while it is off (the default)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.extract import learned
from pipeline.extract.batch import extract_batch
from pipeline.extract.events import filler, rules
from pipeline.extract.learned.features import dependency_path
from pipeline.extract.learned.train import (
    _readable_json,
    fit_role_filler,
    load_split,
    role_examples,
)
from pipeline.extract.normalise import normalise
from pipeline.settings import get_settings
from schemas import Dispatch
from tests.helpers import wire_copy


def _dispatch(language: str, text: str, key: str) -> Dispatch:
    return normalise(wire_copy(language, text, key=key))


@pytest.fixture
def off() -> Iterator[None]:
    """The filler off and no model brought in, whatever the environment says."""
    saved = filler.OVERRIDE
    filler.OVERRIDE = None
    get_settings.cache_clear()
    try:
        yield
    finally:
        filler.OVERRIDE = saved
        get_settings.cache_clear()


def _features(language: str, text: str, event_type: str) -> dict[str, list[str]]:
    """The role filler's features of each name, for the first `event_type` trigger a rule read."""
    rules.ROLE_TRACE = []
    try:
        extract_batch([_dispatch(language, text, f"features-{language}")])
        trace = list(rules.ROLE_TRACE)
    finally:
        rules.ROLE_TRACE = None
    type_, tok, syn, in_sent, roles, around = next(t for t in trace if t[0] == event_type)
    cands, feats = filler.candidates(type_, tok, syn, in_sent, roles, around)
    return {m.text: f for m, f in zip(cands, feats, strict=True)}


def test_features_of_an_english_takeover(off: None) -> None:
    f = _features(
        "en",
        "Greenfield Energy said on Monday it had agreed to buy Solara Power for $1.2 billion.",
        "acquisition",
    )
    buyer, target = f["Greenfield Energy"], f["Solara Power"]
    for feats in (buyer, target):
        assert {"type=acquisition", "lemma=buy", "lang=en", "ent=ORG"} <= set(feats)
    # the object of 'buy', one edge down from the trigger, after it
    assert {"path=vdobj", "slot=obj", "side=after", "rule=target"} <= set(target)
    assert "acquisition|path=vdobj" in target
    # the subject of 'said', above 'it had agreed to buy': up two clauses, down to nsubj
    assert {"side=before", "rule=acquirer", "slot=gov_subj"} <= set(buyer)
    assert "path=^xcomp.^ccomp.vnsubj" in buyer


def test_features_of_a_french_passive_fine(off: None) -> None:
    f = _features(
        "fr",
        "La société Kerlys Santé a été condamnée mardi à une amende de 5 millions d'euros "
        "par la Commission nationale de l'informatique et des libertés.",
        "legal.fine",
    )
    authority = next(v for k, v in f.items() if k.startswith("Commission"))
    assert {"lang=fr", "type=legal.fine", "lemma=amende", "ent=ORG"} <= set(authority)
    # 'par la Commission': the preposition on the way, the passive's agent
    assert {"marker=par", "slot=agent_pass", "side=after", "rule=authority"} <= set(authority)
    defendant = f["Kerlys Santé"]
    # the passive subject, in apposition to 'la société'
    assert {"slot=subj_pass", "side=before", "appos_of=société"} <= set(defendant)


def test_dependency_path_goes_up_then_down(off: None) -> None:
    from pipeline.extract.nlp import load_model

    doc = load_model("en")("Acme bought Beta.")
    bought, acme, beta = doc[1], doc[0], doc[2]
    assert dependency_path(bought, beta) == ([], ["vdobj"], [beta])
    assert dependency_path(acme, beta) == (["^nsubj"], ["vdobj"], [beta])


INVESTORS = (
    "Nordwind Capital and Brightpath Ventures invested $15 million in Kestrel Robotics, "
    "the Oslo-based startup said on Tuesday."
)


def _investors(d: Dispatch) -> list[list[str]]:
    return [
        sorted(x.name for x in e.roles.get("investor", []))
        for e in d.events
        if e.type == "investment"
    ]


def test_the_model_names_both_investors_where_the_rule_takes_the_first(
    off: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """'X and Y invested N in Z': the rule reads the subject without its conjuncts (it
    takes one investor); the shipped model gives both names the investor role."""
    [alone] = extract_batch([_dispatch("en", INVESTORS, "investors")])
    assert _investors(alone) == [["Nordwind Capital"]]
    monkeypatch.setenv("WIRE_LEARNED_ROLES", "1")
    get_settings.cache_clear()
    assert filler.model() is learned.load(filler.MODEL) is not None
    [both] = extract_batch([_dispatch("en", INVESTORS, "investors")])
    assert _investors(both) == [["Brightpath Ventures", "Nordwind Capital"]]
    [target] = [e.roles["target"] for e in both.events if e.type == "investment"]
    assert [x.name for x in target] == ["Kestrel Robotics"]


def test_off_changes_nothing(off: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Off (the default), the filler is never called and the output is the rules' own."""
    assert not get_settings().learned_roles and filler.model() is None
    texts = [
        ("en", INVESTORS),
        ("fr", "Airbus et Safran ont annoncé mardi une alliance pour un moteur à hydrogène."),
    ]
    before = extract_batch([_dispatch(lang, t, f"off-{i}") for i, (lang, t) in enumerate(texts)])
    called: list[str] = []
    monkeypatch.setattr(filler, "refill", lambda *a, **k: called.append("x"))
    after = extract_batch([_dispatch(lang, t, f"off-{i}") for i, (lang, t) in enumerate(texts)])
    assert not called
    assert [d.model_dump(exclude={"extracted_at"}) for d in after] == [
        d.model_dump(exclude={"extracted_at"}) for d in before
    ]


GOLD_TOML = """
[[dispatch]]
file = "afp-en-invented-investment.txt"
entities = [
  { name = "Nordwind Capital", type = "ORG" },
  { name = "Brightpath Ventures", type = "ORG" },
  { name = "Kestrel Robotics", type = "ORG" },
  { name = "Oslo", type = "LOC" },
]
events = [
  { type = "investment", roles = { investor = ["Nordwind Capital", "Brightpath Ventures"], target = ["Kestrel Robotics"] } },
]

[[dispatch]]
file = "afp-fr-invented-acquisition.txt"
entities = [
  { name = "Vexim", type = "ORG" },
  { name = "Solvia", type = "ORG" },
  { name = "Lyon", type = "LOC" },
]
events = [
  { type = "acquisition", roles = { acquirer = ["Vexim"], target = ["Solvia"] } },
]
"""

TEXTS = {
    "afp-en-invented-investment.txt": (
        "Kestrel-funding\nKestrel Robotics raises $15 million\n\n"
        "OSLO, Dec 1, 2026 (AFP) - " + INVESTORS + "\n\nabc/def\n"
    ),
    "afp-fr-invented-acquisition.txt": (
        "Vexim-Solvia\nVexim rachète Solvia\n\n"
        "LYON, 1 déc 2026 (AFP) - Le groupe lyonnais Vexim a annoncé lundi le rachat de "
        "Solvia, un éditeur de logiciels installé à Lyon, pour 80 millions d'euros.\n\nabc/def\n"
    ),
}


def test_training_is_deterministic(off: None, tmp_path: Path) -> None:
    """The same gold files give the same JSON, byte for byte."""
    (tmp_path / "invented.toml").write_text(GOLD_TOML, encoding="utf-8")
    folder = tmp_path / "invented"
    folder.mkdir()
    for name, text in TEXTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    built = []
    for _ in range(2):
        examples = role_examples(load_split("invented", tmp_path))
        assert {"investor", "target", "acquirer"} <= {x for ex in examples for x in ex.labels}
        built.append(_readable_json(fit_role_filler(examples, 1.0, ["invented"])))
    assert built[0] == built[1]

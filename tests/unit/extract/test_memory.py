"""Entity memory (pipeline.extract.memory): what confident typings teach, and what a later dispatch
does with it. spaCy models, no server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipeline.extract import learned
from pipeline.extract.batch import extract_batch
from pipeline.extract.memory import KnownEntity, candidate_keys, learn, lessons, snapshot, teach
from pipeline.extract.normalise import normalise
from schemas import Dispatch, EntityType

NOW = datetime(2026, 11, 24, tzinfo=UTC)
LEAPMOTOR = KnownEntity(id="org:leapmotor", name="Leapmotor", type=EntityType.ORG, votes={"ORG": 2})


def _dispatch(guid: str, *paragraphs: str) -> Dispatch:
    return normalise(
        Dispatch(
            guid=guid,
            received_at=NOW,
            language="fr",
            format="plaintext",
            source="test",
            body=list(paragraphs),
        )
    )


def _entity(d: Dispatch, name: str) -> tuple[str, str, str]:
    e = next(e for e in d.entities if e.name == name or name in e.aliases)
    return e.id, e.type.value, e.typed_by


def test_only_confident_typings_teach() -> None:
    [d] = extract_batch(
        [
            _dispatch(
                "a",
                "Le constructeur chinois Leapmotor a signé jeudi un accord avec Stellantis, "
                "a annoncé Antonio Filosa.",
            )
        ]
    )
    taught = lessons(d)
    assert taught["leapmotor"].type is EntityType.ORG  # 'le constructeur chinois X'
    assert taught["antonio filosa"].type is EntityType.PER  # a given name
    model_only = [e for e in d.entities if e.typed_by == "model"]
    assert all(k not in taught for e in model_only for k in (e.name.lower(),))


def test_two_dispatches_settle_a_name_a_third_recalls_it() -> None:
    store: dict[str, KnownEntity] = {}
    for n in (1, 2):
        teaching = _dispatch(f"t{n}", f"Le constructeur chinois Leapmotor a signé l'accord {n}.")
        teach(store, extract_batch([teaching]))
    assert store["leapmotor"].settled and store["leapmotor"].votes == {"ORG": 2}
    store["leapmotor"] = store["leapmotor"].model_copy(update={"votes": {"ORG": 20}})
    assert teach(store, extract_batch([teaching])) == 0  # settled for good: no rewrite
    assert store["leapmotor"].votes == {"ORG": 20}
    later = _dispatch("t3", "Leapmotor vendra ses voitures en Europe dès 2027.")
    [d] = extract_batch([later], memory=snapshot([later.text], store.get))
    assert _entity(d, "Leapmotor") == ("org:leapmotor", "ORG", "memory")


def test_votes_add_up_and_the_first_id_stays() -> None:
    one = KnownEntity(id="org:leapmotor", name="Leapmotor", type=EntityType.ORG, votes={"ORG": 1})
    assert not one.settled
    two = learn(one, one)
    assert two.settled and two.votes == {"ORG": 2}
    wrong = KnownEntity(id="loc:leapmotor", name="Leapmotor", type=EntityType.LOC, votes={"LOC": 1})
    still = learn(two, wrong)
    assert (still.id, still.type, still.votes) == (
        "org:leapmotor",
        EntityType.ORG,
        {"ORG": 2, "LOC": 1},
    )
    assert not learn(still, wrong).settled  # 2 against 2: not settled any more


def test_a_later_dispatch_takes_the_remembered_type(monkeypatch: pytest.MonkeyPatch) -> None:
    # the rules and the model alone (the learned typer reads this one right by itself)
    monkeypatch.setattr(learned, "load", lambda name: None)
    text = "Leapmotor vendra ses voitures en Europe dès 2027."
    [alone] = extract_batch([_dispatch("b", text)])
    assert _entity(alone, "Leapmotor")[1] != "ORG"  # the small model reads a place
    [helped] = extract_batch([_dispatch("b", text)], memory={"leapmotor": LEAPMOTOR})
    assert _entity(helped, "Leapmotor") == ("org:leapmotor", "ORG", "memory")


def test_a_short_form_gets_the_canonical_id_learned_with_its_long_form() -> None:
    gm = KnownEntity(
        id="org:general-motors", name="General Motors", type=EntityType.ORG, votes={"ORG": 5}
    )
    [d] = extract_batch(
        [_dispatch("c", "GM a confirmé jeudi la fermeture de l'usine.")], memory={"gm": gm}
    )
    e = next(e for e in d.entities if e.id == "org:general-motors")
    assert (e.name, e.aliases) == ("General Motors", ["GM"])


def test_a_batch_gets_only_the_entries_its_texts_can_use() -> None:
    assert {"leapmotor", "antonio filosa", "antonio", "filosa"} <= candidate_keys(
        "Selon Antonio Filosa, Leapmotor produira en Espagne."
    )
    table = {"leapmotor": LEAPMOTOR, "renault": LEAPMOTOR}
    got = snapshot(["Leapmotor vendra ses voitures en Europe."], table.get)
    assert set(got) == {"leapmotor"}

"""Round 10: role families read from the parse, on invented sentences (spaCy models, no
server): a name the model found once is seen where it is repeated, a definite noun that
names no party retells the deal told before, and a post's complement names the company
a person is appointed to run."""

from __future__ import annotations

from pipeline.extract.entities import EntityMention, echo_mentions
from schemas import EntityType
from tests.helpers import events_of as _of
from tests.helpers import extract_copy as _extract
from tests.helpers import role_names as _roles

ORG, PER = EntityType.ORG, EntityType.PER


# ------------------------------------------------------------------ repeated names


def _m(text: str, form: str, type_: EntityType, nth: int = 0) -> EntityMention:
    start = -1
    for _ in range(nth + 1):
        start = text.index(form, start + 1)
    return EntityMention(start, start + len(form), form, type_)


def test_a_name_repeated_where_the_model_missed_it_becomes_a_mention() -> None:
    text = "Norvik said Monday it hired Ana Lopes. Norvik also cut 200 jobs, Lopes said."
    found = [_m(text, "Norvik", ORG), _m(text, "Ana Lopes", PER), _m(text, "Lopes", PER, 1)]
    out = echo_mentions(text, found)
    assert [(m.start, m.text, m.type) for m in out if m not in found] == [
        (text.index("Norvik also"), "Norvik", ORG)
    ]
    assert [m.start for m in out] == sorted(m.start for m in out)


def test_a_repeat_inside_a_longer_name_or_word_is_not_a_mention() -> None:
    text = "Reform won. Reform UK leads; Reformist voices and Vale Reform agree."
    out = echo_mentions(text, [_m(text, "Reform", ORG)])
    assert [m.start for m in out] == [0]


def test_a_repeat_in_french_after_punctuation_is_a_mention() -> None:
    text = "Le groupe Arvalis a recruté. «Arvalis reste prudent», a-t-il dit."
    out = echo_mentions(text, [_m(text, "Arvalis", ORG)])
    assert [m.start for m in out] == [text.index("Arvalis"), text.index("«Arvalis") + 1]


# ------------------------------------------------------------------ retold deals


def test_the_takeover_named_again_without_its_parties_is_no_new_deal() -> None:
    d = _extract(
        "en",
        "Dutch grocer Halvard Foods on Monday bought crisp maker Mirelle Snacks for 200 "
        "million euros, the companies said.",
        "Mirelle chief executive Tomas Berg will stay on after the takeover, Halvard said.",
    )
    assert [_roles(e) for e in _of(d, "acquisition")] == [
        {"acquirer": ["Halvard Foods"], "target": ["Mirelle Snacks"]}
    ]


# ------------------------------------------------------------------ the post's company


def test_a_person_put_at_the_head_of_a_company_joins_that_company_fr() -> None:
    d = _extract(
        "fr",
        "Le groupe Orvane a finalisé le rachat de la start-up lyonnaise Pixelia, a-t-il "
        "annoncé lundi.",
        "Orvane a nommé Claire Duval, jusqu'ici directrice juridique du groupe, à la tête "
        "de Pixelia.",
    )
    hires = [_roles(e) for e in _of(d, "personnel.hire")]
    assert {"person": ["Claire Duval"], "organization": ["Pixelia"]} in hires


def test_a_person_named_to_lead_a_company_joins_that_company_en() -> None:
    d = _extract(
        "en",
        "Brakon Industries said on Monday it had named Jan Olsen to lead Vexa Robotics, the "
        "drone maker it bought last month.",
    )
    hires = [_roles(e) for e in _of(d, "personnel.hire")]
    assert {"person": ["Jan Olsen"], "organization": ["Vexa Robotics"]} in hires


def test_a_unit_of_the_appointer_leaves_the_move_to_the_appointer() -> None:
    d = _extract(
        "en",
        "Brakon Industries has hired Jan Olsen, a former executive at rival Tolmar, to run "
        "its software subsidiary Vexa, the group said on Thursday.",
    )
    hires = [_roles(e) for e in _of(d, "personnel.hire")]
    assert hires == [{"person": ["Jan Olsen"], "organization": ["Brakon Industries"]}]

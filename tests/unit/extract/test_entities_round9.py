"""Entity rules of round 9 (eval/README.md, "Round 9: entities"), one family of error per
test, on invented wire copy: a title that belongs to the next name, places by their cues,
sports clubs, institutions spelled by their acronym, what says person, where a name ends,
words that are no names, and the short forms of one company."""

from __future__ import annotations

import pytest

from pipeline.extract.batch import extract_batch
from pipeline.extract.entities import _clean, _spelled_by
from pipeline.extract.normalise import normalise
from schemas import Dispatch, Entity, EntityType
from tests.helpers import wire_copy

TEXTS = {
    # 1. a title after the comma that belongs to the name after it, not the one before
    "title_of_next_fr": (
        "fr",
        "Les libéraux ont perdu leur majorité à l'Assemblée. A Winnipeg, le premier ministre "
        "provincial Jacques Morneau a reconnu sa défaite.",
        "Le brasseur n'envisage pas de racheter l'italien Birrificio Valtellina, le directeur "
        "général Olivier Texier a démenti mercredi.",
    ),
    "first_company_noun_fr": (
        "fr",
        "Veloria, la marque premium du groupe Stellantis devenue filiale à part entière, a "
        "dévoilé mardi son premier coupé électrique.",
    ),
    # 2. places by their cues
    "place_cues_en": (
        "en",
        "Coldharbour Dairies said on Monday it had raised $40 million in a round led by "
        "Norway's Norfund. The Brackwell-based group will fund expansion into Tanzania.",
        "The money was raised by the holding company under Marta Lindqvist, who took over "
        "as chief executive in 2024.",
        "Its founder Alice Pemberton, who grew up in Ballarat before moving to Sydney, said "
        "the plant would open in March.",
    ),
    "coordinated_place_fr": (
        "fr",
        "Une attaque au drone a visé un convoi entre Kidal et Tinzawatène, a affirmé l'armée.",
    ),
    # 3. sports clubs
    "clubs_fr": (
        "fr",
        "Thierry Lemasson, passé par l'AS Nancy puis par le Stade Briochin, a été élu "
        "dimanche maire de la commune.",
    ),
    "clubs_en": (
        "en",
        "Diego Alcaraz, a 39-year-old Spaniard who arrived from Real Oviedo in the summer, "
        "was sacked on Monday.",
    ),
    # 4. institutions: spelled by their acronym, named after their town, a consortium
    "acronym_fr": (
        "fr",
        "La Fédération nationale des producteurs de lait (FNPL) a dénoncé la décision. "
        "Selon le Syndicat des travailleurs et travailleuses du rail (STTR), la grève durera.",
        "L'Opéra de Rouen a nommé mardi un nouveau directeur.",
    ),
    "acronym_en": (
        "en",
        "Cape Verde's opposition African Party for the Independence of Cape Verde (PAICV) "
        "won Sunday's election, the National Elections Commission said.",
        "Executive chairman Lawrence Holt, whose Blue Heron consortium bought into the "
        "carmaker in 2020, welcomed the decision.",
    ),
    # 5. what says person (or not)
    "person_titles_en": (
        "en",
        "Drones set a warehouse ablaze overnight, regional governor Taras Hnatiuk said on "
        "Friday. Lotus Air chairman Nguyen Van Minh said the tie-up would lift traffic.",
        "The Uganda Red Cross said 40 people had died.",
    ),
    "person_parts_en": (
        "en",
        "Park Ji-hoon, a former banker, was sworn in as mayor on Monday. Park, 56, promised "
        "new jobs.",
    ),
    # 6. where a name ends
    "boundaries_en": (
        "en",
        "The firm was founded in 1971 by Harold B. Whitcomb and is based in St. Petersburg, "
        "Florida.",
        '"It is a big step," said Han Seo-jun, head of the mobile business.',
        "Outgoing prime minister Joaquim Mendes e Costa conceded defeat.",
    ),
    "place_prefix_fr": (
        "fr",
        "Rouen Cartonnages, fabricant normand de barquettes, a été racheté par le finlandais "
        "Huhtamaki. Le directeur général de Rouen Cartonnages, Paul Lebrun, restera en poste.",
    ),
    # 7. words that are no names
    "non_names_fr": (
        "fr",
        "Quelque trois cents habitants ont été évacués. Agé de 52 ans, M. Kowal dirigeait "
        "le site depuis 2019. Son propriétaire, le groupe néerlandais Accell, a racheté "
        "l'usine pour 1,2 Md€.",
    ),
    "non_names_en": (
        "en",
        "Interior minister Grace Wambui said helicopters were rescuing people stranded on "
        "rooftops.",
    ),
    # 8. one company, several forms
    "aliases_en": (
        "en",
        "Tractor maker Deere & Company is being sued by Brightwell Fluid Systems, a dealer "
        "based in Nebraska. Brightwell said Deere had refused to share repair tools.",
        "Al-Shabaab claimed the attack. The army said al-Shabaab fighters had fled.",
    ),
    "unit_and_parent_en": (
        "en",
        "The fund bought a 10 percent stake in Vale Base Metals, the nickel unit of Brazil's "
        "Vale, for $2.6 billion.",
    ),
}


def _dispatch(key: str, language: str, *paragraphs: str) -> Dispatch:
    return normalise(wire_copy(language, *paragraphs, key=f"r9-{key}"))


@pytest.fixture(scope="module")
def found() -> dict[str, list[Entity]]:
    keys = list(TEXTS)
    done = extract_batch([_dispatch(k, *TEXTS[k]) for k in keys])
    return {k: list(d.entities) for k, d in zip(keys, done, strict=True)}


def _types(entities: list[Entity]) -> dict[str, EntityType]:
    return {form: e.type for e in entities for form in (e.name, *e.aliases)}


def _names(entities: list[Entity]) -> set[str]:
    return {e.name for e in entities}


def test_a_title_after_the_comma_is_the_next_names(found: dict) -> None:
    types = _types(found["title_of_next_fr"])
    assert types["Winnipeg"] is EntityType.LOC  # not 'le premier ministre' of Winnipeg
    assert types["Jacques Morneau"] is EntityType.PER
    assert types["Birrificio Valtellina"] is EntityType.ORG  # 'le directeur général' is Texier's


def test_the_first_company_noun_of_an_apposition_counts(found: dict) -> None:
    # 'la marque premium du groupe Stellantis': 'marque' makes Veloria a company
    assert _types(found["first_company_noun_fr"])["Veloria"] is EntityType.ORG


def test_places_by_based_possessive_and_preposition(found: dict) -> None:
    types = _types(found["place_cues_en"])
    assert types["Brackwell"] is EntityType.LOC  # 'the Brackwell-based group'
    assert types["Norway"] is EntityType.LOC  # "Norway's Norfund": the owner is a place
    assert types["Tanzania"] is EntityType.LOC  # 'fund expansion into': 'fund' is a verb
    assert types["Marta Lindqvist"] is EntityType.PER  # 'the holding company under X'
    assert types["Ballarat"] is EntityType.LOC  # a town the model missed, after 'in'
    assert "March" not in types  # 'in March' is a time


def test_a_name_coordinated_with_a_place_is_a_place(found: dict) -> None:
    assert _types(found["coordinated_place_fr"])["Tinzawatène"] is EntityType.LOC


def test_sports_clubs_are_organisations(found: dict) -> None:
    fr, en = _types(found["clubs_fr"]), _types(found["clubs_en"])
    assert fr["AS Nancy"] is EntityType.ORG
    assert fr["Stade Briochin"] is EntityType.ORG
    assert en["Real Oviedo"] is EntityType.ORG
    assert "Spaniard" not in en  # a nationality noun, no name


def test_an_acronym_spells_the_whole_name(found: dict) -> None:
    fr, en = _types(found["acronym_fr"]), _types(found["acronym_en"])
    assert fr["Fédération nationale des producteurs de lait"] is EntityType.ORG
    assert fr["FNPL"] is EntityType.ORG  # the acronym is an alias
    assert fr["Syndicat des travailleurs et travailleuses du rail"] is EntityType.ORG
    assert fr["Opéra de Rouen"] is EntityType.ORG  # an institution named after its town
    assert en["African Party for the Independence of Cape Verde"] is EntityType.ORG
    assert "African Party" not in en
    assert en["Blue Heron"] is EntityType.ORG  # 'whose Blue Heron consortium'


def test_spelled_by() -> None:
    def spelled(name: str, acronym: str) -> bool:
        return _spelled_by(name.split(" "), acronym)

    assert spelled("Comité interprofessionnel de gestion du comté", "CIGC")
    assert spelled("Fédération de l'industrie horlogère suisse", "FH")
    assert spelled("Coalition avenir Québec", "CAQ")
    assert not spelled("said the Democratic Party", "DP")
    assert not spelled("Verde", "PAICV")


def test_titles_and_institution_words_say_person_or_not(found: dict) -> None:
    types = _types(found["person_titles_en"])
    assert types["Taras Hnatiuk"] is EntityType.PER  # 'regional governor X said'
    assert types["Nguyen Van Minh"] is EntityType.PER  # 'Lotus Air chairman X'
    assert types["Uganda Red Cross"] is EntityType.ORG  # 'Cross' ends no person's name


def test_a_lone_family_name_first_joins_the_person(found: dict) -> None:
    people = [e for e in found["person_parts_en"] if e.type is EntityType.PER]
    assert [(e.name, e.aliases) for e in people] == [("Park Ji-hoon", ["Park"])]


def test_where_names_end(found: dict) -> None:
    types = _types(found["boundaries_en"])
    assert types["Harold B. Whitcomb"] is EntityType.PER  # the initial's dot ends nothing
    assert types["St. Petersburg"] is EntityType.LOC
    assert types["Han Seo-jun"] is EntityType.PER  # not 'Han Seo'
    assert types["Joaquim Mendes e Costa"] is EntityType.PER


def test_a_company_named_twice_keeps_its_town(found: dict) -> None:
    # 'le directeur général de Rouen Cartonnages': no place 'Rouen' and company 'Cartonnages'
    types = _types(found["place_prefix_fr"])
    assert types["Rouen Cartonnages"] is EntityType.ORG
    assert "Cartonnages" not in types


def test_clean() -> None:
    assert _clean("Movement for Democracy (MpD") == "Movement for Democracy"
    assert _clean("Zhaotong city") == "Zhaotong"
    assert _clean("Kansas City") == "Kansas City"
    assert _clean("R1S. Elle") == "R1S"
    assert _clean("Robert A. James") == "Robert A. James"


def test_words_that_are_no_names(found: dict) -> None:
    fr, en = _names(found["non_names_fr"]), _names(found["non_names_en"])
    assert not {"Quelque", "Agé", "Son propriétaire", "Md€"} & fr
    assert _types(found["non_names_fr"])["Accell"] is EntityType.ORG
    assert "Interior" not in en  # 'Interior minister': the portfolio
    assert _types(found["non_names_en"])["Grace Wambui"] is EntityType.PER


def test_short_forms_of_one_company_are_one_entity(found: dict) -> None:
    orgs = {e.name: e.aliases for e in found["aliases_en"] if e.type is EntityType.ORG}
    assert orgs["Deere & Company"] == ["Deere"]
    assert orgs["Brightwell Fluid Systems"] == ["Brightwell"]
    assert len([n for n in orgs if n.lower() == "al-shabaab"]) == 1


def test_a_parent_is_not_folded_into_its_unit(found: dict) -> None:
    orgs = {e.name for e in found["unit_and_parent_en"] if e.type is EntityType.ORG}
    assert {"Vale Base Metals", "Vale"} <= orgs

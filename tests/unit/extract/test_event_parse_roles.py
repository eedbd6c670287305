"""Roles read from the dependency parse, one phrasing family per test (round 8): who
leads a round and who joins it, who leaves and for which company, with realistic
dispatch sentences (spaCy models, no server)."""

from __future__ import annotations

from schemas import Dispatch
from tests.helpers import events_of as _of
from tests.helpers import extract_copy as _extract
from tests.helpers import role_names as _roles

# ------------------------------------------------------------------ funding rounds


def test_a_lead_named_in_the_agent_of_led_with_a_description_before_it() -> None:
    d = _extract(
        "en",
        "Veltra, a Madrid start-up building batteries for delivery vans, said Tuesday it "
        "had raised 60 million euros in a round led by Dutch venture firm Brightwater "
        "Capital.",
    )
    [round_] = _of(d, "funding_round")
    assert _roles(round_)["lead_investor"] == ["Brightwater Capital"]
    assert _roles(round_)["target"] == ["Veltra"]


def test_co_leads_after_an_adverb_are_all_leads() -> None:
    d = _extract(
        "fr",
        "La start-up nantaise Ondalys a bouclé un tour de table de 45 millions d'euros "
        "mené conjointement par Eurazeo et Partech, a-t-elle annoncé mercredi.",
    )
    [round_] = _of(d, "funding_round")
    assert _roles(round_)["lead_investor"] == ["Eurazeo", "Partech"]
    assert _roles(round_)["target"] == ["Ondalys"]
    assert "investor" not in round_.roles


def test_the_subject_of_an_active_led_is_the_lead_not_the_target() -> None:
    d = _extract(
        "en",
        "Fintech start-up Coralpay has secured 30 million dollars in fresh capital, the "
        "company said Monday. Balderton Capital led the round, with Index Ventures and "
        "Atomico Partners joining.",
    )
    [round_] = _of(d, "funding_round")
    assert _roles(round_) == {
        "target": ["Coralpay"],
        "lead_investor": ["Balderton Capital"],
        "investor": ["Atomico Partners", "Index Ventures"],
    }


def test_participants_are_the_subjects_and_along_with_not_the_speaker() -> None:
    d = _extract(
        "en",
        "Harbor Robotics said on Wednesday it had raised 120 million dollars in a round led "
        "by Accel. Amazon and Salesforce Ventures also took part, along with existing "
        "backers Lux Capital and Bessemer Venture Partners, Harbor said in a statement.",
    )
    [round_] = _of(d, "funding_round")
    roles = _roles(round_)
    assert roles["lead_investor"] == ["Accel"]
    assert roles["target"] == ["Harbor Robotics"]
    assert set(roles["investor"]) == {
        "Amazon",
        "Salesforce Ventures",
        "Lux Capital",
        "Bessemer Venture Partners",
    }


def test_a_lead_verb_in_a_relative_clause_is_an_earlier_round() -> None:
    d = _extract(
        "en",
        "Coralpay, a Lagos fintech start-up, said Monday it had raised 30 million dollars in "
        "a round led by Balderton Capital. Atomico Partners, which led the company's seed "
        "round in 2023, also took part.",
    )
    [round_] = _of(d, "funding_round")
    assert _roles(round_) == {
        "target": ["Coralpay"],
        "lead_investor": ["Balderton Capital"],
        "investor": ["Atomico Partners"],
    }


# ------------------------------------------------------------------ personnel


def test_a_possessive_departure_is_the_move_already_told() -> None:
    d = _extract(
        "en",
        "Laura Brenner, who ran Siemens' rail signalling business for six years, is leaving "
        "the group to join rival Alstom, both companies said on Monday.",
        "Alstom chief executive Henri Poupart-Lafarge said he was delighted.",
        "Her departure is a blow for Siemens, which has been racing to expand the unit.",
    )
    departures = _of(d, "personnel.departure")
    assert [_roles(e)["person"] for e in departures] == [["Laura Brenner"]]
    [hire] = _of(d, "personnel.hire")
    assert _roles(hire) == {"person": ["Laura Brenner"], "organization": ["Alstom"]}


def test_one_move_per_person_the_trigger_nearest_in_the_parse() -> None:
    d = _extract(
        "fr",
        "Le groupe Maréchal Industries a annoncé mardi le départ de son président, Paul "
        "Maréchal, et la nomination de Sophie Garnier pour lui succéder.",
    )
    assert [_roles(e)["person"] for e in _of(d, "personnel.departure")] == [["Paul Maréchal"]]
    assert [_roles(e)["person"] for e in _of(d, "personnel.hire")] == [["Sophie Garnier"]]


def test_the_reporting_subject_names_the_company_of_the_move() -> None:
    d = _extract(
        "en",
        "Kestrel Capital Management agreed on Tuesday to pay 4 million dollars to settle "
        "charges brought by the Securities and Exchange Commission.",
        "In a separate statement, the firm said founder Erik Lindqvist would step down as "
        "chief investment officer at the end of the month.",
    )
    [dep] = _of(d, "personnel.departure")
    assert _roles(dep) == {
        "person": ["Erik Lindqvist"],
        "organization": ["Kestrel Capital Management"],
    }


def test_the_apposed_title_names_the_company_not_the_reporting_group() -> None:
    d = _extract(
        "fr",
        "LVMH a publié mardi un bénéfice net en recul de 12%. Le groupe a par ailleurs "
        "annoncé que Chiara Ferri, directrice générale de Fendi depuis 2023, quittait ses "
        "fonctions pour raisons personnelles.",
    )
    [dep] = _of(d, "personnel.departure")
    assert _roles(dep) == {"person": ["Chiara Ferri"], "organization": ["Fendi"]}


def test_a_predecessor_ousted_is_no_named_person_leaving() -> None:
    d = _extract(
        "en",
        "The group has been trying to revive growth under chief executive Laurent Freixe, "
        "who took over after his predecessor was ousted.",
    )
    assert not [e for e in d.events + d.non_facts if e.type == "personnel.departure"]


# ------------------------------------------------------------------ background by the clause


def _status(d: Dispatch, type_: str) -> list[str]:
    return [e.status.value for e in d.events + d.non_facts if e.type == type_]


def test_a_noun_trigger_takes_the_time_of_the_verb_it_is_subject_of() -> None:
    d = _extract(
        "en",
        "The state's grid operator has leaned heavily on batteries since a deadly winter "
        "storm swept Texas in 2021 and left millions without power.",
    )
    assert "asserted" not in _status(d, "disaster")


def test_a_participle_takes_the_time_of_its_clause() -> None:
    d = _extract(
        "en",
        "Michelin on Wednesday unveiled an airless tyre for passenger cars. The group closed "
        "factories in Cholet and Vannes in 2024, eliminating about 1,250 positions.",
    )
    assert "asserted" not in _status(d, "layoffs")


def test_a_series_of_recent_deals_is_background() -> None:
    d = _extract(
        "fr",
        "Orange a multiplié ces derniers mois les alliances dans l'intelligence "
        "artificielle, notamment avec Mistral AI.",
    )
    assert "asserted" not in _status(d, "partnership")


def test_planned_to_is_a_plan() -> None:
    d = _extract(
        "en",
        "TikTok said it planned to roll out new parental controls in the Netherlands next month.",
    )
    assert "asserted" not in _status(d, "product.launch")


def test_results_compared_with_last_year_stay_asserted() -> None:
    d = _extract(
        "en",
        "Hermes said on Friday its net profit rose to 4.6 billion euros in 2026 from 4.3 "
        "billion euros in 2025.",
    )
    assert _status(d, "earnings") == ["asserted"]


# ------------------------------------------------------------------ elections and deaths


def test_an_election_place_is_in_the_winners_clause_not_a_contrasted_one() -> None:
    d = _extract(
        "en",
        "In Lisbon, incumbent mayor Carlos Moedas secured a third term on Sunday, while in "
        "Coimbra the race remained too close to call early Monday.",
    )
    [won] = _of(d, "election.result")
    assert _roles(won) == {"winner": ["Carlos Moedas"], "place": ["Lisbon"]}


def test_tandis_que_opens_another_race() -> None:
    d = _extract(
        "fr",
        "L'écologiste Grégory Doucet a été réélu dimanche maire de Lyon, tandis qu'à "
        "Saint-Etienne le candidat de la droite Pierre Verney a remporté la mairie.",
    )
    doucet = [e for e in _of(d, "election.result") if _roles(e)["winner"] == ["Grégory Doucet"]]
    assert [_roles(e)["place"] for e in doucet] == [["Lyon"]]


def test_a_death_told_by_a_title_is_not_the_name_in_its_relative_clause() -> None:
    d = _extract(
        "en",
        "Harald Brenner, who built one of Europe's largest logistics groups, has died at the "
        "age of 91, the company said Saturday. The former chairman, who was no relation of "
        "rival founder Peter Hansen, died peacefully at his home in Hamburg.",
    )
    assert [_roles(e)["person"] for e in _of(d, "death")] == [["Harald Brenner"]]


# ------------------------------------------------------------------ attacks and disasters by lemma


def test_an_attack_told_by_its_verb() -> None:
    d = _extract(
        "en",
        "A man armed with a knife attacked commuters at a railway station in Manchester "
        "during the evening rush hour, wounding four people, police said.",
    )
    [attack] = _of(d, "attack")
    assert _roles(attack) == {"place": ["Manchester"]}


def test_attaquer_des_voyageurs_is_an_attack_attaquer_en_justice_is_not() -> None:
    d = _extract(
        "fr",
        "Un homme armé d'un couteau a attaqué samedi matin des voyageurs dans le hall de la "
        "gare Saint-Charles, à Marseille, blessant deux personnes.",
    )
    assert ["Marseille" in _roles(e)["place"] for e in _of(d, "attack")] == [True]
    d = _extract("fr", "L'association UFC-Que Choisir a attaqué Free en justice à Paris.")
    assert not _of(d, "attack")


def test_an_explosion_at_a_plant_is_a_disaster() -> None:
    d = _extract(
        "en",
        "Two workers were killed in an explosion at a chemical plant in Ludwigshafen on "
        "Thursday morning, police said.",
    )
    [disaster] = _of(d, "disaster")
    assert _roles(disaster) == {"place": ["Ludwigshafen"]}


# ------------------------------------------------------------------ what is raised, who is fined


def test_raising_a_forecast_or_a_dividend_is_no_funding_round() -> None:
    d = _extract(
        "en",
        "Nintendo said on Tuesday its quarterly profit rose 20 percent. The Kyoto-based "
        "company raised its full-year forecast to 350 billion yen.",
    )
    assert not [e for e in d.events + d.non_facts if e.type == "funding_round"]
    d = _extract(
        "fr",
        "Le groupe TotalEnergies a relevé son dividende de 5% et maintenu son programme de "
        "rachat d'actions.",
    )
    assert not [e for e in d.events + d.non_facts if e.type == "funding_round"]


def test_a_fine_for_each_defendant() -> None:
    d = _extract(
        "en",
        "The European Commission on Wednesday fined Apple and Meta a combined 700 million "
        "euros for breaching the Digital Markets Act.",
    )
    fines = sorted((_roles(e) for e in _of(d, "legal.fine")), key=str)
    assert fines == [
        {"authority": ["European Commission"], "defendant": ["Apple"]},
        {"authority": ["European Commission"], "defendant": ["Meta"]},
    ]


def test_the_trade_noun_names_the_story_company() -> None:
    d = _extract(
        "fr",
        "Air France-KLM a publié jeudi une perte nette de 400 millions d'euros. La compagnie "
        "a également annoncé le départ de son directeur financier, Pieter Hofstra.",
    )
    [dep] = _of(d, "personnel.departure")
    assert _roles(dep) == {"person": ["Pieter Hofstra"], "organization": ["Air France-KLM"]}


# ------------------------------------------------------------------ relative clauses, generic objects


def test_a_name_in_the_subjects_relative_clause_is_not_the_subject() -> None:
    d = _extract(
        "en",
        "Heineken reported a 5 percent rise in operating profit on Monday. The Dutch group, "
        "which makes Amstel and Tiger, said it would cut 2,400 office jobs over the next two "
        "years.",
    )
    [cut] = _of(d, "layoffs")
    assert _roles(cut) == {"company": ["Heineken"]}


def test_buying_the_company_named_before_by_a_generic_noun() -> None:
    d = _extract(
        "en",
        "Danish shipping giant Maersk will fold warehouse operator Nordlog into its logistics "
        "arm after agreeing to buy the Gothenburg-based company for 6.1 billion Swedish "
        "kronor, Maersk said Wednesday.",
    )
    [deal] = _of(d, "acquisition")
    assert _roles(deal) == {"acquirer": ["Maersk"], "target": ["Nordlog"]}


def test_a_move_told_by_a_noun_is_of_the_name_it_governs() -> None:
    d = _extract(
        "en",
        "Separately on Wednesday, Diageo named Nik Jhangiani, its finance chief, as interim "
        "chief executive following the departure of Debra Crew, who left the company with "
        "immediate effect, the group said.",
    )
    assert [_roles(e) for e in _of(d, "personnel.departure")] == [
        {"person": ["Debra Crew"], "organization": ["Diageo"]}
    ]
    assert [_roles(e)["person"] for e in _of(d, "personnel.hire")] == [["Nik Jhangiani"]]


def test_who_fights_the_cuts_does_not_make_them() -> None:
    d = _extract(
        "en",
        "Ford will eliminate about 3,200 jobs in Europe by the end of 2027, the US carmaker "
        "said on Wednesday. IG Metall, Germany's largest union, called the decision a slap in "
        "the face and said it would fight any forced redundancies.",
    )
    assert [_roles(e) for e in _of(d, "layoffs")] == [{"company": ["Ford"]}]


# ------------------------------------------------------------------ launches by lemma


def test_a_launch_by_its_verb_and_a_product_object() -> None:
    d = _extract(
        "en",
        "Japanese camera maker Nikon on Tuesday launched a mirrorless camera aimed at "
        "wildlife photographers, the company said.",
    )
    assert [_roles(e) for e in _of(d, "product.launch")] == [{"company": ["Nikon"]}]
    d = _extract(
        "fr",
        "L'éditeur de logiciels Dassault Systèmes a dévoilé lundi une plateforme de "
        "simulation destinée aux laboratoires pharmaceutiques.",
    )
    assert [_roles(e) for e in _of(d, "product.launch")] == [{"company": ["Dassault Systèmes"]}]


def test_a_count_of_things_launched_or_a_campaign_is_no_launch() -> None:
    d = _extract(
        "en",
        "Amazon, which has launched more than 1,000 satellites as it races to catch up with "
        "Starlink, said the deal opens a new market. Amazon also launched an investigation "
        "into the outage.",
    )
    assert not [e for e in d.events + d.non_facts if e.type == "product.launch"]


def test_reported_a_profit_is_no_press_report() -> None:
    d = _extract(
        "en",
        "Kering, the French owner of Gucci and Saint Laurent, on Thursday reported a net "
        "profit of 1.4 billion euros for the first half, up 9 percent from a year earlier.",
    )
    assert _status(d, "earnings") == ["asserted"]


def test_results_for_last_years_period_are_reported_now() -> None:
    d = _extract(
        "fr",
        "Le distributeur Casino a publié mercredi un bénéfice net de 1,4 milliard d'euros "
        "pour 2025, stable sur un an.",
    )
    assert _status(d, "earnings") == ["asserted"]


def test_sales_made_last_year_or_claimed_describe_the_company() -> None:
    d = _extract(
        "fr",
        "Fondée en 2011, la société Vetalia a réalisé l'an dernier un chiffre d'affaires de "
        "410 millions d'euros. Le groupe Lactalis revendique un chiffre d'affaires de plus de "
        "30 milliards d'euros.",
    )
    assert "asserted" not in _status(d, "earnings")


# ------------------------------------------------------------------ named victims, market moves


def test_a_victim_named_among_those_an_attack_killed() -> None:
    d = _extract(
        "en",
        "Gunmen stormed a hotel in Kismayo on Saturday, killing at least nine people "
        "including regional minister Ahmed Nur Farah, police said.",
    )
    assert [_roles(e) for e in _of(d, "death")] == [{"person": ["Ahmed Nur Farah"]}]
    d = _extract(
        "fr",
        "Une avalanche a emporté jeudi un groupe de skieurs au-dessus de Zermatt, tuant un "
        "guide de montagne, Pierre Rochat, 51 ans, a indiqué la police cantonale.",
    )
    assert [_roles(e) for e in _of(d, "death")] == [{"person": ["Pierre Rochat"]}]


def test_the_killer_or_the_speaker_is_no_victim() -> None:
    d = _extract(
        "en",
        "Gunmen attacked an army post in Boni on Saturday, killing at least 23 soldiers, "
        "army spokesman Souleymane Dembele said.",
    )
    assert not _of(d, "death")


def test_shares_closing_higher_is_no_round() -> None:
    d = _extract(
        "en",
        "Nestle said on Monday it had taken a 20 percent stake in Greenfold. Nestle shares "
        "closed 0.3 percent higher in Zurich.",
    )
    assert not [e for e in d.events + d.non_facts if e.type == "funding_round"]


def test_a_chief_executive_removed_leaves() -> None:
    d = _extract(
        "en",
        "Reckitt has removed chief executive Laxman Narasimhan after just 18 months in the "
        "job, the consumer goods group said on Thursday, naming finance director Shannon "
        "Eisenhardt as interim chief.",
    )
    assert [_roles(e) for e in _of(d, "personnel.departure")] == [
        {"person": ["Laxman Narasimhan"], "organization": ["Reckitt"]}
    ]


def test_firing_on_all_cylinders_fires_no_one() -> None:
    d = _extract(
        "en",
        '"Both companies are firing on all cylinders," said Hideki Yasuda, an analyst at '
        "Toyo Securities.",
    )
    assert not [e for e in d.events + d.non_facts if e.type == "personnel.departure"]


def test_a_definite_description_reporting_names_the_story_company() -> None:
    d = _extract(
        "en",
        "Rio Tinto reported a 12 percent fall in first-half profit on Wednesday. The "
        "Anglo-Australian miner also said its chairman, Dominic Barton, would step down at "
        "its annual meeting in May.",
    )
    [dep] = _of(d, "personnel.departure")
    assert _roles(dep) == {"person": ["Dominic Barton"], "organization": ["Rio Tinto"]}


# ------------------------------------------------------------------ fines imposed by someone


def test_a_fine_imposed_by_an_authority_names_it_whoever_the_clause_is_about() -> None:
    """'X won its appeal against a fine imposed by Y': Y fined X (a user's ninjs file
    had the roles the other way round: the clause's subject read as the authority)."""
    d = _extract(
        "en",
        "US software group Globex on Monday won its appeal against a 2 billion euro fine "
        "imposed by the European Commission in 2023 for abusing its dominant position.",
    )
    [fine] = [e for e in [*d.events, *d.non_facts] if e.type == "legal.fine"]
    assert _roles(fine) == {"authority": ["European Commission"], "defendant": ["Globex"]}


def test_a_fine_imposed_on_a_company_by_an_authority() -> None:
    d = _extract(
        "en",
        "Shares in Northwind Logistics fell after a 45 million euro fine imposed on the "
        "carrier Atlas Freight by the Dutch competition authority ACM on Tuesday.",
    )
    fines = [e for e in [*d.events, *d.non_facts] if e.type == "legal.fine"]
    assert any(
        _roles(f) == {"authority": ["ACM"], "defendant": ["Atlas Freight"]} for f in fines
    ), [_roles(f) for f in fines]

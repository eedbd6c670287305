"""A generated corpus of realistic wire dispatches (French and English, ~450 tokens each).

Plain AFP-style wire copy (slug, headline, dateline, body, signature), built from
story templates (funding rounds, acquisitions, appointments, departures, investments)
with varied companies, people, places and amounts, and background paragraphs so the
length matches real copy. Deterministic for a seed; every dispatch is distinct.

    python -m bench.corpus OUT_DIR --count 2000
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass
from pathlib import Path

COMPANIES = [
    ("Mistral AI", "start-up", "intelligence artificielle", "artificial intelligence"),
    ("Doctolib", "plateforme", "santé numérique", "digital health"),
    ("Ubisoft", "éditeur", "jeux vidéo", "video games"),
    ("OVHcloud", "fournisseur", "hébergement informatique", "cloud hosting"),
    ("Capgemini", "groupe", "services informatiques", "IT services"),
    ("Renault", "constructeur", "automobile", "carmaker"),
    ("Stellantis", "constructeur", "automobile", "carmaker"),
    ("Airbus", "avionneur", "aéronautique", "aerospace"),
    ("Dassault Systèmes", "éditeur", "logiciels", "software"),
    ("Alan", "start-up", "assurance santé", "health insurance"),
    ("Qonto", "néobanque", "services bancaires", "banking"),
    ("Back Market", "plateforme", "électronique reconditionnée", "refurbished electronics"),
    ("Contentsquare", "éditeur", "analyse de données", "analytics"),
    ("Verkor", "start-up", "batteries", "batteries"),
    ("Ledger", "fabricant", "sécurité numérique", "digital security"),
    ("Sanofi", "laboratoire", "pharmacie", "pharmaceuticals"),
    ("Carrefour", "distributeur", "grande distribution", "retail"),
    ("Orange", "opérateur", "télécommunications", "telecoms"),
    ("Vinted", "plateforme", "mode d'occasion", "second-hand fashion"),
    ("Pigment", "start-up", "logiciels financiers", "finance software"),
]
TARGETS = [
    "Gridscale",
    "Reflector",
    "WNS",
    "Shift Technology",
    "Ynsect",
    "Sorare",
    "Spendesk",
    "Swile",
    "Lydia",
    "Ankorstore",
    "Aircall",
    "ManoMano",
    "PayFit",
    "Agicap",
    "Pennylane",
]
INVESTORS = [
    "General Catalyst",
    "Eurazeo",
    "Bpifrance",
    "Tikehau Capital",
    "Accel",
    "Index Ventures",
    "Sequoia Capital",
    "Lightspeed",
    "Partech",
    "Andreessen Horowitz",
    "SoftBank",
    "Temasek",
]
PEOPLE = [
    "Claire Dubois",
    "Julien Marchand",
    "Sophie Lefèvre",
    "Thomas Girard",
    "Camille Rousseau",
    "Nicolas Fontaine",
    "Laura Chevalier",
    "Antoine Mercier",
    "Elena Rossi",
    "David Cohen",
    "Sarah Bernard",
    "Marc Olivier",
    "Inès Benali",
    "Paul Lambert",
    "Hélène Moreau",
]
PLACES = [
    ("PARIS", "Paris"),
    ("LYON", "Lyon"),
    ("TOULOUSE", "Toulouse"),
    ("BORDEAUX", "Bordeaux"),
    ("NANTES", "Nantes"),
    ("LILLE", "Lille"),
    ("MARSEILLE", "Marseille"),
]
MONTHS_FR = [
    "janv",
    "fév",
    "mars",
    "avr",
    "mai",
    "juin",
    "juil",
    "août",
    "sept",
    "oct",
    "nov",
    "déc",
]
MONTHS_EN = [
    "Jan",
    "Feb",
    "March",
    "April",
    "May",
    "June",
    "July",
    "Aug",
    "Sept",
    "Oct",
    "Nov",
    "Dec",
]
JOURS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]

FR_BACKGROUND = [
    "Le secteur traverse une période de consolidation, alors que les taux d'intérêt élevés "
    "ont rendu les financements plus rares et plus coûteux pour les entreprises de taille moyenne.",
    "Selon le cabinet EY, les investissements dans les jeunes pousses françaises ont reculé de "
    "près de 20% l'an dernier, avant de se redresser au premier semestre de cette année.",
    "Les analystes de la banque Oddo BHF estiment que l'opération devrait renforcer la position "
    "du groupe face à ses concurrents américains et asiatiques sur un marché très disputé.",
    "Le gouvernement a fait de la souveraineté technologique une priorité, avec un plan "
    "d'investissement de plusieurs milliards d'euros sur cinq ans annoncé au printemps.",
    "L'entreprise, qui ne publie pas ses comptes détaillés, affirme avoir doublé son chiffre "
    "d'affaires en un an et compte atteindre l'équilibre financier d'ici deux ans.",
    "Plusieurs syndicats ont demandé des garanties sur l'emploi, notamment sur les sites de "
    "production en région, où travaillent la majorité des salariés du groupe.",
    "En Bourse, le titre a gagné près de 3% dans les premiers échanges, dans un marché parisien "
    "globalement stable, avant de réduire ses gains en fin de séance.",
    "La Commission européenne doit encore donner son feu vert, une étape qui prend généralement "
    "plusieurs mois pour les opérations de cette taille dans le secteur.",
    "Le marché français reste dominé par quelques grands acteurs, mais une dizaine de nouveaux "
    "entrants ont levé des fonds importants ces trois dernières années, selon la société Dealroom.",
    "La direction n'a pas précisé le calendrier de l'opération, ni l'impact attendu sur les "
    "résultats de l'exercice en cours, qui seront publiés en février.",
    "Interrogé par l'AFP, un porte-parole du ministère de l'Economie n'a pas souhaité commenter "
    "l'annonce, rappelant que l'Etat suivait de près l'évolution du secteur.",
    "Fondée il y a une dizaine d'années, la société a multiplié les acquisitions en Europe, "
    "notamment en Allemagne, en Espagne et en Italie, pour atteindre une taille critique.",
]
EN_BACKGROUND = [
    "The sector is going through a period of consolidation as high interest rates have made "
    "funding scarcer and more expensive for mid-sized companies.",
    "According to consultancy EY, investment in French start-ups fell by almost 20 percent last "
    "year before recovering in the first half of this year.",
    "Analysts at Oddo BHF said the deal should strengthen the group's position against its "
    "American and Asian rivals in a fiercely contested market.",
    "The government has made technological sovereignty a priority, with a multi-billion-euro "
    "investment plan over five years announced in the spring.",
    "The company, which does not publish detailed accounts, says it doubled its revenue in a "
    "year and aims to break even within two years.",
    "Several unions have asked for job guarantees, especially at regional production sites "
    "where most of the group's employees work.",
    "Shares rose almost 3 percent in early trading in a broadly flat Paris market, before "
    "paring gains towards the close.",
    "The European Commission still has to approve the deal, a step that usually takes several "
    "months for transactions of this size in the sector.",
    "The French market is still dominated by a handful of large players, but a dozen newcomers "
    "have raised significant funds over the past three years, according to Dealroom.",
    "Management did not give a timetable for the deal or its expected impact on results for the "
    "current financial year, which are due in February.",
    "Asked by AFP, a spokesman for the economy ministry declined to comment on the announcement, "
    "saying the state was closely following developments in the sector.",
    "Founded about ten years ago, the company has made a string of acquisitions in Europe, "
    "notably in Germany, Spain and Italy, to reach critical mass.",
]


@dataclass(frozen=True)
class Generated:
    name: str
    language: str
    kind: str
    text: str


def _amount(rng: random.Random) -> tuple[int, str, str]:
    """(millions, French words, English words)."""
    m = rng.choice([15, 25, 40, 60, 85, 120, 250, 400, 600, 850, 1200, 2300])
    if m >= 1000:
        fr = f"{m / 1000:.1f}".replace(".", ",") + " milliards d'euros"
        en = f"{m / 1000:.1f} billion euros"
    else:
        fr, en = f"{m} millions d'euros", f"{m} million euros"
    return m, fr, en


def _fr(rng: random.Random, i: int) -> Generated:
    company, noun, sector, _ = rng.choice(COMPANIES)
    place, city = rng.choice(PLACES)
    day, month = rng.randint(1, 28), rng.randrange(12)
    jour = rng.choice(JOURS)
    _, amount, _ = _amount(rng)
    person, other = rng.sample(PEOPLE, 2)
    target, investor = rng.choice(TARGETS), rng.choice(INVESTORS)
    kind = rng.choice(["funding_round", "acquisition", "hire", "departure", "investment"])
    if kind == "funding_round":
        head = f"{company} lève {amount} auprès de {investor}"
        lead = (
            f"La {noun} française de {sector} {company} a levé {amount} lors d'un tour de table "
            f"mené par le fonds {investor}, a annoncé {jour} l'entreprise dans un communiqué."
        )
        quote = (
            f"\"Cette levée nous permet d'accélérer notre développement à l'international\", a "
            f"déclaré {person}, directeur général de {company}."
        )
    elif kind == "acquisition":
        head = f"{company} rachète {target} pour {amount}"
        lead = (
            f"Le {noun} français de {sector} {company} a annoncé {jour} le rachat de la start-up "
            f"{target} pour {amount}, afin de renforcer son offre auprès des grandes entreprises."
        )
        quote = f'"{target} complète parfaitement notre offre", a déclaré {person}, président de {company}.'
    elif kind == "hire":
        head = f"{company} nomme {person} directeur financier"
        lead = (
            f"Le {noun} français {company} a nommé {jour} {person} au poste de directeur "
            f"financier, en remplacement de {other}, a annoncé l'entreprise dans un communiqué."
        )
        quote = f"{person} occupait jusqu'ici la direction financière du groupe {target}."
    elif kind == "departure":
        head = f"{person} quitte la direction de {company}"
        lead = (
            f"{person}, directeur général du {noun} français {company}, va quitter ses fonctions "
            f"à la fin de l'année, a annoncé {jour} le groupe dans un communiqué."
        )
        quote = f"Son successeur, {other}, prendra ses fonctions le 1er janvier, selon {company}."
    else:
        head = f"{investor} investit {amount} dans {company}"
        lead = (
            f"Le fonds {investor} a investi {amount} dans le {noun} français de {sector} "
            f"{company}, a annoncé {jour} l'entreprise, qui veut doubler ses effectifs."
        )
        quote = f'"C\'est un signal de confiance", a déclaré {person}, cofondateur de {company}.'
    background = rng.sample(FR_BACKGROUND, 11)
    body = [
        lead,
        quote,
        *background[:2],
        f"{company} emploie {rng.randint(80, 9000)} personnes, "
        f"dont une large part à {city}, et revendique {rng.randint(2, 90)} millions de clients "
        f"en Europe (réf. {i}).",
        *background[2:],
    ]
    slug = f"France-{sector.split()[0]}-{company.split()[0]}"
    dateline = f"{place}, {day} {MONTHS_FR[month]} 2026 (AFP) - "
    text = f"{slug}\n{head}\n\n{dateline}" + "\n\n".join(body) + "\n\nafp/ak/jh\n"
    return Generated(f"{i:05d}-fr-{kind}.txt", "fr", kind, text)


def _en(rng: random.Random, i: int) -> Generated:
    company, _, _, sector = rng.choice(COMPANIES)
    place, city = rng.choice(PLACES)
    day, month = rng.randint(1, 28), rng.randrange(12)
    weekday = rng.choice(DAYS)
    _, _, amount = _amount(rng)
    person, other = rng.sample(PEOPLE, 2)
    target, investor = rng.choice(TARGETS), rng.choice(INVESTORS)
    kind = rng.choice(["funding_round", "acquisition", "hire", "departure", "investment"])
    if kind == "funding_round":
        head = f"{company} raises {amount} from {investor}"
        lead = (
            f"French {sector} company {company} has raised {amount} in a funding round led by "
            f"{investor}, the company said on {weekday}."
        )
        quote = f'"This round lets us speed up our international expansion," said chief executive {person}.'
    elif kind == "acquisition":
        head = f"{company} to buy {target} for {amount}"
        lead = (
            f"French {sector} group {company} said on {weekday} it had agreed to acquire "
            f"start-up {target} for {amount} in cash."
        )
        quote = f'"{target} is a perfect fit for us," chief executive {person} told reporters.'
    elif kind == "hire":
        head = f"{company} names {person} chief financial officer"
        lead = (
            f"French {sector} group {company} has appointed {person} as chief financial officer, "
            f"replacing {other}, the company said on {weekday}."
        )
        quote = f"{person} previously ran finance at {target}."
    elif kind == "departure":
        head = f"{company} chief {person} to step down"
        lead = (
            f"{company} said on {weekday} that chief executive {person} will step down at the "
            f"end of the year."
        )
        quote = f"{other} will take over on January 1, the company said."
    else:
        head = f"{investor} invests {amount} in {company}"
        lead = (
            f"{investor} has invested {amount} in French {sector} company {company}, which "
            f"plans to double its workforce, the company said on {weekday}."
        )
        quote = f'"It is a strong vote of confidence," said co-founder {person}.'
    background = rng.sample(EN_BACKGROUND, 11)
    body = [
        lead,
        quote,
        *background[:2],
        f"{company} employs {rng.randint(80, 9000)} people, "
        f"many of them in {city}, and claims {rng.randint(2, 90)} million customers in "
        f"Europe (ref. {i}).",
        *background[2:],
    ]
    dateline = f"{place}, {MONTHS_EN[month]} {day}, 2026 (AFP) - "
    text = (
        f"France-{sector.split()[0]}-{company.split()[0]}\n{head}\n\n{dateline}"
        + "\n\n".join(body)
        + "\n\nxyz/jh\n"
    )
    return Generated(f"{i:05d}-en-{kind}.txt", "en", kind, text)


def generate(count: int, seed: int = 7, english_share: float = 0.35) -> list[Generated]:
    rng = random.Random(seed)
    return [(_en if rng.random() < english_share else _fr)(rng, i) for i in range(count)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out", type=Path)
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for g in generate(args.count, args.seed):
        (args.out / g.name).write_text(g.text, encoding="utf-8")
    print(f"{args.count} dispatches in {args.out}")


if __name__ == "__main__":
    main()

"""Entity knowledge shipped with wirestream: given names, listed companies, legal forms
and institutions, each from a permissively licensed source (see build.py for how the
lists were made and from which packages; institutions.tsv and companies_extra.tsv are written by hand).

The lists are evidence, not verdicts: pipeline.extract.entities weighs them against
context cues ('le groupe X', 'X, the carmaker'), the model's label and the entity memory.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from pipeline.extract.geo import fold
from pipeline.extract.trie import trie_pattern

HERE = Path(__file__).parent


def _lines(name: str) -> list[str]:
    text = (HERE / name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


@lru_cache(maxsize=1)
def given_names() -> frozenset[str]:
    """Given names, accent-folded and lower-cased (~20,000, from Faker's locales)."""
    return frozenset(fold(n) for n in _lines("given_names.txt"))


# Words a company name ends with, that a person's name never does.
ORG_TAIL_WORDS = (
    "Inc|Corp|Corporation|Company|Companies|Group|Groupe|Holding|Holdings|International"
    "|Industries|Industrie|Partners|Associates|Brothers|Frères|Capital|Ventures|Investments"
    "|Bank|Banque|Finance|Financial|Insurance|Assurances|Systems|Technologies|Technology"
    "|Software|Robotics|Motors|Automotive|Airlines|Airways|Aero|Aerospace|Engines|Energy"
    "|Énergie|Energies|Power|Electric|Pharma|Pharmaceuticals|Therapeutics|Biotech|Labs?"
    "|Laboratories|Laboratoires|Foods|Beverages|Brewing|Stores|Retail|Supermarkets|Media"
    "|Médias|Entertainment|Studios?|Games|Interactive|Networks|Telecom|Télécom|Communications"
    "|Logistics|Solutions|Services|Mining|Resources|Lithium|Marine|Shipping|Chemicals"
    "|Materials|Steel|Semiconductors?|Devices|Health|Healthcare|Brands|Records|Films"
    "|Pictures|Publishing|Éditions|Society|Institute|Institut|Foundation|Fondation|Trust"
    "|Fund|Fonds|AI|Sachs|Stanley|Lake|Capital Partners|Asset Management|Electronics"
    "|Mobility|Mobile|Cargo|Composites|Platforms|Logistique|Logística|Aviation|Airport"
    "|Télécoms?|Distribution|Immobilier|Properties|Realty|Semiconductor|Biosciences"
    "|Analytics|Consulting|Ticketing|Payments|Insights|Diagnostics|Genomics"
)


@lru_cache(maxsize=1)
def legal_forms() -> tuple[str, ...]:
    """'SA', 'AG', 'GmbH', 'plc', 'SpA', 'NV', 'Oyj' ... (cleanco's terms), longest first."""
    return tuple(sorted(set(_lines("legal_forms.txt")), key=lambda t: (-len(t), t)))


@lru_cache(maxsize=1)
def legal_form_after() -> re.Pattern[str]:
    """A legal form right after a name: ' SA', ' AG,', ', Inc.', ' plc'."""
    forms = "|".join(re.escape(t) for t in legal_forms())
    return re.compile(rf"^,?\s+(?:{forms})(?![\w&])")


@lru_cache(maxsize=1)
def legal_form_inside() -> re.Pattern[str]:
    """A name ending in a legal form or a company word: 'Adidas AG', 'Helio Robotics'."""
    forms = "|".join(re.escape(t) for t in legal_forms())
    return re.compile(rf"\s(?:{forms}|{ORG_TAIL_WORDS})\.?$")


def _is_place(form: str) -> bool:
    """'Cincinnati' (Financial), 'Palo Alto' (Networks), 'Phoenix' (Group): a company name
    less its company word is a place of the gazetteer, not the company's short form."""
    from pipeline.extract.geo import gazetteer

    if form.isupper():  # 'BT' (Group) is no Bhutan
        return False
    record = gazetteer().resolve(form)
    return record is not None and record.kind in ("city", "country", "region", "continent")


@lru_cache(maxsize=1)
def companies() -> dict[str, str]:
    """Folded company names and short forms -> the name as listed: 'Orange SA' and
    'Orange'; 'The Estée Lauder Companies' and 'Estée Lauder' (the article and a company
    word dropped)."""
    out: dict[str, str] = {}
    tail = re.compile(rf"\s+(?:{ORG_TAIL_WORDS})$")
    for line in _lines("companies.tsv"):
        name, _, short = line.partition("\t")
        forms = [name, short]
        bare = tail.sub("", re.sub(r"^The\s+", "", short or name))
        if bare != (short or name) and not _is_place(bare):
            forms.append(bare)
        for form in forms:
            key = fold(form)
            if len(key) >= 3 or (len(key) == 2 and form.isupper()):
                out.setdefault(key, name)  # 'BT', 'GE' as written
    for line in _lines("companies_extra.tsv"):
        name, _, aliases = line.partition("\t")
        for form in (name, *[a for a in aliases.split("|") if a]):
            out.setdefault(fold(form), name)
    return out


@lru_cache(maxsize=1)
def institutions() -> dict[str, str]:
    """Folded names and aliases of institutions, unions, agencies, parties -> the name."""
    out: dict[str, str] = {}
    for line in _lines("institutions.tsv"):
        name, _, aliases = line.partition("\t")
        for form in (name, *[a for a in aliases.split("|") if a]):
            out.setdefault(fold(form), name)
    return out


def known_organisation(name: str) -> str | None:
    """The listed company or institution `name` names, if any."""
    key = fold(name)
    return institutions().get(key) or companies().get(key)


# A listed name stands as a whole word: no letter, digit, '&' or '-' on either side.
ORG_EDGES = (r"(?<![\w&-])(?:", r")(?![\w&-])")


@lru_cache(maxsize=1)
def organisation_forms() -> frozenset[str]:
    """Every listed organisation name as written: institutions and their aliases, companies
    with their short and bare forms (not where the bare form is a place), the extra list."""
    forms: set[str] = set()
    for line in _lines("institutions.tsv"):
        name, _, aliases = line.partition("\t")
        forms.add(name)
        forms.update(a for a in aliases.split("|") if len(a) >= 3 and (a.isupper() or len(a) >= 4))
    tail = re.compile(rf"\s+(?:{ORG_TAIL_WORDS})$")
    for line in _lines("companies.tsv"):
        name, _, short = line.partition("\t")
        bare = tail.sub("", re.sub(r"^The\s+", "", short or name))
        for form in (name, short, "" if _is_place(bare) else bare):
            if len(form) >= 4 and not re.search(r"[,()]", form):
                forms.add(form)
    for line in _lines("companies_extra.tsv"):
        name, _, aliases = line.partition("\t")
        forms.update(f for f in (name, *aliases.split("|")) if len(f) >= 2)
    return frozenset(f for f in forms if f)


@lru_cache(maxsize=1)
def organisation_pattern() -> re.Pattern[str]:
    """Listed names as written (case-sensitive, whole words), longest first: to find the
    organisations the model did not tag ('Salesforce', 'Afad', 'Groupe de soutien à
    l'islam et aux musulmans'). A trie of the ~2,800 names (pipeline.extract.trie): the
    plain alternation cost ~1 ms per short dispatch, the trie ~0.02 ms, same matches."""
    return re.compile(ORG_EDGES[0] + trie_pattern(organisation_forms()) + ORG_EDGES[1])

"""Stage 3d: IPTC Media Topic codes for each dispatch, by rules over events and keywords.

Events decide first (a funding round is business information, a quake a disaster);
then a keyword family gives its topic when at least two of its distinct words occur
in the headline and body, French or English. Codes are the IPTC NewsCodes
`medtop` concept ids; only top-level topics and a few second-level ones are used.
The provider's own subjects (NewsML-G2, NITF, IPTC 7901) are kept beside them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.extract.caseblind import CaseBlind
from pipeline.extract.events.types import TYPES
from pipeline.extract.trie import trie_pattern
from schemas import Dispatch, Subject

MEDIA_TOPICS: dict[str, str] = {
    "01000000": "arts, culture, entertainment and media",
    "02000000": "crime, law and justice",
    "03000000": "disaster, accident and emergency incident",
    "04000000": "economy, business and finance",
    "05000000": "education",
    "06000000": "environment",
    "07000000": "health",
    "08000000": "human interest",
    "09000000": "labour",
    "10000000": "lifestyle and leisure",
    "11000000": "politics and government",
    "12000000": "religion",
    "13000000": "science and technology",
    "14000000": "society",
    "15000000": "sport",
    "16000000": "conflict, war and peace",
    "17000000": "weather",
    # second level
    "20000106": "judiciary",
    "20000148": "disaster",
    "20000170": "business information",
    "20000385": "market and exchange",
    "20000509": "employment",
    "20000574": "election",
}

EVENT_TOPICS: dict[str, tuple[str, ...]] = {c: t.subjects for c, t in TYPES.items() if t.subjects}


@dataclass(frozen=True)
class Family:
    """Keywords (regex fragments) of one topic. Most match in any case (pipeline.extract.caseblind);
    those written `(?-i:AI)` only as written ('ai' is French for 'have')."""

    any_case: CaseBlind
    exact: re.Pattern[str] | None
    words: tuple[str, ...]  # the any-case keywords as literals, lower-cased

    def found(self, text: str, lowered: str, starts: Sequence[int] | None = None) -> set[str]:
        """The distinct keywords present (lower-cased); `lowered` is text.lower().
        `starts`, where given, holds every position where a keyword of any family starts
        (`keyword_starts`): the family is tried only there, with the same matches."""
        if starts is None:
            found = self.any_case.finditer(text, lowered)
        else:
            found = self.any_case.matches_at(text, lowered, starts)
        hits = {m.group(0).lower() for m in found}
        if self.exact is not None:
            hits |= {m.group(0).lower() for m in self.exact.finditer(text)}
        return hits


def _forms(word: str) -> tuple[str, ...]:
    """The literal words a keyword stands for: 'floods?' is 'flood' and 'floods'."""
    if word.endswith("?"):
        return (word[:-2], word[:-1])
    if re.search(r"[\\()\[\]{}*+?|^$]", word):
        raise ValueError(f"topic keyword {word!r}: only literals and a final 'x?' are read")
    return (word,)


def _family(*words: str) -> Family:
    """A family's keywords as one trie (pipeline.extract.trie) over the lower-cased text:
    thirteen families read a dispatch in ~0.1 ms, not ~0.65 ms as plain alternations."""
    exact = [w[len("(?-i:") : -1] for w in words if w.startswith("(?-i:")]
    any_case = [f.lower() for w in words if not w.startswith("(?-i:") for f in _forms(w)]
    return Family(
        CaseBlind(r"\b" + trie_pattern(any_case) + r"\b"),
        re.compile(r"\b(?:" + "|".join(exact) + r")\b") if exact else None,
        tuple(any_case),
    )


KEYWORDS: dict[str, Family] = {
    "01000000": _family(
        "cinéma",
        "cinéaste",
        "film",
        "films",
        "festival",
        "musique",
        "music",
        "musée",
        "museum",
        "théâtre",
        "theatre",
        "livre",
        "novel",
        "roman",
        "artiste",
        "artist",
        "Palme d'or",
        "journal",
        "newspaper",
        "presse",
        "publisher",
        "éditeur",
    ),
    "02000000": _family(
        "tribunal",
        "court",
        "procès",
        "trial",
        "justice",
        "police",
        "enquête",
        "parquet",
        "prosecutors?",
        "amende",
        "fined?",
        "plainte",
        "lawsuit",
        "sued",
        "condamnée?",
        "convicted",
        "antitrust",
        "concurrence",
    ),
    "03000000": _family(
        "séisme",
        "earthquake",
        "inondations?",
        "floods?",
        "incendies?",
        "wildfires?",
        "accident",
        "crash",
        "ouragan",
        "hurricane",
        "secours",
        "rescue",
        "victimes",
        "victims",
    ),
    "04000000": _family(
        "Bourse",
        "shares",
        "actionnaires",
        "shareholders",
        "chiffre d'affaires",
        "revenue",
        "bénéfice",
        "profit",
        "investisseurs?",
        "investors?",
        "marché",
        "market",
        "croissance",
        "growth",
        "inflation",
        "PIB",
        "GDP",
        "valorisée?",
        "valuation",
        "levée de fonds",
        "funding",
        "rachat",
        "takeover",
        "acquisition",
    ),
    "06000000": _family(
        "climat",
        "climatique",
        "climate",
        "émissions",
        "emissions",
        "CO2",
        "carbone",
        "carbon",
        "décarbonation",
        "pollution",
        "biodiversité",
        "renouvelables?",
        "renewables?",
        "hydrogène",
        "hydrogen",
    ),
    "07000000": _family(
        "santé",
        "health",
        "hôpital",
        "hôpitaux",
        "hospitals?",
        "médicaments?",
        "drugs?",
        "vaccins?",
        "vaccines?",
        "maladies?",
        "diseases?",
        "patients",
        "médical",
        "medical",
        "soins",
        "biotech",
    ),
    "09000000": _family(
        "emplois?",
        "jobs",
        "salariés",
        "employees",
        "workers",
        "syndicats?",
        "unions?",
        "grève",
        "strike",
        "chômage",
        "unemployment",
        "postes",
        "licenciements?",
        "layoffs?",
    ),
    "11000000": _family(
        "gouvernement",
        "government",
        "ministre",
        "minister",
        "parlement",
        "parliament",
        "élections?",
        "elections?",
        "législatives",
        "présidentielle",
        "presidential",
        "scrutin",
        "vote",
        "parti",
        "party",
        "candidat",
        "candidate",
        "coalition",
    ),
    "13000000": _family(
        "intelligence artificielle",
        "artificial intelligence",
        "(?-i:IA)",
        "(?-i:AI)",
        "logiciels?",
        "software",
        "semi-conducteurs?",
        "semiconductors?",
        "puces",
        "chips?",
        "cybersécurité",
        "cybersecurity",
        "cloud",
        "numérique",
        "technologie",
        "technology",
        "scientifiques?",
        "scientists?",
        "chercheurs",
        "researchers",
        "Nobel",
    ),
    "15000000": _family(
        "football",
        "rugby",
        "tennis",
        "match",
        "championnat",
        "championship",
        "Ligue 1",
        "Premier League",
        "olympiques?",
        "Olympics?",
        "Coupe du monde",
        "World Cup",
        "joueur",
        "player",
        "entraîneur",
        "coach",
        "goal",
    ),
    "16000000": _family(
        "guerre",
        "war",
        "armée",
        "army",
        "militaires?",
        "military",
        "attentat",
        "terroristes?",
        "terrorists?",
        "jihadistes?",
        "jihadists?",
        "kamikaze",
        "suicide bomber",
        "bombing",
        "cessez-le-feu",
        "ceasefire",
        "Etat islamique",
        "Islamic State",
    ),
    "17000000": _family(
        "météo",
        "weather",
        "pluies?",
        "rain",
        "tempête",
        "storm",
        "canicule",
        "heatwave",
        "neige",
        "snow",
    ),
}
_MARKETS = _family(
    "Bourse",
    "stock market",
    "CAC 40",
    "Dow Jones",
    "Nasdaq",
    "shares rose",
    "shares fell",
    "en hausse de",
    "en baisse de",
    "jumped",
    "slumped",
)


# Where any family's keyword starts: one scan of the text instead of one per family.
_KEYWORD_STARTS = CaseBlind(
    r"\b(?=" + trie_pattern({w for f in (*KEYWORDS.values(), _MARKETS) for w in f.words}) + r"\b)"
)


def keyword_starts(text: str, lowered: str) -> list[int]:
    """Every position where a keyword of some family starts (and ends on a word boundary)."""
    return [m.start() for m in _KEYWORD_STARTS.finditer(text, lowered)]


def _subject(code: str) -> Subject:
    return Subject(code=f"medtop:{code}", name=MEDIA_TOPICS[code], scheme="medtop")


def classify(dispatch: Dispatch) -> list[Subject]:
    """The Media Topics of a dispatch (its events must be extracted already)."""
    codes: dict[str, None] = {}
    for event in dispatch.events:
        for code in EVENT_TOPICS.get(event.type, ()):
            codes[code] = None
    text = " ".join([dispatch.headline or "", dispatch.text])
    lowered = text.lower()
    starts = keyword_starts(text, lowered)
    for code, family in KEYWORDS.items():
        if len(family.found(text, lowered, starts)) >= 2:
            codes[code] = None
    if "04000000" in codes and _MARKETS.found(text, lowered, starts):
        codes["20000385"] = None
    return [_subject(c) for c in codes]


def with_topics(dispatch: Dispatch) -> list[Subject]:
    """The provider's subjects, then ours that it did not already give."""
    have = {s.code for s in dispatch.subjects}
    return [*dispatch.subjects, *(s for s in classify(dispatch) if s.code not in have)]

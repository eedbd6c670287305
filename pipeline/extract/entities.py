"""Stage 3a: named entities from the spaCy doc, corrected by context and merged by alias.

The small models mislabel wire copy (a start-up read as a place, a company as a
person). Three rules repair most of it without a bigger model:
- context cues: 'la start-up X', 'X, le constructeur', 'X Inc.', 'Mme X';
- coordination: in 'Google, Tesla et Uber' the members share the confident type;
- one surface form, one type in a document (majority after cues).
Aliases merge within the document ('General Motors (GM)', 'Mme Boler Davis').
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from spacy.tokens import Doc

from pipeline.extract import knowledge, learned
from pipeline.extract.caseblind import CaseBlind, matches_at
from pipeline.extract.geo import fold
from pipeline.extract.learned.features import (
    covering_span,
    doc_text,
    mention_features,
    proper_starts,
)
from pipeline.extract.memory import Memory
from schemas import Entity, EntityType

_LABELS: dict[str, EntityType] = {
    "PER": EntityType.PER,
    "PERSON": EntityType.PER,
    "ORG": EntityType.ORG,
    "LOC": EntityType.LOC,
    "GPE": EntityType.LOC,
    "FAC": EntityType.LOC,
    "MISC": EntityType.MISC,
    "PRODUCT": EntityType.MISC,
    "EVENT": EntityType.MISC,
    "NORP": EntityType.MISC,
    "WORK_OF_ART": EntityType.MISC,
    "LAW": EntityType.MISC,
}

_HONORIFIC = re.compile(r"^(?:M\.|Mme|Mlle|Me|Dr|Pr|Mr\.?|Mrs\.?|Ms\.?|Sir|Lord)\s+")
_ORG_NOUNS = (
    r"start-?up|jeune pousse|soci[ée]t[ée]|entreprise|groupe|constructeur|fabricant|firme"
    r"|compagnie|banque|g[ée]ant|op[ée]rateur|[ée]quipementier|laboratoire|assureur"
    r"|company|firm|group|maker|carmaker|automaker|bank|giant|operator|lender|insurer|rival"
    r"|retailer|unicorn|licorne|conglom[ée]rat|fund|fonds"
    r"|plateforme|[ée]diteur|fournisseur|h[ée]bergeur|distributeur|enseigne|studio"
    r"|platform|publisher|provider|supplier|planemaker|chipmaker|developer"
    r"|sp[ée]cialiste|specialist|n[ée]obanque|neobank|fintech|biotech|medtech|maison"
    r"|armateur|transporteur|motoriste|avionneur|industriel|p[ée]trolier|[ée]nerg[ée]ticien"
    r"|chain|carrier|airline|broadcaster|regulator|r[ée]gulateur|gendarme|watchdog"
    r"|banque en ligne|online bank|quotidien|journal|newspaper|daily|magazine|hebdomadaire"
    r"|association|ONG|NGO|syndicat|chausseur|sidérurgiste|chimiste|drugmaker"
    r"|filiale|subsidiary|marque|brand|griffe|label|verrier|brasseur|brewer|miner|minier"
    r"|trading house|conglomerate|manufacturer|chain|supermarket chain|cabinet|agence|agency"
    r"|union|house|consultancy|maison de couture|leader|numéro un|number one|champion|exploitant|négociant"
    r"|institut|institute|coopérative|cooperative|consortium|mutuelle|broker|brokerage|courtier"
)
# 'présidente du conseil régional de Bretagne': the name after is a place
_BODY_OF_PLACE = CaseBlind(
    r"\b(?:conseil|région|ville|mairie|département|province|state|city|county|region)"
    r"(?:\s+[\w-]+)?\s+(?:de|d['’]|du|of)\s*$",
)
# ', a précisé le directeur': French 'a' is a verb there, not the English article
_NOT_FRENCH_VERB = r"(?!a\s+(?:[\w-]*é|dit|écrit|fait)\b)"
# ', was elected mayor', ', selon le maire': a clause or an adjunct, not an apposition
_NOT_CLAUSE = (
    r"(?!(?:was|is|are|were|has|had|have|will|would|who|which|whose|where|said|says|told"
    r"|according|selon|qui|dont|où|est|sont|sera|fut|avait|était|avec|with|while|alors"
    r"|after|après|before|avant|when|quand|lorsque|as|comme)\b)"
)
# Words that end a descriptive noun phrase ('le groupe a nommé X' is not 'le groupe X')
_TAIL_STOP = (
    r"(?:de|du|des|of|d|par|by|chez|pour|avec|selon|dont|qui|que|and|et|with|for|in|on|at|to"
    r"|dans|en|sur|à|au|aux|a|ont|est|sont|va|vont|has|have|had|is|was|were|will|would|said"
    r"|the|la|le|les|un|une|an|its|son|sa|ses"
    # 'the conglomerate under Greg Abel', 'fund expansion into Tanzania': a preposition
    r"|under|into|across|from|after|before|behind|over|between|against|among|since|until"
    r"|through|toward|towards|sous|entre|contre|depuis|vers|via|parmi"
    # 'the company also named X': a verb after the noun, whose object is the name
    r"|also|aussi|named|appointed|hired|tapped|picked|chose|selected|promoted|nommé|recruté"
    r"|désigné|choisi|promu)"
)
ORG_BEFORE = re.compile(
    rf"(?:(?:\b(?:la|le|les|l'|l’|une|un|du|des|de la|the|a|an|rival|US|French|American)\s+"
    rf"|\b[A-Z][a-z]+(?:ish|an|ese|ch|ic|i)\s+)"
    rf"(?:[\w-]+\s+){{0,3}}|\b(?:of|de|d'|d’|by|par)\s+)(?:{_ORG_NOUNS})"
    rf"(?:\s+(?:d['’]|de\s+(?:la\s+|l['’])?|des\s+|du\s+|en\s+|of\s+(?:the\s+)?)?"
    rf"(?!{_TAIL_STOP}\b)(?-i:[a-zà-ÿ])[\w-]*){{0,4}}\s*,?\s*$",
    re.IGNORECASE,
)
# the first company noun ('Alpine, la marque sportive du groupe Renault': 'marque', not 'groupe')
ORG_AFTER = re.compile(
    rf"^\s*,\s*{_NOT_FRENCH_VERB}(?:une|un|la|le|l'|l’|a|an|the)\s+(?:[\w-]+\s+){{0,3}}?"
    rf"(?:{_ORG_NOUNS})\b",
    re.IGNORECASE,
)
# 'directeur financier de Capgemini', 'head of Boeing's unit', 'led by Silver Lake'
ORG_OF_TITLE = CaseBlind(
    r"(?:\b(?:directeur|directrice|président|présidente|PDG|patron|patronne|dirigeant|dirigeante"
    r"|fondateur|fondatrice|chief|head|CEO|chairman|founder|executive|board member)"
    r"(?:\s+[\w-]+){0,3}\s+(?:de|d'|d’|du|of|at|chez)"
    r"|\b(?:led by|mené par|menée par|emmené par|auprès de|auprès du))\s*$",
)
ORG_SUFFIX = re.compile(
    r"^\s*(?:Inc|Corp|Corporation|SA|SAS|Ltd|LLC|AG|GmbH|plc|NV|SE|Group|Holdings?)\b\.?"
)
PER_AFTER = re.compile(
    rf"^\s*,\s*{_NOT_FRENCH_VERB}{_NOT_CLAUSE}(?:(?:a|an|the|un|une|le|la|l'|l’)\s+)?(?:(?:former"
    r"|ancien|ancienne|new|nouveau|nouvelle|chief|top)\s+)?(?:[\w'’]+\s+){0,2}?(?:executive|chief|director|CEO|PDG|président"
    r"|présidente|directeur|directrice|dirigeant|dirigeante|ministre|minister|spokes(?:man|woman"
    r"|person)|porte-parole|founder|fondateur|fondatrice|analyst|analyste|responsable|patron"
    r"|patronne|mayor|maire|governor|gouverneur|chairman|chairwoman|secretary|secrétaire"
    r"|(?:junta|party|opposition|rebel|union|militia|team|group)\s+leader|leader\s+of|head\s+of"
    r"|chef\s+(?:de|du|des|d['’])|coach|entraîneur|entraîneuse|lawyer|avocat|avocate)\b",
    re.IGNORECASE,
)
# ', a spokeswoman said', ', the company said', ', le Premier ministre Mark Carney': the words
# after the comma are a clause's subject or another name's title, not an apposition
_NOT_APPOSITION = re.compile(
    r"^\s*(?:(?:said|says|told|added|wrote|noted|explained|announced|confirmed|reported)\b"
    r"|(?:a|ont|avait|avaient)\s+(?:dit|déclaré|indiqué|précisé|expliqué|ajouté|affirmé|annoncé"
    r"|souligné|estimé|assuré|confié|fait savoir|rapporté|confirmé)\b"
    r"|['’]s\b"
    r"|(?!(?:Chief|Executive|Officer|Operating|Financial|Director)\b)[A-ZÀ-Ý][\w-]+)"
)


def _apposition(pattern: re.Pattern[str], after: str) -> bool:
    """`pattern` (ORG_AFTER, PER_AFTER) reads an apposition after the name."""
    m = pattern.match(after)
    if m is None or _NOT_APPOSITION.match(after[m.end() :]):
        return False
    # "l'AFP, la présidente de la biotech, Marion Keller", "A Ottawa, le premier ministre
    # canadien Mark Carney": the title is the next name's
    return not _TITLE_OF_NEXT.match(after[m.end() :])


_TITLE_OF_NEXT = re.compile(
    r"[^,.;]*,\s+[A-ZÀ-Ý][\w'’-]+\s+[A-ZÀ-Ý][\w'’-]+"
    r"|(?:\s+(?!(?:de|du|des|d|of|for|at|in|on|to|by|from|behind|chez|à|au|aux|with|avec|pour"
    r"|par|sur|the|a|an|le|la|les|un|une|its|their|son|sa|ses|leur|and|et)\b)[a-zà-ÿ-]+)?"
    r"\s+[A-ZÀ-Ý][\w'’-]+\s+[A-ZÀ-Ý][\w'’-]+"
)


ORG_LEADING_NOUN = re.compile(rf"^(?:{_ORG_NOUNS})\s+(?=(?-i:[A-Z]))", re.IGNORECASE)
PER_BEFORE = re.compile(
    r"(?:\b(?:M\.|Mme|Mr\.?|Mrs\.?|Ms\.?|Dr\.?|PDG|CEO|directeur|directrice|ministre|minister"
    r"|président|présidente|president|chief executive|patron|patronne)\s*(?:de \w+\s*)?)$"
)


_ORG_TAIL = re.compile(
    r"\b(?:Lake|Capital|Partners|Ventures|Group|Groupe|Bank|Banque|Society|Institute|Institut"
    r"|Foundation|Fondation|Holdings?|Technologies|Motors|Airlines|Energy|Énergie|Systems"
    r"|Industries|Studios?|Films|Records|Media|Médias|Pharma|Labs?|AI|Sachs|Stanley"
    # 'Kenya Red Cross', 'US Africa Command', 'Talon Cyber Security': an institution's word
    r"|Security|Cross|Department|Command|Partnership|Agency|Authority|Commission|Committee"
    r"|Council|Ministry|Bureau|Police|Army|Party)$"
)
_NAME_TOKEN = re.compile(r"^[A-ZÀ-Ý][\w'’.-]*$")
_PARTICLE = {"de", "du", "des", "da", "di", "van", "von", "der", "le", "la", "bin", "al", "el"}


def given_names() -> frozenset[str]:
    """Given names, accent-folded and lower-cased (~20,000: pipeline.extract.knowledge,
    built from Faker's person providers, MIT licence)."""
    return knowledge.given_names()


_TITLE_WORD = re.compile(
    r"^(?:General|Général|Captain|Capitaine|Colonel|Major|Admiral|Sergeant|Lieutenant"
    r"|Commander|Governor|Senator|Judge|King|Queen|Prince|Princess|Saint|Sainte|St)$"
)


_INITIALS = re.compile(r"^(?:[A-Z]\.){1,3}[A-Z]?\.?$|^[A-Z]\.[A-Z]$")


def _looks_like_person(name: str) -> bool:
    """'Élodie Perthuis', 'Isabelle de Silva', 'Lip-Bu Tan': a given name, then a surname."""
    tokens = _HONORIFIC.sub("", name).split()
    if not 2 <= len(tokens) <= 4 or _ORG_TAIL.search(name):
        return False
    if knowledge.legal_form_inside().search(name) or knowledge.known_organisation(name):
        return False
    if not all(_NAME_TOKEN.match(t) or t in _PARTICLE for t in tokens):
        return False
    if _TITLE_WORD.match(tokens[0]):
        return False  # 'General Catalyst', 'Major Lazer': a title, not a given name
    if _INITIALS.match(tokens[0]) and len(tokens) >= 2:
        from pipeline.extract.geo import gazetteer

        # 'R.J. Scaringe', 'J. K. Rowling'; not 'U.S. Senate', 'U.K. Treasury' (a listed
        # 'J.P. Morgan' was excluded above)
        bare = tokens[0].replace(".", "")
        return (
            gazetteer().resolve(bare) is None
            and not knowledge.known_organisation(bare)
            and bare not in ("EU", "UE", "UN", "ONU")
        )
    first = fold(tokens[0])
    if first not in given_names() and first.split("-")[0] not in given_names():
        return False
    if _is_club(name):
        return False  # 'US Cognac'
    from pipeline.extract.geo import gazetteer

    # 'North Carolina', 'Santa Clara', 'Le Cannet-des-Maures': a place of the gazetteer
    return gazetteer().resolve(_HONORIFIC.sub("", name)) is None


@dataclass
class EntityMention:
    start: int
    end: int
    text: str
    type: EntityType
    entity_id: str = ""
    evidence: str = "model"  # context | name | memory | model: what settled the type
    joinable: bool = False  # a lone word after 'le groupe': 'Pierre' (et Vacances)
    # the learned typer's reading (pipeline.extract.learned): type -> probability
    learned: dict[str, float] | None = None


@dataclass
class _Cluster:
    type: EntityType
    names: list[str] = field(default_factory=list)

    @property
    def canonical(self) -> str:
        return max(self.names, key=lambda n: (len(n.split()), len(n)))


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")


def entity_id(type_: EntityType, name: str) -> str:
    return f"{type_.value.lower()}:{slug(name)}"


_LEADING_TITLE = re.compile(
    r"^(?:(?:le|la|l['’]|the)\s+)?(?:(?:PDG|CEO|président|présidente|directeur|directrice"
    r"|ministre|minister|patron|patronne|chief executive|président-directeur général|premier"
    r"|première|prime|governor|gouverneur|mayor|maire|senator|sénateur|sénatrice|chancellor"
    r"|chancelier|chancelière|president|vice president|vice-président|judge|juge|general"
    r"|général|colonel|king|queen|roi|reine|pope|pape|prince|princesse|cardinal|sheikh|cheikh"
    r"|emir|émir|ayatollah|commissioner|commissaire|secretary|secrétaire|spokesman"
    r"|spokeswoman|porte-parole|deputy|député|députée|ambassador|ambassadeur|ambassadrice"
    r"|captain|capitaine|lieutenant|sergeant|sergent|commander|commandant|colonel|major"
    r"|mr|mrs|ms|dr)\.?\s+)+(?=[A-Z])",
    re.IGNORECASE,
)
_LEADING_ARTICLE = re.compile(r"^(?:the|The(?=\s+\w+\s+\w)|la|le|les|l'|l’)\s*(?=[A-Z])")
# 'usine de Saragosse' -> 'Saragosse' (places only: 'ministère de l'Intérieur' is a name)
_LEADING_LOWER = re.compile(
    r"^(?:[a-zàâçéèêëîïôûù-]+\s+)+(?:de\s+(?:la\s+|l['’])?|d['’]|du\s+|of\s+(?:the\s+)?)(?=[A-Z])"
)


# 'Robert A. James', 'St. Petersburg': an initial or an abbreviation, not a sentence's end
_ABBREVIATION = re.compile(r"(?:^|[\s(])(?:[A-Z]|St|Ste|Mt|Ft|Jr|Sr)$")


def _clean(text: str, type_: EntityType | None = None) -> str:
    for dot in re.finditer(r"\.\s", text):  # 'R1S. Elle' -> 'R1S'
        if text[dot.end() - 1] != " " or not _ABBREVIATION.search(text, 0, dot.start()):
            text = text[: dot.start()]
            break
    if "(" in text and ")" not in text:  # 'Movement for Democracy (MpD': the acronym after
        text = text[: text.index("(")].rstrip()
    # 'Ryanair 256 million': the amount that follows is not part of the name
    text = re.sub(
        r"\s+[\d.,]+\s*(?:million|billion|milliards?|millions?|bn|m|euros?|dollars?|%).*$",
        "",
        text,
    )
    text = re.sub(r"\s+\d{1,2}\s?[-–]\s?\d{1,2}\b.*$", "", text)  # 'Manchester City 2-1'
    text = ORG_LEADING_NOUN.sub("", text)  # 'Carmaker Stellantis' -> 'Stellantis'
    if type_ in (EntityType.PER, None) or text[:1].islower():
        text = _LEADING_TITLE.sub("", text)  # 'PDG Arthur Mensch' -> 'Arthur Mensch'
    text = _LEADING_ARTICLE.sub("", text)  # 'the United States' -> 'United States'
    if type_ == EntityType.LOC:
        text = _LEADING_LOWER.sub("", text)
    text = re.sub(
        r"\s+(?:province|state|region|district|county|préfecture|département|city|town"
        r"|village|municipality|prefecture|commune)$",
        "",
        text,
    )
    text = re.sub(r"^(?:(?!de\b|du\b|des\b|d['’])[a-zàâçéèêëîïôûù-]+\s+)+(?=[A-Z])", "", text)
    return text.strip(" \t\n,;:()«»\"'’-")


# 'le fabricant de la liseuse Kindle': the name is the maker's product, not the maker
# (whereas 'le fabricant de batteries Verkor' names the maker)
PRODUCT_OF = CaseBlind(
    r"\b(?:fabricant|maker|constructeur|éditeur|producteur|créateur|inventeur|developer)"
    r"\s+(?:de la|du|de l['’]|of the)\s+[\w-]+\s*$",
)


_DEMONYMS = (
    r"(?:chinois|américain|allemand|japonais|français"
    r"|britannique|italien|espagnol|suisse|néerlandais|suédois|coréen|sud-coréen|indien"
    r"|brésilien|canadien|norvégien|danois|belge|autrichien|finlandais|israélien|saoudien"
    r"|émirati|turc|russe|polonais|portugais|australien|irlandais|luxembourgeois|mexicain"
    r"|taïwanais|singapourien|qatari|chilien|argentin)(?:ne|e)?s?\s+$"
)
# 'le chinois Leapmotor': the demonym in lower case is an adjective (a company) ...
_NATIONALITY_BEFORE = re.compile(
    rf"\b(?i:le|la|l['’]|au|du|les|des|aux)\s*{_DEMONYMS}",
)
# ... capitalised, a noun: 'le Portugais Rui Correia' is a person
_DEMONYM_NOUN_BEFORE = re.compile(
    rf"\b(?i:le|la|l['’]|au|du|les|des|aux)\s*(?=[A-ZÀ-Ý])(?i:{_DEMONYMS})",
)
# 'near the city of Wajima', 'le maire de Grimaud': what follows is a place
_PLACE_OF = CaseBlind(
    r"\b(?:city|town|village|district|municipality|commune|prefecture|ville|bourg|localité"
    r"|province|région|region|county|canton|département|préfecture|comté|wilaya"
    r"|quartier|neighbourhood|neighborhood|suburb|banlieue|mayor|maire|mairesse)"
    r"\s+(?:de|d['’]|du|of)\s*$",
)


_STORM = re.compile(
    r"^(?:Hurricane|Typhoon|Cyclone|Tropical Storm|Storm|Ouragan|Typhon|Tempête|Cyclone"
    r"|Tropical Depression)\s+[A-ZÀ-Ý]"
)
# 'R1T', 'A320', 'HX-2', 'F-35', 'ID.4': a short letter prefix and a number
_MODEL_CODE = re.compile(r"[A-Z]{1,3}[-.]?\d{1,4}[A-Za-z]{0,2}")
# 'le R1T', 'the A320', '60 A320 jets' (a company called 'N26' takes no article)
_DETERMINER_BEFORE = CaseBlind(
    r"(?:\b(?:le|la|les|un|une|the|a|an|son|sa|ses|its|their|leur|leurs|du|des)|\bl['’]|\d)\s*$",
)
_SCORE = re.compile(r"(?<![\d.,])\d{1,2}\s?[-–]\s?\d{1,2}(?![\d.,%])")
_MATCH_VERB = re.compile(
    r"\b(?:beat|beats|beaten|defeated|thrashed|drew|draw|lost to|edged|battu|bat|battre"
    r"|défait|vaincu|dominé|étrillé|concédé|fait match nul|s['’]est imposée?|face à|contre"
    r"|against|versus|vs)\b",
    re.IGNORECASE,
)


def _sports_result(name: str, before: str, after: str) -> bool:
    """A town in a match result ('Real Madrid beat Manchester City 2-1', 'a battu Lyon
    3-0') names its club."""
    if not (_SCORE.search(after[:30]) or _SCORE.search(before[-40:])):
        return False
    if not _MATCH_VERB.search(before[-40:] + " " + after[:40]):
        return False
    from pipeline.extract.geo import gazetteer

    record = gazetteer().resolve(name)
    return record is not None and record.kind == "city"


def _place_qualifying_name(name: str, after: str) -> bool:
    """'London venture firm Northzone', 'la biotech lyonnaise': a place of the gazetteer
    before a company noun and the company's name qualifies it; it is not the company."""
    if not re.match(
        rf"\s+(?:[a-z][\w-]*\s+){{0,2}}(?:{_ORG_NOUNS})\s+(?-i:[A-ZÀ-Ý])", after, re.IGNORECASE
    ):
        return False
    from pipeline.extract.geo import gazetteer

    record = gazetteer().resolve(name)
    return record is not None and record.kind in ("city", "country", "region")


# ('the Speyside firm', 'the Paris bank': a place qualifies those nouns, not these)
_NAME_THEN_NOUN = re.compile(r"\s+(?:group|consortium|conglomerate|empire)\b(?!\s+of\b)")
_DETERMINER_BEFORE_NAME = re.compile(r"\b(?:the|its|whose|their|his|her)\s+$")


_KIN_BEFORE = CaseBlind(
    r"\b(?:son|daughter|wife|husband|brother|sister|father|mother|widow|fils|fille|épouse"
    r"|mari|frère|sœur|père|mère|veuve)\s+$",
)


_LOCATIVE = CaseBlind(
    r"\b(?:in|into|across|throughout|at|near|outside|à|en|dans|près de|from|depuis)\s+$"
    r"|\b(?:based|listed) in\s+$",
)
# 'the Gaydon-based group', 'a Lyon-headquartered firm': the name is the place
_BASED_AFTER = re.compile(r"-(?:based|headquartered)\b")
# 'Singapore's Temasek', 'Britain's Rolls-Royce': a place owning what follows
_POSSESSIVE_AFTER = re.compile(r"['’]s\s")


def _context_type(text: str, start: int, end: int, current: EntityType) -> EntityType | None:
    before, after = text[max(0, start - 60) : start], text[end : end + 60]
    low = before.lower()  # read by the case-blind cues (pipeline.extract.caseblind)
    if (
        _LOCATIVE.search(before, low)
        and not knowledge.known_organisation(text[start:end])
        and not text[start:end].isupper()
    ):
        from pipeline.extract.geo import gazetteer

        if gazetteer().resolve(text[start:end]) is not None:
            return EntityType.LOC  # 'plants in Ohio and Tennessee, a spokeswoman said'
    if PRODUCT_OF.search(before, low):
        return EntityType.MISC
    name = text[start:end]
    if (_BASED_AFTER.match(after) or _POSSESSIVE_AFTER.match(after)) and not (
        knowledge.known_organisation(name) or name.isupper()
    ):
        from pipeline.extract.geo import gazetteer

        record = gazetteer().resolve(name)
        if _BASED_AFTER.match(after) or (record is not None and record.kind != "city"):
            return EntityType.LOC  # a possessive for a country or region, not a town

    if _STORM.match(name):
        return EntityType.MISC  # 'Hurricane Milton', 'la tempête Ciarán': an event
    if (
        _MODEL_CODE.fullmatch(name)
        and _DETERMINER_BEFORE.search(before, low)
        and not knowledge.known_organisation(name)
    ):
        return EntityType.MISC  # 'le R1T', 'the A320', 'the HX-2': a model, not its maker
    if _sports_result(name, before, after):
        return EntityType.ORG  # 'Le PSG a battu Lyon 3-0': the club, not the town
    if _PLACE_OF.search(before, low) and not knowledge.known_organisation(name):
        return EntityType.LOC  # 'near the city of Wajima', 'the mayor of Hombori'
    if _place_qualifying_name(name, after):
        return EntityType.LOC  # 'led by London venture firm Northzone'
    if _NAME_THEN_NOUN.match(after) and _DETERMINER_BEFORE_NAME.search(before):
        from pipeline.extract.geo import gazetteer

        if gazetteer().resolve(name) is None:
            return EntityType.ORG  # 'whose Yew Tree consortium', 'the Tata group'
    per_after = _apposition(PER_AFTER, after)  # ', the group's chief executive'
    if ORG_SUFFIX.match(after) or (not per_after and _apposition(ORG_AFTER, after)):
        return EntityType.ORG
    if _org_before(before) and not (
        before.rstrip().endswith(",") and _looks_like_person(name)
    ):  # 'le président du groupe, Florent Menegaux' is a person
        return EntityType.ORG
    if (
        ORG_OF_TITLE.search(before, low)
        and not _looks_like_person(name)
        and not _BODY_OF_PLACE.search(before, low)
    ):
        return EntityType.ORG
    if PER_BEFORE.search(before) or per_after or _KIN_BEFORE.search(before, low):
        return EntityType.PER
    if _TITLE_BEFORE.search(before[-40:]) and _person_shaped(_without_particles(name)):
        return EntityType.PER  # 'chairman Tran Quoc Thang', 'le président sortant Luiz Inacio …'
    if _NATIONALITY_BEFORE.search(before):
        return EntityType.ORG  # 'le chinois Leapmotor', 'l'allemand MTU Aero Engines'
    if _DEMONYM_NOUN_BEFORE.search(before) and _looks_like_person(name):
        return EntityType.PER  # 'le Portugais Rui Correia': a capitalised demonym is a person
    if current == EntityType.PER and re.search(r"\b(?:en|in)\s+$", before):
        return EntityType.LOC  # 'assemblée en Slovénie'
    return None


def _split_place_prefix(text: str, m: EntityMention) -> list[EntityMention]:
    """'le fonds souverain d'Abou Dhabi Mubadala': a place, then the organisation."""
    from pipeline.extract.geo import gazetteer

    words = m.text.split()
    if len(words) < 2 or not re.search(
        r"(?:\bd['’]|\bde |\bof )$", text[max(0, m.start - 4) : m.start]
    ):
        return [m]
    if _is_known(m.text) or text.count(m.text) > 1:
        return [m]  # 'de Haguenau Emballages' after 'Haguenau Emballages, fabricant …'
    for n in range(len(words) - 1, 0, -1):
        head = " ".join(words[:n])
        if head in _ARABIC_ARTICLE or len(head) < 3:
            continue  # 'la province d'Al Haouz' is one place
        record = gazetteer().resolve(head)
        rest = m.text[len(head) :].lstrip()
        # 'spun out of Kyoto University': one name, not a place and a word; 'the province
        # of Davao Oriental': one place
        if (
            _INSTITUTION_TAIL.match(rest)
            or re.fullmatch(knowledge.ORG_TAIL_WORDS, rest)
            or _PLACE_QUALIFIER.match(" " + rest)
        ):
            return [m]
        if record is not None and record.kind in ("city", "country", "region"):
            end = m.start + len(head)
            start = m.end - len(rest)
            return [
                EntityMention(m.start, end, head, EntityType.LOC),
                EntityMention(start, m.end, rest, EntityType.ORG),
            ]
    return [m]


def _is_country(name: str) -> bool:
    """A country, continent or first-level region of the gazetteer ('Japan', 'Ohio')."""
    from pipeline.extract.geo import gazetteer

    record = gazetteer().resolve(name)
    return record is not None and record.kind in ("country", "continent", "region")


def _is_known(name: str) -> bool:
    from pipeline.extract.geo import gazetteer

    return bool(knowledge.known_organisation(name)) or gazetteer().resolve(name) is not None


def _add_known_mentions(
    text: str, mentions: list[EntityMention], proper: frozenset[int] = frozenset()
) -> list[EntityMention]:
    """Listed organisations the model missed or cut short ('Salesforce', 'Groupe de soutien
    à l'islam et aux musulmans'); a lone word opening a sentence only if the tagger reads
    it as a proper noun (`proper`: start offsets of PROPN tokens)."""
    out = list(mentions)
    for match in knowledge.organisation_pattern().finditer(text):
        start, end = match.span()
        inside = [m for m in out if m.start < end and start < m.end]
        if inside:
            if all(start <= m.start and m.end <= end for m in inside) and any(
                (m.end - m.start) < end - start for m in inside
            ):
                out = [m for m in out if m not in inside]
                out.append(EntityMention(start, end, match.group(0), EntityType.ORG))
            continue
        opens = re.search(r"(?:^|[.!?\n]\s*|[«\"]\s*)$", text[max(0, start - 3) : start])
        if (
            opens
            and " " not in match.group(0)
            and not match.group(0).isupper()
            and start not in proper
            and text.count(match.group(0)) < 2
        ):
            continue
        out.append(EntityMention(start, end, match.group(0), EntityType.ORG))
    return sorted(out, key=lambda m: m.start)


def _split_at_commas(m: EntityMention) -> list[EntityMention]:
    """'In Victoria, Amazon will cut': a name does not run across a comma ('Victoria' and
    'Amazon'); a legal form after one stays ('Acme, Inc.')."""
    if ", " not in m.text:
        return [m]
    out: list[EntityMention] = []
    pos = 0
    for part in m.text.split(", "):
        start = m.start + pos
        pos += len(part) + 2
        bare = part.strip(" .")
        if out and (knowledge.legal_form_after().match(" " + part) or len(bare) < 2):
            prev = out[-1]
            end = start + len(part)
            out[-1] = EntityMention(
                prev.start, end, m.text[prev.start - m.start : end - m.start], m.type
            )
            continue
        if len(bare) >= 2 and bare[0].isupper():
            out.append(EntityMention(start, start + len(part), part, m.type))
    return out


_ORG_NOUN_BEFORE = re.compile(
    r"\b(?:groupe|group|société|company|firm|enseigne|chaîne|chain|maison|cabinet)\s+$", re.I
)


def _joined_name(prev: EntityMention, m: EntityMention, gap: str) -> EntityType | None:
    """'le groupe Pierre et Vacances-Center Parcs': one company, not 'Pierre' and a place."""
    if re.fullmatch(r" (?:et|and|&) ", gap) and " " not in prev.text and prev.joinable:
        return EntityType.ORG
    return None


# Capitalised words that open an institution's name the model cut short
_INSTITUTION_HEAD = re.compile(
    r"^(?:Banque|Caisse|Crédit|Compagnie|Société|Groupe|Université|Fondation|Institut"
    r"|Laboratoires|Mutuelle)$"
)
# Words that open a sports club's name before its town: 'Real Madrid', 'Olympique Lyonnais'
_CLUB_HEAD = re.compile(
    r"^(?:Real|Atlético|Atletico|Sporting|Olympique|Racing|Dynamo|Dinamo|Borussia|Deportivo"
    r"|Stade|Standard)$"
)
# ... and that end one: 'Kyoto University', 'Mayo Clinic'
_INSTITUTION_TAIL = re.compile(
    r"^(?:University|College|School|Hospital|Clinic|Museum|Observatory|Academy|Polytechnic)$"
)


def _extend_names(doc: Doc, mentions: list[EntityMention]) -> list[EntityMention]:
    """Names the model cut short: a given name before a surname ('Petter' + 'Aas'), a
    name before a company word ('Veridia' + 'Pharma'), a company word after a name
    ('Kvist' + 'Marine'); and marks a lone word after 'le groupe' as able to join the
    name after 'et' ('Pierre et Vacances')."""
    text = doc_text(doc)
    taken: set[int] = set()
    spans = []
    for m in mentions:
        span = covering_span(doc, m.start, m.end)
        spans.append(span)
        if span is not None:
            taken.update(t.i for t in span)
    tail = re.compile(rf"^(?:{knowledge.ORG_TAIL_WORDS})$")
    out: list[EntityMention] = []
    for m, span in zip(mentions, spans, strict=True):
        if span is None:
            out.append(m)
            continue
        start_i, end_i, type_ = span.start, span.end, m.type
        prev = doc[start_i - 1] if start_i > 0 else None
        if prev is not None and prev.i not in taken and prev.text[:1].isupper() and prev.is_alpha:
            if type_ == EntityType.PER and fold(prev.text) in given_names():
                start_i -= 1
            elif len(span) == 1 and tail.match(span.text) and prev.pos_ == "PROPN":
                start_i, type_ = start_i - 1, EntityType.ORG
            elif _CLUB_HEAD.match(prev.text) and type_ in (EntityType.LOC, EntityType.ORG):
                start_i, type_ = start_i - 1, EntityType.ORG  # 'Real' + 'Madrid'
            elif _INSTITUTION_HEAD.match(prev.text):
                start_i, type_ = start_i - 1, EntityType.ORG  # 'Banque' + 'Nationale du Canada'
        nxt = doc[end_i] if end_i < len(doc) else None
        if (
            nxt is not None
            and nxt.i not in taken
            and (tail.match(nxt.text) or _INSTITUTION_TAIL.match(nxt.text))
        ):
            end_i, type_ = end_i + 1, EntityType.ORG  # 'Kyoto' + 'University'
        if (start_i, end_i) == (span.start, span.end):
            out.append(m)
        else:
            s_, e_ = doc[start_i].idx, doc[end_i - 1].idx + len(doc[end_i - 1].text)
            out.append(EntityMention(s_, e_, text[s_:e_], type_))
            taken.update(range(start_i, end_i))
        out[-1].joinable = bool(
            _ORG_NOUN_BEFORE.search(text[max(0, out[-1].start - 30) : out[-1].start])
        )
    return out


def _coordinated_groups(text: str, mentions: list[EntityMention]) -> list[list[int]]:
    """Indexes of mentions joined only by ',', 'et', 'and', 'ou', 'or'."""
    groups: list[list[int]] = []
    current: list[int] = []
    for i, m in enumerate(mentions):
        if current:
            gap = text[mentions[current[-1]].end : m.start]
            if re.fullmatch(r"\s*(?:,|,?\s*(?:et|and|ou|or))\s*", gap):
                current.append(i)
                continue
            if len(current) > 1:
                groups.append(current)
        current = [i]
    if len(current) > 1:
        groups.append(current)
    return groups


def mentions_from_doc(
    doc: Doc, memory: Memory | None = None, text: str | None = None
) -> list[EntityMention]:
    """`text`: the string `doc` was made from, where the caller has it (spaCy's `doc.text`
    walks every token to rebuild it)."""
    if text is not None and len(doc) and doc[-1].idx + len(doc[-1].text_with_ws) == len(text):
        doc.user_data.setdefault("_wire_text", text)
    mentions = candidate_mentions(doc)
    typer = learned.load("entity_typer")
    if typer is not None:
        for m in mentions:
            m.learned = typer.probabilities(
                mention_features(doc, m.start, m.end, m.text, m.type.value, doc.lang_)
            )
    full = doc_text(doc)
    mentions = repair_types(full, mentions, memory)
    # 'Turnout was 63 percent', 'Radiologists are overwhelmed': not a name, says the typer,
    # and neither a context cue nor a list says otherwise
    kept = [
        m
        for m in mentions
        if (m.learned or {}).get("OTHER", 0.0) < LEARNED_NOT_A_NAME
        or m.type == EntityType.MISC
        or m.evidence == "context"
        or _is_known(m.text)
    ]
    return echo_mentions(full, kept)


# a word that continues a name: the echo is part of a longer name ('Reform UK', 'Adelaide X')
_NAME_BEFORE = re.compile(r"(?:[A-ZÀ-Ý][\w'’-]*|\b[A-Z]\.)\s$")
_NAME_AFTER = re.compile(r"^\s[A-ZÀ-Ý]")


def echo_mentions(text: str, mentions: list[EntityMention]) -> list[EntityMention]:
    """A name the model found once, written again where it missed it: 'BP on Wednesday
    tapped …', 'Stagecoach also named …', 'Shoprite, Africa's biggest …' (the small models
    often miss a name opening a sentence). Every case-exact, whole-word repeat of an
    organisation's or a person's form that no mention covers and that is not part of a
    longer capitalised name becomes a mention of the same type, so the role rules see it
    in its own sentence."""
    forms = {
        m.text: m
        for m in mentions
        if m.type in (EntityType.ORG, EntityType.PER) and len(m.text) >= 2 and m.text[0].isupper()
    }
    if not forms:
        return mentions
    pattern = re.compile(
        r"(?<![\w'’&-])(?:"
        + "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
        + r")(?![\w&-])"
    )
    covered = sorted((m.start, m.end) for m in mentions)
    added: list[EntityMention] = []
    for hit in pattern.finditer(text):
        a, b = hit.span()
        if any(s < b and a < e for s, e in covered):
            continue
        if _NAME_BEFORE.search(text[max(0, a - 30) : a]) or _NAME_AFTER.match(text[b : b + 2]):
            continue
        like = forms[hit.group()]
        added.append(EntityMention(a, b, hit.group(), like.type, evidence=like.evidence))
    if not added:
        return mentions
    return sorted(mentions + added, key=lambda m: m.start)


def candidate_mentions(doc: Doc) -> list[EntityMention]:
    """The names in `doc` with the model's types (or a pattern's), before any repair."""
    text = doc_text(doc)
    mentions: list[EntityMention] = []
    for ent in doc.ents:
        type_ = _LABELS.get(ent.label_)
        if type_ is None:
            continue
        if (
            ent.label_ == "NORP"
            and re.search(r"(?:ish|ese|an|ch|ic|i|ais|aise|ain|aine|ois|oise|ien|ienne)$", ent.text)
            and re.match(r"\s+[a-z]", text[ent.end_char : ent.end_char + 2])
        ):
            continue  # 'Danish wind group': an adjective, not a name
        cleaned = _clean(ent.text, type_)
        if len(cleaned) < 2 or cleaned.islower() or cleaned.isdigit():
            continue
        if re.match(r"(?:de|du|des|of|d['’])\b", cleaned):  # 'de la Culture' after a title
            continue
        art = re.match(r"(?:La|Le|Les|L['’])\s*(?=[A-ZÀ-Ý])", cleaned)
        if art and _is_known(cleaned[art.end() :]):
            cleaned = cleaned[art.end() :]  # 'La Cnil', 'La France' (but 'Le Figaro')
        if (
            len(ent) == 1
            and (ent[0].is_sent_start or ent[0].i == 0 or doc[ent[0].i - 1].is_space)
            and (
                ent[0].pos_ in ("ADJ", "VERB", "ADV", "ADP", "DET", "PRON", "AUX")
                or (ent[0].pos_ == "NOUN" and ent[0].lemma_.lower() != ent[0].lower_)
                or ent[0].is_stop  # 'Quelque nonante habitations'
                or _PARTICIPLE_OPENING.match(text, ent.start_char)  # 'Agé de 46 ans'
            )
            and not _is_known(cleaned)
        ):
            continue  # 'Agée de 48 ans', 'Turnout was 63 percent'
        offset = ent.start_char + ent.text.find(cleaned)
        mentions.extend(
            _split_at_commas(EntityMention(offset, offset + len(cleaned), cleaned, type_))
        )
    mentions = _join_arabic_article(text, mentions)
    mentions = [_institution_named_after(text, m) for m in mentions]
    mentions = _merge_adjacent(text, mentions, _institution_of)
    mentions = _merge_adjacent(text, mentions, _name_with_particles)
    mentions = [_extend_person(text, _extend_place(text, m)) for m in mentions]
    mentions = _merge_adjacent(text, mentions, _name_run_on)
    mentions = _drop_inside(mentions)
    mentions = [part for m in mentions for part in _split_place_prefix(text, m)]
    mentions = _extend_names(doc, mentions)
    mentions = _merge_adjacent(text, mentions, _joined_name)
    if doc.lang_ == "fr":  # no possessive 's in French: 'Tod's' is a name
        mentions = [_extend_apostrophe_s(text, m) for m in mentions]
    mentions = _add_pattern_mentions(text, mentions)
    mentions = _add_missed_people(text, mentions)
    proper = proper_starts(doc)
    mentions = _add_known_mentions(text, mentions, proper)
    mentions = _add_country_mentions(text, mentions)
    if doc.lang_ != "fr":  # 'South Korea's LG', 'Henry Schein's division': the name
        mentions = [_drop_possessive(part) for m in mentions for part in _split_possessive(m)]
    mentions = [_drop_title(_cut_at_clause(_cut_ticker(m))) for m in mentions]
    if "(" in text:
        mentions = _add_acronym_names(text, mentions)
    return [m for m in mentions if not _TICKER.fullmatch(m.text)]


# 'Parti d'une officine', 'Agé de 46 ans', 'Installée à Lyon': a French participle opening
# a sentence before its complement
_PARTICIPLE_OPENING = re.compile(
    r"[A-ZÀ-Ý][a-zà-ÿ]*(?:é|ée|és|ées|i|ie|is|ies|u|ue|us)\s+(?:de|d['’]|à|en|par|dans|sur)\b"
)
_ACRONYM = re.compile(r"\s\((?P<a>[A-Z][A-Za-z&]{1,9})\)")
_ACRONYM_FILLERS = frozenset({"de", "du", "des", "la", "le", "les", "et", "and", "of", "the", "for",
                              "pour", "à", "au", "aux", "en", "on", "d", "l"})  # fmt: skip


def _initials(words: list[str]) -> str:
    """Initials of a name's words, fillers left out ('Comité interprofessionnel de gestion du
    comté' -> 'cigc'; "l'industrie" counts as 'industrie')."""
    out = []
    for w in words:
        w = re.sub(r"^[dl]['’]", "", w, flags=re.I)
        if w and w.lower() not in _ACRONYM_FILLERS:
            out.append(w[0].lower())
    return "".join(out)


def _spelled_by(words: list[str], acronym: str) -> bool:
    """The capitals of `acronym` are the words' initials: all of them, in order or not
    ('CAQ', 'PAICV' for 'African Party for the Independence of Cape Verde'), or in order,
    a few left out ('FH' for 'Fédération de l'industrie horlogère suisse')."""
    letters = "".join(c for c in acronym if c.isupper()).lower()
    initials = _initials(words)
    if len(letters) < 2 or not initials:
        return False
    if sorted(initials) == sorted(letters):
        return True
    it = iter(initials)
    return (
        initials[0] == letters[0]
        and len(initials) <= len(letters) + 2
        and all(c in it for c in letters)
    )


def _add_acronym_names(text: str, mentions: list[EntityMention]) -> list[EntityMention]:
    """'Comité interprofessionnel de gestion du comté (CIGC)', 'Coalition avenir Québec
    (CAQ)': a name the model cut at its first lower-case word, whole where the acronym after
    it spells its words; the nearest capitalised word that opens such a run starts it."""
    from pipeline.extract.geo import gazetteer

    out = list(mentions)
    for acr in _ACRONYM.finditer(text):
        head = text[max(0, acr.start() - 120) : acr.start()]
        head = re.split(r"[.;:!?\n,«»\"()]", head)[-1]
        offset = acr.start() - len(head)
        words = list(re.finditer(r"[\w'’&-]+", head))
        for k in range(len(words) - 2, -1, -1):
            first = words[k].group(0)
            if not first[:1].isupper() or not _spelled_by(
                [w.group(0) for w in words[k:]], acr.group("a")
            ):
                continue
            start, end = offset + words[k].start(), acr.start()
            name = text[start:end]
            if gazetteer().resolve(name) is not None:
                break  # 'République démocratique du Congo (RDC)': a place
            inside = [m for m in out if m.start < end and start < m.end]
            if any(m.start < start or m.end > end for m in inside):
                break
            if not any((m.start, m.end) == (start, end) for m in inside):
                out = [m for m in out if m not in inside]
                out.append(EntityMention(start, end, name, EntityType.ORG))
            break
    return sorted(out, key=lambda m: m.start)


# 'Ford Motor Co (F.N)', 'Toyota Motor Corp (7203.T)': an exchange ticker after a name
_TICKER = re.compile(r"[A-Z0-9]{1,6}\.[A-Z]{1,3}")
_TICKER_AFTER = re.compile(r"\s*\(\s*[A-Z0-9]{1,6}\.[A-Z]{1,3}\s*\)")


_ARABIC_ARTICLE = frozenset({"Al", "El", "Ad", "Ar", "As", "Ash", "At", "An", "Az"})


def _join_arabic_article(text: str, mentions: list[EntityMention]) -> list[EntityMention]:
    """'province d'Al' + 'Haouz': the article is part of the name after it ('Al Haouz',
    'El Fasher'); the model often tags the article alone."""
    out: list[EntityMention] = []
    skip_to = -1
    for m in mentions:
        if m.start < skip_to:
            continue
        nxt = re.match(r"[ -][A-ZÀ-Ý][\w'’-]+", text[m.end : m.end + 40])
        if m.text in _ARABIC_ARTICLE and nxt is not None:
            end = m.end + nxt.end()
            later = [o for o in mentions if m.end <= o.start < end]
            type_ = later[0].type if later else m.type
            end = max([end, *(o.end for o in later)])
            out.append(EntityMention(m.start, end, text[m.start : end], type_))
            skip_to = end
            continue
        out.append(m)
    return out


# 'Centre Léon Bérard', 'Institut Pasteur', 'Fondation Abbé Pierre': named after a person
_NAMED_AFTER_PERSON = re.compile(
    r"(?:Centre|Center|Institut|Institute|Fondation|Foundation|Hôpital|Hospital|Lycée"
    r"|Collège|Université|University|Musée|Museum|Stade|Stadium|Prix|Prize)\s$"
)


def _institution_named_after(text: str, m: EntityMention) -> EntityMention:
    if m.type != EntityType.PER:
        return m
    before = _NAMED_AFTER_PERSON.search(text[max(0, m.start - 12) : m.start])
    if before is None:
        return m
    start = m.start - (len(before.group(0)))
    return EntityMention(start, m.end, text[start : m.end], EntityType.ORG)


def _cut_ticker(m: EntityMention) -> EntityMention:
    at = m.text.find(" (")
    if at > 0 and _TICKER.match(m.text[at + 2 :].strip()):
        m.text, m.end = m.text[:at], m.start + at
    return m


_CONNECTORS = frozenset(
    [
        "de",
        "du",
        "des",
        "la",
        "le",
        "les",
        "l'",
        "l’",
        "d'",
        "d’",
        "et",
        "and",
        "of",
        "the",
        "for",
        "für",
        "y",
        "del",
        "di",
        "da",
        "van",
        "von",
        "der",
        "à",
        "au",
        "aux",
        "en",
        "sur",
        "on",
        "upon",
    ]
)


def _cut_at_clause(m: EntityMention) -> EntityMention:
    """'Securities and Exchange Commission charges that it misled clients …': the model's
    span ran into the sentence; a name ends before three lower-case words in a row that
    are not the particles of a name ('Commission nationale de l'informatique et des
    libertés' keeps whole)."""
    words = m.text.split(" ")
    run = 0
    for i, w in enumerate(words):
        lowered = w[:1].islower() and w.lower() not in _CONNECTORS
        run = run + 1 if lowered else 0
        if run == 3 and i - 2 > 0:
            keep = words[: i - 2]
            while keep and keep[-1].lower() in _CONNECTORS:
                keep.pop()
            if keep:
                m.text = " ".join(keep)
                m.end = m.start + len(m.text)
            break
    return m


def _drop_title(m: EntityMention) -> EntityMention:
    """'Governor Greg Abbott', 'Captain Ibrahim Traore': the title is not the name, whatever
    path the mention came by."""
    if m.type not in (EntityType.PER, EntityType.ORG, EntityType.MISC) or len(m.text.split()) < 3:
        return m
    t = _LEADING_TITLE.match(m.text)
    if t is None or not t.group(0).strip():
        return m
    cut = t.end()
    if m.type == EntityType.MISC:  # 'le PDG Arthur Mensch', read whole as MISC by the model
        if not _looks_like_person(m.text[cut:]):
            return m
        m.type = EntityType.PER
    m.text, m.start = m.text[cut:], m.start + cut
    return m


def _split_possessive(m: EntityMention) -> list[EntityMention]:
    """'Kyiv's Western': a place's possessive opens the model's span; the place is the name
    (not 'McDonald's Corp', whose owner is no place)."""
    at = re.search(r"['’]s\s", m.text)
    if at is None:
        return [m]
    from pipeline.extract.geo import gazetteer

    head = m.text[: at.start()]
    record = gazetteer().resolve(head)
    if record is None or knowledge.known_organisation(head):
        return [m]
    return [EntityMention(m.start, m.start + len(head), head, EntityType.LOC)]


def _drop_possessive(m: EntityMention) -> EntityMention:
    if re.search(r"\w['’]s$", m.text) and len(m.text) > 4:
        m.text, m.end = m.text[:-2], m.end - 2
    return m


_INSTITUTION = re.compile(
    r"^(?:Cour|Tribunal|Conseil|Banque|Commission|Autorité|Chambre|Agence|Office|Institut"
    r"|Université|Fondation|Musée|Ministère|Court|Bank|Council|University|Museum|Ministry"
    r"|Opéra|Métropole|Préfecture|Mairie|Théâtre|Orchestre|Comité|Fédération|Syndicat"
    r"|Confédération|Department|Agency|Authority|Institute|Federation|Confederation)\b"
)


def _merge_adjacent(
    text: str,
    mentions: list[EntityMention],
    joins: Callable[[EntityMention, EntityMention, str], EntityType | None],
) -> list[EntityMention]:
    """Fold each mention into the one before it when `joins(prev, m, gap)` gives the
    merged mention's type."""
    out: list[EntityMention] = []
    for m in mentions:
        prev = out[-1] if out else None
        type_ = joins(prev, m, text[prev.end : m.start]) if prev is not None else None
        if prev is not None and type_ is not None:
            out[-1] = EntityMention(prev.start, m.end, text[prev.start : m.end], type_)
            continue
        out.append(m)
    return out


def _institution_of(prev: EntityMention, m: EntityMention, gap: str) -> EntityType | None:
    """'Cour de justice' + 'de l'Union européenne' is one name, not two."""
    if (
        _INSTITUTION.match(prev.text)
        and prev.type in (EntityType.ORG, EntityType.MISC)
        and re.fullmatch(r"\s+(?:de la|de l['’]|du|des|de|of(?: the)?)\s*", gap)
    ):
        return EntityType.ORG
    return None


_PARTICLES = r"(?:van|von|de|der|den|da|di|du|del|della|le|la|bin|al|el)"


def _name_with_particles(prev: EntityMention, m: EntityMention, gap: str) -> EntityType | None:
    """'Dolf van' + 'Brink' around 'den': one person, 'Dolf van den Brink'."""
    if (
        prev.type == EntityType.PER
        and re.fullmatch(rf"(?:\s+{_PARTICLES})*\s+", gap)
        and (gap.strip() or re.search(rf"\s{_PARTICLES}$", prev.text))
        and " " not in m.text
    ):
        return EntityType.PER
    return None


_PLACE_QUALIFIER = re.compile(
    r"^\s+(?:latine|centrale|du Nord|du Sud|de l['’]Est|de l['’]Ouest|du Sud-Est|du Nord-Est"
    r"|Oriental|Occidental|del Norte|del Sur)\b"
)


def _extend_place(text: str, m: EntityMention) -> EntityMention:
    """'Amérique' + ' latine', 'Europe' + ' du Sud': the qualifier is part of the place."""
    q = _PLACE_QUALIFIER.match(text[m.end : m.end + 16]) if m.type == EntityType.LOC else None
    if q is None:
        return m
    return EntityMention(m.start, m.end + q.end(), text[m.start : m.end + q.end()], m.type)


# 'Choi Min' + '-seok', 'Correia' + ' e Silva': the model cut a person's name short
# (a syllable after a short one, as Korean names are written; not 'Reading-based')
_PERSON_TAIL = re.compile(
    r"-(?!(?:based|led|born|run|owned|made|style|like|era)\b)[a-z]{2,5}\b(?!-)"
    r"|\s(?:e|y)\s[A-ZÀ-Ý][\w'’-]+"
)
_SHORT_LAST = re.compile(r"\s[A-Z][a-z]{1,3}$")


def _extend_person(text: str, m: EntityMention) -> EntityMention:
    q = _PERSON_TAIL.match(text, m.end) if m.type == EntityType.PER else None
    if q is None or (q.group(0)[0] == "-" and not _SHORT_LAST.search(m.text)):
        return m
    return EntityMention(m.start, q.end(), text[m.start : q.end()], m.type)


def _name_run_on(prev: EntityMention, m: EntityMention, gap: str) -> EntityType | None:
    """'Moi Teaching and' + 'Referral Hospital': a name the model cut at its 'and'."""
    if gap != " " or len(m.text.split()) > 2 or _is_known(m.text):
        return None
    stem = re.match(r"(.+)\s(?:and|et|of|for|de|du|des|&)$", prev.text)
    if stem is None or _is_known(stem.group(1)) or _is_known(stem.group(1).split()[-1]):
        return None  # 'Royal Bank of Canada and' + 'Export Development Canada': two names
    return m.type


def _drop_inside(mentions: list[EntityMention]) -> list[EntityMention]:
    """Mentions inside one extended over them ('Oriental' in 'Davao Oriental')."""
    out: list[EntityMention] = []
    for m in mentions:
        if out and out[-1].start <= m.start and m.end <= out[-1].end:
            continue
        out.append(m)
    return out


def _extend_apostrophe_s(text: str, m: EntityMention) -> EntityMention:
    if re.match(r"['’]s\b", text[m.end : m.end + 3]):
        return EntityMention(m.start, m.end + 2, text[m.start : m.end + 2], m.type)
    return m


_PLACE_BEFORE = re.compile(r"\b(?:in|near|outside|à|près de|aux abords de)\s$")
# 'in March', 'in Spring': a time, whatever town the gazetteer has of that name
_CALENDAR_WORD = re.compile(
    r"(?:January|February|March|April|May|June|July|August|September|October|November"
    r"|December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Spring|Summer"
    r"|Autumn|Fall|Winter|Christmas|Easter)\b"
)


def _add_country_mentions(text: str, mentions: list[EntityMention]) -> list[EntityMention]:
    """Countries and continents the model missed ('du nord de la France'), from the
    gazetteer; a name inside a longer one ('Air France') is never split out."""
    from pipeline.extract.geo import gazetteer

    gaz = gazetteer()
    taken = [(m.start, m.end) for m in mentions]
    added: list[EntityMention] = []
    for match in re.finditer(r"(?<![\w-])[A-ZÀ-Ý][\w-]+(?:\s+[A-ZÀ-Ý][\w-]+)*(?![\w-])", text):
        start, end = match.span()
        if any(s < end and start < e for s, e in taken):
            continue
        record = gaz.resolve(match.group(0))
        if record is None or len(match.group(0)) <= 3:
            continue
        if record.kind in ("country", "continent") or (
            # 'grew up in Adelaide', 'near Eldoret': a town after a place preposition
            _PLACE_BEFORE.search(text[max(0, start - 12) : start])
            and not _CALENDAR_WORD.match(match.group(0))
            and not knowledge.known_organisation(match.group(0))
        ):
            added.append(EntityMention(start, end, match.group(0), EntityType.LOC))
    return sorted(mentions + added, key=lambda m: m.start)


_CAPITALISED = r"[A-Z][\w&'’.-]*[\w&](?:\s+(?:[A-Z][\w&'’.-]*[\w&]|de|&))*"
_NAME_THEN_APPOSITION = re.compile(
    rf"(?:^|(?<=[.!?]\s)|(?<=\n))(?P<name>{_CAPITALISED})(?=\s*,\s*(?:une|un|la|le|l'|l’|a|an|the)"
    rf"\s+(?:[\w-]+\s+){{0,3}}(?:{_ORG_NOUNS})\b)",
    re.IGNORECASE,
)


_NOUN_THEN_NAME = re.compile(
    rf"\b(?:{_ORG_NOUNS})s?(?:\s+(?:de|d['’]|des)\s*[a-zà-ÿ-]+)?\s+(?-i:(?P<name>[A-Z][\w&'’.-]*[\w&](?:\s+[A-Z][\w&'’.-]*[\w&])*))",
    re.IGNORECASE,
)


def _org_before(before: str) -> bool:
    """ORG_BEFORE.search(before), run only where an organisation noun occurs at all: the
    pattern needs one, and its IGNORECASE search of a 60-character window costs ~40 µs."""
    return _ORG_NOUN_STARTS.search(before) is not None and ORG_BEFORE.search(before) is not None


# Where an organisation noun starts: a case-blind scan that finds the few places
# _NOUN_THEN_NAME can match, ~5x cheaper than running that IGNORECASE pattern everywhere.
_ORG_NOUN_STARTS = CaseBlind(rf"\b(?=(?:{_ORG_NOUNS}))")


def _nouns_then_names(text: str) -> Iterator[re.Match[str]]:
    """The matches of _NOUN_THEN_NAME.finditer(text), tried only where a noun starts."""
    return matches_at(_NOUN_THEN_NAME, text, (m.start() for m in _ORG_NOUN_STARTS.finditer(text)))


@lru_cache(maxsize=1)
def _name_with_company_word() -> re.Pattern[str]:
    """'Index Ventures', 'Kestrel Software Inc': capitalised words ending with a company
    word (knowledge.ORG_TAIL_WORDS), wherever the model missed them."""
    return re.compile(
        r"(?<![\w-])(?P<name>(?:[A-Z][\w&'’.-]*\s+){1,3}"
        rf"(?:{knowledge.ORG_TAIL_WORDS}))(?![\w-])"
    )


_PERSON_NAME = re.compile(r"(?<![\w-])[A-ZÀ-Ý][\w'’-]+(?:\s+[A-ZÀ-Ý][\w'’-]+){1,2}(?![\w-])")
# a title just before, or a relative clause, an age or a speech verb just after: a person
_TITLE_BEFORE = re.compile(
    r"\b(?:chief executive|chief financial officer|CEO|CFO|chairman|chairwoman|founder"
    r"|president|PDG|directeur général|directrice générale|président|présidente|fondateur"
    r"|fondatrice|ministre|minister|spokesman|spokeswoman|porte-parole|governor|gouverneur"
    r"|gouverneure|mayor|maire|senator|sénateur|sénatrice)"
    r"(?:\s+(?:sortant|sortante|outgoing|intérimaire|par intérim))?\s+$",
    re.IGNORECASE,
)
_PERSON_AFTER = re.compile(
    r"^(?:,\s+(?:who|qui)\b|,\s+\d{2}(?:,|\s+ans\b)|\s+(?:said|says|told|added"
    r"|a\s+(?:déclaré|indiqué|affirmé|ajouté|expliqué|précisé)))"
)


def _without_particles(name: str) -> str:
    """'Luiz Inacio Lula da Silva' -> 'Luiz Inacio Lula' (at most three name words)."""
    return " ".join([t for t in name.split() if t not in _PARTICLE and t != "e"][:3])


def _person_shaped(name: str) -> bool:
    """Two or three name words that no list, company word or title says are anything else
    (the given name need not be known: 'Suresh Iyengar', 'Ren Takeda')."""
    from pipeline.extract.geo import gazetteer

    tokens = name.split()
    return (
        2 <= len(tokens) <= 3
        and not _ORG_TAIL.search(name)
        and not knowledge.legal_form_inside().search(name)
        and not knowledge.known_organisation(name)
        and not _TITLE_WORD.match(tokens[0])
        and not _FUNCTION_OPENING.match(name + " x")
        and gazetteer().resolve(name) is None
    )


def _add_missed_people(text: str, mentions: list[EntityMention]) -> list[EntityMention]:
    """People the model missed, where a given name opens the name and the context says
    person: 'chief executive Ren Takeda denied', 'Suresh Iyengar, who built ...'."""
    taken = [(m.start, m.end) for m in mentions]
    added: list[EntityMention] = []
    for match in _PERSON_NAME.finditer(text):
        start, end = match.span()
        if any(s < end and start < e for s, e in taken):
            continue
        if not (
            _PERSON_AFTER.match(text[end : end + 24])
            or _TITLE_BEFORE.search(text[max(0, start - 30) : start])
        ):
            continue
        name = match.group(0)
        if not _person_shaped(name):
            continue
        added.append(EntityMention(start, end, name, EntityType.PER))
    return sorted(mentions + added, key=lambda m: m.start) if added else mentions


def _add_pattern_mentions(text: str, mentions: list[EntityMention]) -> list[EntityMention]:
    """Names the model missed where the context says 'organisation':
    'Pennylane, a Paris-based accounting software startup, ...' at a sentence start;
    'auprès des fonds Accel et Creandum'."""
    taken = [(m.start, m.end) for m in mentions]
    added: list[EntityMention] = []
    matches = [
        *_NAME_THEN_APPOSITION.finditer(text),
        *_nouns_then_names(text),
        *_name_with_company_word().finditer(text),
    ]
    for match in matches:
        start, end = match.span("name")
        name = match.group("name")
        if not name[0].isupper() or any(s < end and start < e for s, e in taken):
            continue
        if _looks_like_person(name):
            continue
        added.append(EntityMention(start, end, name, EntityType.ORG))
        taken.append((start, end))
    return sorted(mentions + added, key=lambda m: m.start)


# a court, an exchange or a station named after its town: the town is part of the name
_NAMED_AFTER_PLACE = re.compile(
    r"\b(?:[Tt]ribunal(?:\s+(?:de\s+commerce|judiciaire|administratif|correctionnel"
    r"|de\s+grande\s+instance|des\s+activités\s+économiques|de\s+police))?"
    r"|[Cc]our\s+d['’](?:appel|assises)|[Cc]onseil\s+de\s+prud['’]hommes"
    r"|[Pp]arquet|Bourse)\s+(?:de|d['’]|du)\s*$"
)
# Abbreviations of common nouns, never a name alone
_COMMON_ACRONYMS = frozenset(
    {"AI", "IA", "EV", "EVs", "GDP", "PIB", "IPO", "CEO", "CFO", "COO", "CTO", "PDG", "SUV",
     "SUVs", "ESG", "LNG", "GNL", "VTC", "PME", "PMEs", "ETI", "TGV", "HR", "RH", "R&D"}
)  # fmt: skip


def _is_demonym(name: str) -> bool:
    """'French', 'Japanese-language', 'Georgians': a nationality word of the gazetteer."""
    from pipeline.extract.geo import gazetteer

    if " " in name:
        return False
    word = fold(name.split("-")[0])
    known = (gazetteer().demonyms, _DEMONYM_NOUNS)
    return any(word in d or (word.endswith("s") and word[:-1] in d) for d in known)


# nationality nouns that are no adjective of the gazetteer ('a 41-year-old Spaniard')
_DEMONYM_NOUNS = frozenset(
    {"spaniard", "briton", "brit", "dane", "swede", "finn", "pole", "turk", "scot", "dutchman",
     "frenchman", "englishman", "welshman", "irishman", "scotsman", "kiwi", "icelander",
     "new zealander", "luxembourger", "monegasque", "filipino", "filipina", "thai"}
)  # fmt: skip


_FUNCTION_OPENING = re.compile(
    r"^(?:En|Par|Selon|Pour|Dans|Après|Avec|Sans|Sur|Mais|Et|Ou|Donc|Ainsi|Enfin|Cependant"
    r"|Toutefois|However|But|And|Meanwhile|Separately|Also|In|On|At|For|With|After|Before"
    r"|Lors|Depuis|Malgré|Outre|Face|Au|Aux|Du|Des)\s+[a-zàâçéèêëîïôûù]",
)
_COMMON_NOUN = re.compile(rf"^(?:{_ORG_NOUNS})$", re.IGNORECASE)
_DETERMINER_OPENING = re.compile(
    r"^(?:Son|Sa|Ses|Leur|Leurs|Notre|Nos|Votre|Vos|Ce|Cet|Cette|Ces|Its|Their|His|Her|Our"
    r"|This|These|Those|That)\s+[a-zàâçéèêëîïôûù]"
)
_TITLE_AFTER = re.compile(r"\s+(?:minister|ministre|secretary)\b")


# the head word of a law's name ('Digital Markets Act', 'Clean Water Act'); no gold entity
# of any split ends with one, and the typer, which sees few laws, may read them as ORG
_LAW_NAME = re.compile(r"\s(?:Act|Directive)$")


def _drop_non_names(text: str, mentions: list[EntityMention]) -> list[EntityMention]:
    """Not names: 'US private equity firm' (a country as an adjective), 'un SUV' (a
    category after an indefinite article), 'Géant tentaculaire…' (a common noun that
    starts a sentence)."""
    out = []
    categories = {  # 'un SUV' anywhere makes 'pickups et SUV' a category too
        m.text
        for m in mentions
        if re.fullmatch(r"[A-Z]{2,5}", m.text)
        and re.search(r"\b(?:un|une|a|an)\s+$", text[max(0, m.start - 5) : m.start])
    }
    for m in mentions:
        if (
            " " not in m.text
            and _ADJECTIVE.search(m.text)
            and re.match(r"\s+[a-z]", text[m.end : m.end + 3])
            and not knowledge.known_organisation(m.text)
            and not _is_known(m.text)
        ):
            continue  # 'a Lithuanian power network operator': an adjective
        if _FUNCTION_OPENING.match(m.text) or _DETERMINER_OPENING.match(m.text):
            continue  # 'En revanche', 'Par ailleurs', 'Separately', 'Son propriétaire'
        if re.search(r"[€$£¥]", m.text) or (m.text.islower() and not _is_known(m.text)):
            continue  # '1,2 Md€', a lone 'the': no name
        if " " not in m.text and _TITLE_AFTER.match(text, m.end):
            continue  # 'Interior minister Grace Wambui': the portfolio, not a name
        if re.search(r"\b[Gg]ares? (?:de |du |d['’])$", text[max(0, m.start - 10) : m.start]):
            continue  # 'la gare de Lyon': a station, not the city
        if _NAMED_AFTER_PLACE.search(text[max(0, m.start - 50) : m.start]):
            continue  # 'le tribunal de commerce de Paris', 'la Bourse de Paris': part of a name
        if m.text in _COMMON_ACRONYMS:
            continue  # 'the group's AI agents', 'un SUV': words, not names
        if _is_demonym(m.text) and not _is_known(m.text):
            continue  # 'French', 'Japanese-language': nationality adjectives
        if (
            m.type == EntityType.LOC
            and re.fullmatch(r"[A-Z]{2,3}", m.text)
            and re.match(r"\s+[a-z]", text[m.end : m.end + 3])
        ):
            continue
        if m.text in categories:
            continue
        if _COMMON_NOUN.match(m.text):
            continue
        if _LAW_NAME.search(m.text):
            continue  # 'the Digital Markets Act', 'the EU AI Act': a law, not an organisation
        if m.type == EntityType.LOC and re.search(r"\d", m.text):
            m.type = EntityType.MISC  # 'le R1S': a model, not a place
        out.append(m)
    return out


_PLACE_PREP = re.compile(
    r"(?:\b(?:in|at|near|outside|from|à|en|près de|dans la ville de|to|vers|depuis)\s+$)"
    r"",
    re.IGNORECASE,
)


_PLACE_TAIL = re.compile(
    r"\s(?:County|Province|State|Region|Island|Islands|Valley|Bay|Coast|Mountains|Peninsula"
    r"|Desert|Gulf|Sea|Ocean|River|Lake|Canyon|Heights|Hills|Beach|Springs|Falls)$"
)
_ADJECTIVE = re.compile(r"(?:ian|ese|ish|ais|aise|ois|oise|ien|ienne)$")


def _is_country_or_region(name: str) -> bool:
    from pipeline.extract.geo import gazetteer

    record = gazetteer().resolve(name)
    return record is not None and record.kind in ("country", "continent", "region")


# an institution named after its place: 'Opéra de Lyon', 'Ministry of Defence'
_INSTITUTION_OF_PLACE = re.compile(
    r"^(?:Cour|Tribunal|Conseil|Banque|Commission|Autorité|Chambre|Agence|Office|Institut"
    r"|Université|Fondation|Musée|Ministère|Bank|Council|University|Museum|Ministry"
    r"|Opéra|Métropole|Préfecture|Mairie|Théâtre|Orchestre|Department|Agency|Institute)"
    r"\s+(?:de\s+(?:la\s+|l['’])?|d['’]|du\s+|des\s+|of\s+(?:the\s+)?)[A-ZÀ-Ý]"
)
# A sports club: a club word and a name ('Stade Rochelais', 'Real Sociedad'), or a club's
# initials and its town ('US Cognac', 'AS Monaco', 'FC Nantes'; not 'US Steel', 'US Army')
_CLUB_WORD = re.compile(
    r"^(?:Real|Atlético|Atletico|Sporting|Olympique|Racing|Dynamo|Dinamo|Borussia|Deportivo"
    r"|Stade|Standard|Athletic|Inter|Union|Eintracht|Fortuna|Hertha|Werder)\s+[A-ZÀ-Ý][\w'’-]+$"
)
_CLUB_INITIALS = re.compile(
    r"^(?:FC|AS|US|SC|RC|AC|OGC|AJ|ES|CS|SCO|SM|RB|VfB|VfL|SV|TSG|CF|CD|SD|UD)\s+(?P<town>[A-ZÀ-Ý][\w'’ -]+)$"
    r"|^(?P<town2>[A-ZÀ-Ý][\w'’ -]+)\s+(?:FC|AFC|CF|SC)$"
)


def _is_club(name: str) -> bool:
    if _CLUB_WORD.match(name):
        return True
    m = _CLUB_INITIALS.match(name)
    if m is None:
        return False
    from pipeline.extract.geo import gazetteer

    record = gazetteer().resolve(m.group("town") or m.group("town2"))
    return record is not None and record.kind == "city"


def _knowledge_type(text: str, m: EntityMention, surnames: set[str]) -> EntityType | None:
    """What the shipped lists say of a mention: a legal form after it or a company word
    ending it ('Adidas AG', 'Harwood Stores'), a listed company or institution, a city or
    country of the gazetteer read as a person or an organisation ('Victoria', 'Toulouse')."""
    from pipeline.extract.geo import gazetteer

    after = text[m.end : m.end + 24]
    if knowledge.legal_form_after().match(after) or knowledge.legal_form_inside().search(m.text):
        return EntityType.ORG
    if _TICKER_AFTER.match(after):
        return EntityType.ORG  # listed: 'Ridgeway Foods Inc (RDGW.N)'
    listed = knowledge.known_organisation(m.text)
    if listed and (fold(listed) == fold(m.text) or not _is_country_or_region(m.text)):
        return EntityType.ORG  # but 'Japan' is not short for 'Japan Airlines'
    if _PLACE_TAIL.search(m.text):
        return EntityType.LOC  # 'Lamar County', 'Vancouver Island'
    if _INSTITUTION_OF_PLACE.match(m.text):
        return EntityType.ORG  # 'Opéra de Lyon', 'Métropole de Lyon', 'Bank of Japan'
    if _is_club(m.text):
        return EntityType.ORG  # 'Stade Rochelais', 'Real Sociedad', 'US Cognac'
    if m.type != EntityType.LOC and m.text not in surnames and not m.text.isupper():
        record = gazetteer().resolve(m.text)
        before = text[max(0, m.start - 30) : m.start]
        if record is not None and (
            (m.type == EntityType.PER and " " not in m.text)
            or _PLACE_PREP.search(before)
            or re.match(r"-(?:based|listed|headquartered)\b|,\s+(?:the )?capital\b", after)
            or record.kind in ("country", "continent", "region")
        ):
            return EntityType.LOC
    return None


# The learned typer (pipeline.extract.learned) votes for its best type when it is at least
# this sure, with this weight times its probability (a context cue counts 3, the model 1).
LEARNED_FLOOR = 0.5
LEARNED_WEIGHT = 2.0
# ... and drops a mention it reads as no name at all (OTHER) with at least this probability.
LEARNED_NOT_A_NAME = 0.6
_LEARNED_TYPES = (EntityType.PER, EntityType.ORG, EntityType.LOC)


_ARTICLE_FIRST = re.compile(r"^(?:Le|La|Les|L['’])\s*[A-ZÀ-Ý]")


def _not_a_person(m: EntityMention, tally: dict[EntityType, float]) -> EntityType:
    """The best type other than PER: by the votes, else the gazetteer, else ORG."""
    from pipeline.extract.geo import gazetteer

    others = {t: v for t, v in tally.items() if t in (EntityType.ORG, EntityType.LOC)}
    if others:
        return max(others, key=lambda t: others[t])
    if gazetteer().resolve(m.text) is not None or _learned_best(m) == EntityType.LOC:
        return EntityType.LOC
    return EntityType.ORG


def _learned_best(m: EntityMention) -> EntityType | None:
    """The typer's type for `m` where it is at least LEARNED_FLOOR sure, else None."""
    if not m.learned:
        return None
    best = max(_LEARNED_TYPES, key=lambda t: (m.learned or {}).get(t.value, 0.0))
    return best if m.learned.get(best.value, 0.0) >= LEARNED_FLOOR else None


def repair_types(
    text: str, mentions: list[EntityMention], memory: Memory | None = None
) -> list[EntityMention]:
    mentions = _drop_non_names(text, mentions)
    memory = memory or {}
    confident: dict[int, EntityType] = {}
    likely: dict[int, EntityType] = {}  # weaker than a context cue, stronger than the model
    full_people = [m.text.split() for m in mentions if _looks_like_person(m.text)]
    full_people += [
        _HONORIFIC.sub("", m.text).split()
        for m in mentions
        if m.type == EntityType.PER and not _not_a_full_name(m)
    ]
    surnames = {p[-1] for p in full_people if len(p) >= 2}
    # 'Lula' after 'Luiz Inacio Lula da Silva', 'Kim' after 'Kim Soo-jin': a part of a
    # person's name named alone is that person, whatever town has the name
    name_parts = {t for p in full_people if len(p) >= 2 for t in p if t not in _PARTICLE}
    org_heads = {  # 'Kaito' after 'Kaito Electronics': the short form of a company
        m.text.split()[0]: m.start
        for m in sorted(mentions, key=lambda m: -m.start)
        if m.type == EntityType.ORG
        and len(m.text.split()) == 2
        and m.text.split()[0] not in surnames
    }
    # 'Prairie Line' after 'Prairie Line Equipment', 'Aston Martin' after 'Aston Martin
    # Lagonda': the first words of a company named before
    for m in sorted(mentions, key=lambda m: -m.start):
        words = m.text.split()
        if m.type == EntityType.ORG and len(words) >= 3:
            for k in range(2, len(words)):
                org_heads[" ".join(words[:k])] = m.start
    # 'Palo Alto' after 'Palo Alto Networks Inc': a company less its legal form and company
    # words, named before in the dispatch, is that company (not the city)
    org_bares = {
        bare: m.start
        for m in sorted(mentions, key=lambda m: -m.start)
        if m.type == EntityType.ORG and (bare := _bare(m.text)) != m.text
    }
    known: dict[int, EntityType] = {}  # what the knowledge lists say (pipeline.extract.knowledge)
    for i, m in enumerate(mentions):
        cue = _context_type(text, m.start, m.end, m.type)
        listed = _knowledge_type(text, m, name_parts)
        # ('Harlow' after 'Harlow Ticketing': the company before the town of its name)
        open_ = listed is None or (listed == EntityType.LOC and not _is_country_or_region(m.text))
        if open_ and org_heads.get(m.text, m.start) < m.start:
            listed = EntityType.ORG
        if open_ and org_bares.get(m.text, m.start) < m.start:
            listed = EntityType.ORG
        if listed is not None:
            known[i] = listed
        if cue is not None:
            confident[i] = cue
        elif i in known:
            pass
        elif _looks_like_person(m.text):
            likely[i] = EntityType.PER
        elif " " not in m.text and (
            m.text in surnames or (m.text in name_parts and _learned_best(m) == EntityType.PER)
        ):
            likely[i] = EntityType.PER  # 'Vallejo' after 'Camila Vallejo'
        elif (
            m.type == EntityType.PER
            and " " not in m.text
            and not _HONORIFIC.match(m.text)
            and _learned_best(m) != EntityType.LOC  # 'à Sévaré', 'near Puturge': a place
        ):
            # Wire copy names a person in full first; a lone word never so is a company.
            likely[i] = EntityType.ORG
    for group in _coordinated_groups(text, mentions):
        two_by_comma = (
            len(group) == 2
            and text[mentions[group[0]].end : mentions[group[1]].start].strip() == ","
        )
        if two_by_comma:  # 'le PDG de Verkor, Benoît Lemaignan' is an apposition, not a list
            continue
        cued = {confident[i] for i in group if i in confident}
        labels = Counter(mentions[i].type for i in group)
        shared = next(iter(cued)) if len(cued) == 1 else None
        if (
            shared is None
            and labels[EntityType.ORG] >= 1
            and labels[EntityType.PER] >= 1
            # 'as far away as Diyarbakir and Adiyaman': places the typer knows are no firms
            and not any(_learned_best(mentions[i]) == EntityType.LOC for i in group)
        ):
            shared = EntityType.ORG  # 'anciens de Google, Tesla et Uber'
        if shared is None and any(_is_listed_place(mentions[i], known.get(i)) for i in group):
            shared = EntityType.LOC  # 'entre Kidal et Anéfis': with a place, a place
        if shared is not None:
            for i in group:
                if likely.get(i) != EntityType.PER and i not in known:
                    confident.setdefault(i, shared)
    # One surface form, one type: a context cue counts 3, what earlier dispatches settled
    # 2.5, a given name 2, the model 1.
    votes: dict[str, dict[EntityType, float]] = defaultdict(lambda: defaultdict(float))
    evidence: dict[int, tuple[str, EntityType]] = {}
    for i, m in enumerate(mentions):
        key = _HONORIFIC.sub("", m.text)
        known_in_memory = memory.get(fold(key))
        if i in confident:
            votes[key][confident[i]] += 3
            evidence[i] = ("context", confident[i])
        elif known_in_memory is not None and known_in_memory.settled:
            votes[key][known_in_memory.type] += 2.5
            evidence[i] = ("memory", known_in_memory.type)
        elif i in known:
            votes[key][known[i]] += (
                2.2 if known[i] != EntityType.LOC or not _is_country(m.text) else 3.5
            )
            evidence[i] = ("name", known[i])
        elif i in likely:
            votes[key][likely[i]] += 2
            evidence[i] = ("name" if likely[i] == EntityType.PER else "model", likely[i])
        else:
            votes[key][m.type] += 1
        if m.learned is not None:
            best = max(_LEARNED_TYPES, key=lambda t: (m.learned or {}).get(t.value, 0.0))
            p = m.learned.get(best.value, 0.0)
            if p >= LEARNED_FLOOR:
                votes[key][best] += LEARNED_WEIGHT * p
    people = [" ".join(p) for p in full_people]
    for i, m in enumerate(mentions):
        key = _HONORIFIC.sub("", m.text)
        tally = votes[key]
        m.type = max(tally, key=lambda t: tally[t])
        if (
            m.type == EntityType.PER
            and _ARTICLE_FIRST.match(m.text)
            and not any(p.endswith(" " + m.text) for p in people)
        ):  # 'Le Cannet-des-Maures', 'Les Engagés', 'Le Bien Public' (not 'Marine Le Pen')
            m.type = _not_a_person(m, tally)
        if _HONORIFIC.match(m.text):
            m.type = EntityType.PER
            evidence[i] = ("context", EntityType.PER)
        why, typed = evidence.get(i, ("model", m.type))
        m.evidence = why if typed == m.type else "model"
    return mentions


def _not_a_full_name(m: EntityMention) -> bool:
    """A mention the model read as a person that is not one, whose last word must not
    become a surname: 'US Cognac' (a club), 'Kenya Red Cross' (an institution's word),
    'Elections Québec' (the typer reads an organisation, and no given name opens it)."""
    if _is_club(m.text) or _ORG_TAIL.search(m.text):
        return True
    return _learned_best(m) in (EntityType.ORG, EntityType.LOC) and not _looks_like_person(m.text)


def _is_listed_place(m: EntityMention, listed: EntityType | None) -> bool:
    """A place of the gazetteer that no list calls an organisation ('Kidal', 'Chamonix')."""
    if listed == EntityType.ORG:
        return False
    if listed is None and m.type not in (EntityType.LOC, EntityType.PER):
        return False
    if knowledge.known_organisation(m.text) or m.text.isupper():
        return False
    from pipeline.extract.geo import gazetteer

    return listed == EntityType.LOC or gazetteer().resolve(m.text) is not None


def _bare(name: str) -> str:
    """A company's name without its legal form and company words: 'Kestrel Software Inc'
    -> 'Kestrel' (never down to nothing: 'General Motors' stays whole)."""
    words = name.split()
    while len(words) > 1:
        tail = knowledge.legal_form_inside().search(" ".join(words))
        if words[-1].rstrip(".") in _COMPANY_WORDS or words[-1] in ("&", "and", "et"):
            words.pop()  # 'Deere & Company' -> 'Deere'
        elif tail is not None and (cut := " ".join(words)[: tail.start()].split()):
            words = cut  # 'Brookfield Asset Management' -> 'Brookfield'
        else:
            break
    return " ".join(words)


_COMPANY_WORDS = frozenset(
    {"Inc", "Corp", "Co", "Corporation", "Company", "Ltd", "Plc", "plc", "SA", "AG", "NV", "SE",
     "Group", "Groupe", "Holdings", "Holding", "Software", "Motor", "Motors", "Networks",
     "Foods", "Technologies", "Systems", "International"}
)  # fmt: skip


def _acronym(name: str) -> str:
    return "".join(w[0] for w in name.split() if w[:1].isupper())


_EVIDENCE_RANK = {"context": 0, "name": 1, "memory": 2, "model": 3}


def resolve_entities(
    text: str, mentions: list[EntityMention], memory: Memory | None = None
) -> list[Entity]:
    """Merge aliases within the document, give each cluster a canonical id (the one
    memory holds for any of its names, else one made from its longest name)."""
    memory = memory or {}
    clusters: list[_Cluster] = []
    index: dict[tuple[EntityType, str], int] = {}
    folded: dict[tuple[EntityType, str], int] = {}  # the same, names accent- and case-folded

    def attach(key_name: str, type_: EntityType) -> int | None:
        if (type_, key_name) in index:
            return index[(type_, key_name)]
        same = folded.get((type_, fold(key_name)))
        if same is not None:
            return same  # 'Al-Shabaab' opening a sentence, 'al-Shabaab' after
        for ci, c in enumerate(clusters):
            if c.type != type_:
                continue
            for n in c.names:
                if type_ == EntityType.PER and (
                    n.endswith(" " + key_name)
                    or key_name.endswith(" " + n)
                    or (" " not in key_name and first_names.get(key_name) == n)
                ):
                    return ci  # 'Lacoste', and 'Kim' after the one 'Kim Soo-jin'
                if type_ == EntityType.ORG and (_acronym(n) == key_name or _acronym(key_name) == n):
                    return ci
                if (
                    type_ == EntityType.ORG
                    and (n.startswith(key_name + " ") or n.startswith(key_name + "-"))
                    and (
                        (
                            len(n[len(key_name) :].split()) == 1
                            and knowledge.legal_form_inside().search(n)
                        )
                        or (  # not 'Vale' after its unit 'Vale Base Metals'
                            first_seen.get(n, 0) < first_seen.get(key_name, 0)
                            and (
                                n[len(key_name)] == "-"
                                or len(n[len(key_name) :].split()) == 1
                                or knowledge.legal_form_inside().search(n) is not None
                            )
                            and len(n[len(key_name) + 1 :].replace("-", " ").split()) <= 2
                        )
                    )
                ):
                    return ci  # 'Vireo' after 'Vireo Bank', 'Medway' after 'Medway Fluid Systems'
                if type_ == EntityType.ORG and key_name != n and _bare(n) == _bare(key_name):
                    return ci  # 'Kestrel' after 'Kestrel Software Inc', 'Toyota Motor Corp'
                if type_ == EntityType.ORG and re.match(
                    rf"{re.escape(key_name)}\s+(?:de|du|des|d['’])\s", n
                ):
                    return ci  # 'l'Autorité' after 'Autorité de la concurrence'

        return None

    first_seen: dict[str, int] = {}
    for m in sorted(mentions, key=lambda m: m.start):
        first_seen.setdefault(_HONORIFIC.sub("", m.text), m.start)
    # a lone word opening exactly one person's full name names that person
    openers: dict[str, set[str]] = defaultdict(set)
    for m in mentions:
        if m.type == EntityType.PER and " " in (name := _HONORIFIC.sub("", m.text)):
            openers[name.split()[0]].add(name)
    first_names = {w: next(iter(ns)) for w, ns in openers.items() if len(ns) == 1}
    # Longest names first, so short forms attach to the full name.
    order = sorted(range(len(mentions)), key=lambda i: -len(mentions[i].text))
    for i in order:
        m = mentions[i]
        name = _HONORIFIC.sub("", m.text)
        # 'General Motors (GM)': the parenthesised acronym is an alias.
        paren = re.match(r"\s*\((?P<a>[A-Z][A-Za-z0-9&]{1,8})\)", text[m.end : m.end + 14])
        ci = attach(name, m.type)
        if ci is None:
            clusters.append(_Cluster(m.type, [name]))
            ci = len(clusters) - 1
        elif name not in clusters[ci].names:
            clusters[ci].names.append(name)
        index[(m.type, name)] = ci
        folded.setdefault((m.type, fold(name)), ci)
        if paren and m.type == EntityType.ORG:
            alias = paren.group("a")
            index.setdefault((m.type, alias), ci)
            folded.setdefault((m.type, fold(alias)), ci)
            if alias not in clusters[ci].names:
                clusters[ci].names.append(alias)

    identity: dict[int, tuple[str, str]] = {}  # cluster -> (id, canonical name)
    for ci, c in enumerate(clusters):
        known = next(
            (k for n in c.names if (k := memory.get(fold(n))) is not None and k.type == c.type),
            None,
        )
        identity[ci] = (
            (known.id, known.name) if known else (entity_id(c.type, c.canonical), c.canonical)
        )
    counts: Counter[int] = Counter()
    typed_by: dict[int, str] = {}
    for m in mentions:
        ci = index[(m.type, _HONORIFIC.sub("", m.text))]
        m.entity_id = identity[ci][0]
        counts[ci] += 1
        if _EVIDENCE_RANK[m.evidence] < _EVIDENCE_RANK[typed_by.get(ci, "model")]:
            typed_by[ci] = m.evidence
    entities = [
        Entity(
            id=identity[ci][0],
            name=identity[ci][1],
            type=c.type,
            aliases=sorted(n for n in set(c.names) if n != identity[ci][1]),
            mentions=counts[ci],
            typed_by=typed_by.get(ci, "model"),
        )
        for ci, c in enumerate(clusters)
        if counts[ci]
    ]
    return sorted(entities, key=lambda e: (-e.mentions, e.name))

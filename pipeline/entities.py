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
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from spacy.tokens import Doc

from schemas import Entity, EntityType

_LABELS: dict[str, EntityType] = {
    "PER": EntityType.PER,
    "PERSON": EntityType.PER,
    "ORG": EntityType.ORG,
    "LOC": EntityType.LOC,
    "GPE": EntityType.LOC,
    "FAC": EntityType.LOC,
    "MISC": EntityType.MISC,
    "NORP": EntityType.MISC,
    "PRODUCT": EntityType.MISC,
    "EVENT": EntityType.MISC,
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
)
ORG_BEFORE = re.compile(
    rf"(?:\b(?:la|le|l'|l’|une|un|du|de la|the|a|an|rival|US|French|American)\s+)"
    rf"(?:\w+\s+){{0,2}}(?:{_ORG_NOUNS})"
    rf"(?:\s+(?:d['’]|de\s+)?(?!(?:de|du|des|of|d|par|by|chez|pour|avec|selon|dont|qui|que|and|et|with|for)\b)[\w-]+){{0,4}}\s*,?\s*$",
    re.IGNORECASE,
)
ORG_AFTER = re.compile(
    rf"^\s*,?\s*(?:une|un|la|le|l'|l’|a|an|the)\s+(?:\w+\s+)?(?:{_ORG_NOUNS})\b", re.IGNORECASE
)
ORG_SUFFIX = re.compile(
    r"^\s*(?:Inc|Corp|Corporation|SA|SAS|Ltd|LLC|AG|GmbH|plc|NV|SE|Group|Holdings?)\b\.?"
)
PER_AFTER = re.compile(
    r"^\s*,\s*(?:(?:a|an|the|un|une|le|la|l'|l’)\s+)?(?:(?:former|ancien|ancienne|new|nouveau"
    r"|nouvelle|chief|top)\s+)?(?:\w+\s+){0,2}?(?:executive|chief|director|CEO|président|présidente"
    r"|directeur|directrice|dirigeant|dirigeante|ministre|minister|spokes(?:man|woman|person)"
    r"|porte-parole|founder|fondateur|fondatrice|analyst|analyste|responsable|patron|patronne)\b",
    re.IGNORECASE,
)
ORG_LEADING_NOUN = re.compile(rf"^(?:{_ORG_NOUNS})\s+(?=[A-Z])", re.IGNORECASE)
PER_BEFORE = re.compile(
    r"(?:\b(?:M\.|Mme|Mr\.?|Mrs\.?|Ms\.?|Dr\.?|PDG|CEO|directeur|directrice|ministre|minister"
    r"|président|présidente|president|chief executive|patron|patronne)\s*(?:de \w+\s*)?)$"
)


@dataclass
class EntityMention:
    start: int
    end: int
    text: str
    type: EntityType
    entity_id: str = ""


@dataclass
class _Cluster:
    type: EntityType
    names: list[str] = field(default_factory=list)

    @property
    def canonical(self) -> str:
        return max(self.names, key=lambda n: (len(n.split()), len(n)))


def slug(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def entity_id(type_: EntityType, name: str) -> str:
    return f"{type_.value.lower()}:{slug(name)}"


def _clean(text: str) -> str:
    text = re.split(r"\.\s", text, maxsplit=1)[0]  # 'R1S. Elle' -> 'R1S'
    text = ORG_LEADING_NOUN.sub("", text)  # 'Carmaker Stellantis' -> 'Stellantis'
    return text.strip(" \t\n,;:()«»\"'’-")


def _context_type(text: str, start: int, end: int, current: EntityType) -> EntityType | None:
    before, after = text[max(0, start - 60) : start], text[end : end + 60]
    if ORG_SUFFIX.match(after) or ORG_BEFORE.search(before) or ORG_AFTER.match(after):
        return EntityType.ORG
    if PER_BEFORE.search(before) or PER_AFTER.match(after):
        return EntityType.PER
    return None


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


def mentions_from_doc(doc: Doc) -> list[EntityMention]:
    text = doc.text
    mentions: list[EntityMention] = []
    for ent in doc.ents:
        type_ = _LABELS.get(ent.label_)
        if type_ is None:
            continue
        cleaned = _clean(ent.text)
        if len(cleaned) < 2 or cleaned.islower() or cleaned.isdigit():
            continue
        offset = ent.start_char + ent.text.find(cleaned)
        mentions.append(EntityMention(offset, offset + len(cleaned), cleaned, type_))
    return repair_types(text, mentions)


def repair_types(text: str, mentions: list[EntityMention]) -> list[EntityMention]:
    confident: dict[int, EntityType] = {}
    for i, m in enumerate(mentions):
        cue = _context_type(text, m.start, m.end, m.type)
        if cue is not None:
            confident[i] = cue
    for group in _coordinated_groups(text, mentions):
        cued = {confident[i] for i in group if i in confident}
        labels = Counter(mentions[i].type for i in group)
        shared = next(iter(cued)) if len(cued) == 1 else None
        if shared is None and labels[EntityType.ORG] >= 1 and labels[EntityType.PER] >= 1:
            shared = EntityType.ORG  # 'anciens de Google, Tesla et Uber'
        if shared is not None:
            for i in group:
                confident.setdefault(i, shared)
    # One surface form, one type: cue-confirmed votes count triple.
    votes: dict[str, Counter[EntityType]] = defaultdict(Counter)
    for i, m in enumerate(mentions):
        key = _HONORIFIC.sub("", m.text)
        if i in confident:
            votes[key][confident[i]] += 3
        else:
            votes[key][m.type] += 1
    for m in mentions:
        key = _HONORIFIC.sub("", m.text)
        m.type = votes[key].most_common(1)[0][0]
        if _HONORIFIC.match(m.text):
            m.type = EntityType.PER
    return mentions


def _acronym(name: str) -> str:
    return "".join(w[0] for w in name.split() if w[:1].isupper())


def resolve_entities(text: str, mentions: list[EntityMention]) -> list[Entity]:
    """Merge aliases within the document, give each cluster a canonical id."""
    clusters: list[_Cluster] = []
    index: dict[tuple[EntityType, str], int] = {}

    def attach(key_name: str, type_: EntityType) -> int | None:
        if (type_, key_name) in index:
            return index[(type_, key_name)]
        for ci, c in enumerate(clusters):
            if c.type != type_:
                continue
            for n in c.names:
                if type_ == EntityType.PER and (
                    n.endswith(" " + key_name) or key_name.endswith(" " + n)
                ):
                    return ci
                if type_ == EntityType.ORG and (_acronym(n) == key_name or _acronym(key_name) == n):
                    return ci
        return None

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
        if paren and m.type == EntityType.ORG:
            alias = paren.group("a")
            index.setdefault((m.type, alias), ci)
            if alias not in clusters[ci].names:
                clusters[ci].names.append(alias)

    counts: Counter[int] = Counter()
    for m in mentions:
        ci = index[(m.type, _HONORIFIC.sub("", m.text))]
        m.entity_id = entity_id(clusters[ci].type, clusters[ci].canonical)
        counts[ci] += 1
    entities = [
        Entity(
            id=entity_id(c.type, c.canonical),
            name=c.canonical,
            type=c.type,
            aliases=sorted(n for n in set(c.names) if n != c.canonical),
            mentions=counts[ci],
        )
        for ci, c in enumerate(clusters)
        if counts[ci]
    ]
    return sorted(entities, key=lambda e: (-e.mentions, e.name))

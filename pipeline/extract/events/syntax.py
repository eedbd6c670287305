"""Roles from the dependency parse: who is the subject, the object, the passive agent,
the object of a preposition, for French (UD labels) and English (ClearNLP labels).

The small models parse wire copy imperfectly, so every helper answers with entity
mentions found under a syntactic slot, or nothing; the role rules fall back on word
order when the parse gives nothing (pipeline.extract.events.roles).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from spacy.tokens import Doc, Token

from pipeline.extract.entities import EntityMention
from schemas import EntityType

SUBJECT = frozenset({"nsubj", "nsubj:pass", "nsubjpass", "csubj", "expl:subj"})
PASSIVE_SUBJECT = frozenset({"nsubj:pass", "nsubjpass"})
PASSIVE_AUX = frozenset({"auxpass", "aux:pass"})
OBJECT = frozenset({"dobj", "obj", "attr", "oprd"})
# Clauses of their own: what is under them is not part of the phrase above them
# ('Halvorsen, which bought Kvist Marine, ...': Kvist Marine is not the subject).
CLAUSAL = frozenset(
    {"relcl", "acl", "acl:relcl", "advcl", "ccomp", "csubj", "parataxis", "xcomp", "advcl:cleft"}
)
# French oblique arguments carry their preposition as a `case` child.
_FR_OBLIQUE = frozenset({"obl", "obl:arg", "obl:mod", "obl:agent", "nmod", "iobj", "obj"})
RELATIVE = frozenset({"which", "who", "that", "qui", "lequel", "laquelle", "dont"})
# A subject that names nothing by itself: its referent is elsewhere.
GENERIC_HEADS = frozenset(
    {
        "it", "they", "il", "elle", "ils", "elles", "company", "group", "firm", "groupe",
        "société", "entreprise", "firme", "-il", "-elle", "-t", "lui", "celle-ci", "celui-ci",
        "which", "who", "qui", "maker", "carmaker", "bank", "banque", "lender", "business",
        # the trade a story calls its company by: 'the airline', 'la compagnie'
        "compagnie", "airline", "carrier", "insurer", "assureur", "retailer", "distributeur",
        "chipmaker", "drugmaker", "laboratoire", "constructeur", "operator", "opérateur",
        "giant", "géant", "conglomerate", "conglomérat", "brand", "marque", "enseigne",
    }
)  # fmt: skip


class Syntax:
    """A parsed document with its entity mentions placed on its tokens."""

    def __init__(self, doc: Doc, mentions: Sequence[EntityMention]) -> None:
        self.doc = doc
        self.by_token: dict[int, EntityMention] = {}
        # what readers of this parse keep per token (the role filler's name features)
        self.memo: dict[tuple[str, int], list[str]] = {}
        self._parsed = doc.has_annotation("DEP")
        for m in mentions:
            span = doc.char_span(m.start, m.end, alignment_mode="expand")
            if span is None:
                continue
            for t in span:
                self.by_token.setdefault(t.i, m)

    @property
    def parsed(self) -> bool:
        return self._parsed

    def token_at(self, char: int) -> Token | None:
        span = self.doc.char_span(char, char + 1, alignment_mode="expand")
        return span[0] if span is not None and len(span) else None

    def mention(self, tok: Token) -> EntityMention | None:
        return self.by_token.get(tok.i)

    def under(
        self,
        tok: Token,
        types: Iterable[EntityType],
        *,
        conj: bool = True,
        skip: frozenset[str] = CLAUSAL,
    ) -> list[EntityMention]:
        """Mentions of `types` in the phrase headed by `tok`, nearest the head first:
        'software maker Fjordline Systems', 'le groupe familial Dumas Martin' (apposition),
        'Airbus, Safran and Thales' (coordination, unless conj=False)."""
        wanted = set(types)
        out: list[EntityMention] = []
        queue = [tok]
        while queue:
            t = queue.pop(0)
            m = self.by_token.get(t.i)
            named = m is not None and m.type in wanted
            if m is not None and named and m not in out:
                out.append(m)
            for c in t.children:
                if c.dep_ in skip or (c.dep_ == "conj" and not conj):
                    continue
                if named and c.dep_ != "conj" and self.by_token.get(c.i) is not m:
                    continue  # 'Stability AI in the High Court': the name ends the phrase
                queue.append(c)
        return out


def is_passive(verb: Token) -> bool:
    return any(c.dep_ in PASSIVE_AUX or c.dep_ in PASSIVE_SUBJECT for c in verb.children)


def clause_verb(tok: Token, steps: int = 4) -> Token:
    """The verb a noun trigger depends on: 'completed its takeover of X' -> completed."""
    t = tok
    for _ in range(steps):
        if t.pos_ in ("VERB", "AUX") or t.dep_ == "ROOT" or t.head is t:
            return t
        if t.dep_ in CLAUSAL or t.dep_ in SUBJECT:
            return t
        t = t.head
    return t


def subject_tokens(verb: Token, steps: int = 6) -> list[Token]:
    """The subject of `verb`, inherited through control and coordination:
    'Halvorsen said it had agreed to buy' -> buy's subject is agreed's ('it');
    'completed its takeover ... and named X' -> named's subject is completed's."""
    t = verb
    for _ in range(steps):
        subjects = [c for c in t.children if c.dep_ in SUBJECT]
        if subjects:
            left = [c for c in subjects if c.i < t.i]
            subj = sorted(left or subjects, key=lambda c: abs(c.i - t.i))[0]
            if (
                subj.lower_ in RELATIVE
                and t.dep_ in ("relcl", "acl:relcl", "acl")
                and t.head is not t
            ):
                return [t.head]  # 'Dolf van den Brink, who announced ...'
            return [subj]
        if t.dep_ in ("xcomp", "conj") and t.head is not t:
            t = t.head
            continue
        if t.dep_ in ("acl", "relcl", "acl:relcl") and t.head is not t:
            return [t.head]  # 'a company founded by X', 'Y, qui rachète Z'
        break
    return []


def agents(verb: Token) -> list[Token]:
    """The passive agent: 'by Italy's competition authority', 'par l'Autorité'."""
    out: list[Token] = []
    for c in verb.children:
        if c.dep_ == "agent":
            out.extend(g for g in c.children if g.dep_ == "pobj")
        elif c.dep_ == "obl:agent":
            out.append(c)
    return out or prep_objects(verb, {"by", "par"})


def prep_objects(tok: Token, preps: set[str]) -> list[Token]:
    """Objects of the prepositions `preps` attached to `tok`: 'with Toyota Tsusho',
    'auprès de Kima Ventures', 'contre Free'."""
    out: list[Token] = []
    for c in tok.children:
        if c.dep_ in ("prep", "agent") and c.lower_ in preps:
            out.extend(g for g in c.children if g.dep_ in ("pobj", "pcomp"))
        elif c.dep_ in _FR_OBLIQUE and any(
            g.dep_ in ("case", "mark") and g.lower_ in preps for g in c.children
        ):
            out.append(c)
    return out


def objects(tok: Token) -> list[Token]:
    return [c for c in tok.children if c.dep_ in OBJECT]


def governors(tok: Token, steps: int = 5) -> list[Token]:
    """`tok` and the verbs above it through control and complement clauses
    ('denied it was in talks to buy': buy, talks?, was, denied)."""
    out = [tok]
    t = tok
    for _ in range(steps):
        if t.head is t:
            break
        if t.dep_ in ("xcomp", "ccomp", "conj", "obj", "dobj", "pobj", "prep", "advcl", "acl"):
            t = t.head
            out.append(t)
            continue
        break
    return out


def is_generic(tok: Token) -> bool:
    return tok.lower_ in GENERIC_HEADS or tok.pos_ == "PRON"

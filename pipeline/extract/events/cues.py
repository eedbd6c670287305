"""What a sentence says of the event its trigger names: asserted, denied, rumoured,
planned, or recalled as background.

Each cue is read in the trigger's own clause (from the last clause break before it:
';', 'but', 'mais', 'while', 'alors que', 'after' …) and, where the parse helps, on
the verbs that govern the trigger ('n'envisage pas d'acquisition', 'denied it was in
talks to buy'). One family per status, French and English:

- denied: 'dément', 'nie', 'denied', 'ruled out', 'has no plans', a negation on the
  trigger or a verb governing it;
- rumoured: the French conditional ('envisagerait', 'serait prêt à'), 'could', 'may',
  'in talks', 'en négociations', 'reportedly', 'is said to', 'rumeur', 'people
  familiar' with a conditional or talks;
- planned: 'is considering', 'envisage de', 'étudie', 'weighing', 'exploring', 'plans
  to' (but 'plans to cut N jobs' is how job cuts are announced: layoffs stay asserted),
  'doit être cédé';
- background: the pluperfect not governed by a reporting verb ('qui avait levé',
  'which it had bought'), a year before the dispatch's in the clause ('en 2017, X avait
  racheté Y', 'which it bought in 2019'), 'last year', 'l'an dernier', 'previously'.
"""

from __future__ import annotations

import re

from spacy.tokens import Token

from pipeline.extract.caseblind import CaseBlind
from pipeline.extract.events.syntax import SUBJECT, clause_verb, governors
from schemas import EventStatus

_CLAUSE_BREAK = re.compile(
    r";|:\s|\s[-–—]\s|\b(?:but|mais|while|whereas|alors que|tandis que|after|après que?|before"
    r"|avant de|avant que|since|depuis que|as|comme|although|bien que|même si|and then"
    r"|et a|and has|and have|and was|and had|et avait|et est|et sera)\s",
    re.IGNORECASE,
)
DENIAL = CaseBlind(
    r"\b(?:d[ée]men(?:t|ti|tie|tent|tait|tir)\w*|d[ée]menti|nie\b|nié|nient|niait|deni(?:ed|es)"
    r"|deny(?:ing)?|ruled? out|rules out|exclu[ts]?\b|a exclu|rejected (?:reports?|claims?|any)"
    r"|(?:rejected|rebuffed|turned down|spurned|rejette|rejeté|a repoussé|repousse)"
    r" (?:an?|the|its|their|une?|l['’]|la|le)\b"
    r"|dismissed (?:reports?|claims?|speculation)|has no (?:plans?|intention)|have no (?:plans?"
    r"|intention)|no plans? to|pas l['’]intention|aucun(?:e)? (?:projet|intention|plan)"
    r"|n['’]a jamais|never\b|sans fondement|baseless|untrue|pas question)"
)
# Negation words the parse attaches to a verb ('not', "n't", 'pas', 'jamais').
_NEG = frozenset({"not", "n't", "never", "pas", "jamais", "plus", "ni", "aucunement", "nullement"})
# Verbs whose negation says nothing of the event they mention ('did not disclose the
# terms of the partnership', 'n'a pas précisé le montant de la levée').
_NEUTRAL_NEG = frozenset(
    {"disclose", "comment", "reveal", "give", "say", "confirm", "specify", "détail", "préciser",
     "communiquer", "commenter", "dévoiler", "révéler", "confirmer", "indiquer", "souhaiter",
     "vouloir", "dire", "expect", "attendre", "need", "falloir", "respond", "répondre"}
)  # fmt: skip
RUMOUR = CaseBlind(
    r"\b(?:\w{3,}(?:erait|eraient|irait|iraient|rait|raient)\b|could|might"
    r"|aurai(?:t|ent)\b|serai(?:t|ent)\b"  # 'Lockheed aurait approché', too short for the above
    r"|in (?:\w+ )?(?:talks|discussions|negotiations)|en (?:\w+ )?(?:discussions?|négociations?"
    r"|pourparlers)|négocie\w*|negotiat\w+|reportedly|is said to|are said to|was said to"
    r"|rumou?r\w*|rumeur\w*|speculat\w+|spéculation\w*|potential (?:bid|offer|deal|sale)"
    r"|possible (?:bid|offer|deal|sale|takeover|merger)|(?:bid|offre|offer) (?:éventuelle|possible)"
    r"|would make an? (?:offer|bid)|could bid|pourrait|selon (?:la presse|des médias"
    r"|plusieurs médias)|press reports?|media reports?|reports? that|informations? de presse"
    r"|people (?:familiar|close)|sources? (?:familiar|close)|sources? proches?)"
)
# 'may' the modal, lower-case: 'in May' is a month, not a rumour
_MAY = re.compile(r"(?<![Ii]n )(?<!of )\bmay\b")
PLAN = CaseBlind(
    r"\b(?:consider(?:s|ing|ed)?|weigh(?:s|ing)|explor(?:es|ing)|contemplat\w+|mull\w*"
    r"|studying|stud(?:ies|y) (?:a|the|an)|looking (?:at|to)|seeks? to|seeking to|aims? to"
    r"|intends? to|wants? to|hopes? to|plans? to|planning to|planned to|prévoyait de|is to\b|are to\b|could|would like"
    r"|envisag\w+|étudi\w+|réfléchi\w*|souhait\w+|compte\b|comptent\b|projet(?:te|tent)?\b"
    r"|prévoi[ts]? de|prévoient de|a l['’]intention|ont l['’]intention|entend\b|entendent"
    r"|doi(?:t|vent) être|should|devrait|devraient|menace\w* de|threaten\w* to"
    # the deal as a proposal: 'to block its proposed purchase', 'le projet de rachat'
    r"|proposed|mooted|to block|bloquer|envisagée?s?)"
)
# 'plans to cut 900 jobs', 'va supprimer 350 postes': how job cuts are announced.
_ANNOUNCED_PLAN = CaseBlind(
    r"\b(?:plans? to|planning to|is to\b|are to\b|prévoi[ts]? de|prévoient de|compte\b|entend\b"
    r"|intends? to|aims? to|doi(?:t|vent) être)"
)
PLUPERFECT = CaseBlind(
    r"\b(?:avait|avaient|had|previously|précédemment|déjà|already)\s+(?:[\w’'-]+\s+){0,2}$"
)
_PAST_PERIOD = CaseBlind(
    r"\b(?:last year|l['’]an dernier|l['’]an passé|l['’]année dernière|l['’]année passée"
    r"|a year ago|il y a un an|years ago|il y a \w+ ans|previously|précédemment"
    r"|last month|le mois dernier|in the past|par le passé|earlier this year"
    r"|plus tôt cette année|à l['’]époque|at the time|ces dernières années|ces derniers mois"
    r"|au cours des dernières années|in recent (?:years|months)|over the (?:past|last) \w+ years)\b"
)
REPORTED = CaseBlind(
    r"\b(?:said|says|announced|told|reported|confirmed|a annoncé|ont annoncé|a indiqué"
    r"|a précisé|a déclaré|a confirmé|annonce|indique|selon un communiqué)\b"
)
_REPORTING_LEMMAS = frozenset(
    {"say", "announce", "tell", "report", "confirm", "state", "add", "annoncer", "indiquer",
     "préciser", "déclarer", "confirmer", "affirmer", "expliquer", "ajouter", "assurer"}
)  # fmt: skip
_FROM_OR_UNTIL = frozenset({"by", "d'ici", "until", "jusqu'en", "from", "since", "depuis"})
_YEAR = re.compile(r"\b(19\d\d|20\d\d)\b")


# 'no forced redundancies', 'aucun licenciement', 'pas de suppression de postes'
_NO_BEFORE = re.compile(
    r"\b(?:no|aucune?|pas de|pas d['’]|sans|zero|zéro|ni)\s+(?:[\w-]+\s+){0,2}$", re.IGNORECASE
)


def clause_before(sentence: str, start: int) -> str:
    """The trigger's clause up to the trigger: the sentence from its last clause break."""
    head = sentence[:start]
    cut = 0
    for m in _CLAUSE_BREAK.finditer(head):
        cut = m.end()
    return head[cut:]


def _clause_span(sentence: str, start: int, end: int) -> str:
    """The clause around the trigger: from the last comma or bracket before it to the next."""
    left = max(sentence.rfind(",", 0, start), sentence.rfind("(", 0, start))
    right = [i for i in (sentence.find(",", end), sentence.find(")", end)) if i >= 0]
    return sentence[left + 1 : min(right) if right else len(sentence)]


_HYPOTHESIS_HEADS = frozenset(
    {"talk", "talks", "discussion", "discussions", "negotiation", "negotiations", "plan",
     "plans", "rumour", "rumours", "rumor", "report", "reports", "speculation", "hope",
     "prospect", "possibility", "idea", "project", "négociation", "négociations",
     "rumeur", "rumeurs", "projet", "possibilité", "hypothèse", "idée", "perspective",
     "pourparlers", "spéculation", "spéculations"}
)  # fmt: skip


def _under_hypothesis(tok: Token | None) -> bool:
    """'after talks about a partnership collapsed', 'le projet de rachat': the event is the
    topic of talks or plans, not a fact."""
    if tok is None or tok.pos_ not in ("NOUN", "PROPN"):
        return False
    head = tok.head
    if head.dep_ == "prep" or head.pos_ == "ADP":
        head = head.head
    if head is tok or head.pos_ not in ("NOUN", "PROPN"):
        return False  # 'reported a net profit': the verb 'report' is no press report
    return head.lemma_.lower() in _HYPOTHESIS_HEADS or head.lower_ in _HYPOTHESIS_HEADS


def negated_by_parse(tok: Token | None) -> bool:
    if tok is None:
        return False
    for t in governors(tok):
        if t is not tok and t.lemma_.lower() in _NEUTRAL_NEG:
            return False
        if any(c.dep_ in ("neg", "advmod") and c.lower_ in _NEG for c in t.children):
            return True
    return False


def reported(tok: Token | None, before: str) -> bool:
    """The trigger sits under a reporting verb ('said it had agreed to buy')."""
    if REPORTED.search(before):
        return True
    if tok is None:
        return False
    return any(t.lemma_.lower() in _REPORTING_LEMMAS for t in governors(tok)[1:])


def status(
    sentence: str,
    start: int,
    end: int,
    type_: str,
    year: int,
    tok: Token | None = None,
) -> EventStatus:
    """The status of the event whose trigger spans sentence[start:end]."""
    before = clause_before(sentence, start)
    trigger = sentence[start:end]
    lowered = before.lower()
    if DENIAL.search(before, lowered) or negated_by_parse(tok) or _NO_BEFORE.search(before):
        return EventStatus.denied
    around = before + trigger
    if RUMOUR.search(around) or _MAY.search(around) or _under_hypothesis(tok):
        return EventStatus.rumoured
    plan = PLAN.search(before, lowered)
    if plan is not None and not (type_ == "layoffs" and _ANNOUNCED_PLAN.search(plan.group(0))):
        return EventStatus.planned
    if is_background(sentence, start, end, year, tok, type_):
        return EventStatus.background
    return EventStatus.asserted


def is_background(
    sentence: str, start: int, end: int, year: int, tok: Token | None, type_: str = ""
) -> bool:
    """Recalled past: the pluperfect outside reported speech, or an earlier year (or
    'last year') in the trigger's clause (for results, 'last year' only: 'net profit rose
    to N from M in 2025' reports this year's against last year's)."""
    clause_start = max(sentence.rfind(",", 0, start), sentence.rfind("(", 0, start))
    near = sentence[max(0, clause_start + 1) : start]
    if PLUPERFECT.search(near) and not REPORTED.search(sentence[:start]):
        return True
    if (
        tok is not None
        and (_pluperfect_aux(tok) or (tok.pos_ == "NOUN" and _pluperfect_aux(tok.head)))
        and not reported(tok, sentence[:start])
    ):
        return True  # 'qui avait finalisé en février l'acquisition de X'
    if tok is None:  # no parse: the clause between commas
        clause = _clause_span(sentence, start, end)
        years = [int(y) for y in _YEAR.findall(clause)]
        return (bool(years) and max(years) < year) or _PAST_PERIOD.search(clause) is not None
    # 'in 2019', 'last year' attached to the trigger, wherever the commas fall; not a
    # date in the reason ('fined … for failing to connect calls during an outage last year')
    anchors = _time_anchors(tok)
    own = sorted({t.i: t for a in anchors for t in _own_phrase(a)}.values(), key=lambda t: t.i)
    # results are told for a past period ('un bénéfice net de 1,4 milliard pour 2025', 'up
    # from 4.3 billion in 2025'): only 'last year', not a year, makes them background
    year_scope = [] if type_ == "earnings" else own
    own_years = [
        int(t.text)
        for t in year_scope
        if _YEAR.fullmatch(t.text)
        and not ({t.head.lower_} | {c.lower_ for c in t.children}) & _FROM_OR_UNTIL
    ]
    if own_years and max(own_years) < year:
        return True
    # as written ('l'an dernier' is three tokens: "l'", 'an', 'dernier'), and not a
    # comparison ('en hausse par rapport à l'an dernier', 'up from last year')
    written = "".join(t.text_with_ws for t in own)
    return any(not _COMPARED.search(written[: m.start()]) for m in _PAST_PERIOD.finditer(written))


_COMPARED = re.compile(
    r"\b(?:par rapport (?:à|a)|comparé\w* (?:à|a|avec)|compared (?:with|to)|from|than|versus"
    r"|vs\.?|contre|over|sur|since|depuis|a year|on an?|year-on-year|en un an)\s+"
    r"(?:[\w'’-]+\s+){0,5}$",
    re.IGNORECASE,
)


def _time_anchors(tok: Token) -> list[Token]:
    """Whose time the trigger's event takes: its own phrase, and the clause it has no
    tense of its own in: the verb a noun trigger is the object or subject of ('a multiplié
    ces derniers mois les alliances', 'a winter storm swept Texas in 2021', 'BP last year
    spun off its assets into a joint venture'), the verb a participle or infinitive
    without a subject depends on ('closed two plants in 2025, eliminating 1,250 jobs')."""
    out = [tok]
    if tok.pos_ in ("NOUN", "PROPN"):
        head = tok.head if tok.dep_ in SUBJECT else clause_verb(tok)
        if head is not tok and head.pos_ in ("VERB", "AUX") and not _reports(head):
            out.append(head)
    elif (
        tok.dep_ in ("advcl", "xcomp")
        and not any(c.dep_ in SUBJECT for c in tok.children)
        and set(tok.morph.get("VerbForm", [])) & {"Part", "Ger", "Inf"}
        and not _reports(tok.head)
    ):
        out.append(tok.head)
    return out


def _reports(verb: Token) -> bool:
    return verb.lemma_.lower() in _REPORTING_LEMMAS


def _own_phrase(tok: Token) -> list[Token]:
    """The trigger's dependents, not its subject nor clauses of their own ('Mistral AI,
    qui avait levé … en 2024, a recruté X': 2024 is the subject's, not the hire's)."""
    out: list[Token] = []
    queue = [c for c in tok.children if c.dep_ not in SUBJECT and c.dep_ not in _NOT_OWN]
    while queue:
        t = queue.pop()
        out.append(t)
        queue.extend(c for c in t.children if c.dep_ not in _NOT_OWN)
    return out


# Clauses of their own under a trigger: a relative or adverbial clause, a reason
# ('for failing to …'); a participle describing the event ('a round led by X in 2024')
# is part of it.
_NOT_OWN = frozenset(
    {"relcl", "acl:relcl", "advcl", "ccomp", "parataxis", "csubj", "pcomp", "xcomp", "conj"}
)


def _pluperfect_aux(tok: Token) -> bool:
    """'avait racheté', 'had bought': a past auxiliary 'have' on the trigger verb."""
    for c in tok.children:
        if c.dep_ in ("aux", "aux:tense") and c.lemma_.lower() in ("avoir", "have"):
            morph = c.morph.get("Tense", [])
            if "Imp" in morph or (c.lower_ == "had") or c.lower_ in ("avait", "avaient"):
                return True
    return False

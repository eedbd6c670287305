"""Features the learned models read: plain strings, one per fact about a name or sentence."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

from spacy.attrs import IDX, POS
from spacy.symbols import PROPN
from spacy.tokens import Doc, Span, Token

from pipeline.extract import knowledge

_WORD = re.compile(r"[\w'’-]+|[^\w\s]")


# A word's shape: [A-ZÀ-Ý] -> X, [a-zß-ÿ] -> x (one table), any decimal digit -> d, runs of
# three or more of a character cut to two ('Xxxxx' -> 'Xxx').
_LETTERS = str.maketrans(
    {
        **{c: "X" for c in [*range(ord("A"), ord("Z") + 1), *range(0xC0, 0xDE)]},
        **{c: "x" for c in [*range(ord("a"), ord("z") + 1), *range(0xDF, 0x100)]},
    }
)
_DIGIT = re.compile(r"\d")
_RUN = re.compile(r"(.)\1{2,}")


def _shape(word: str) -> str:
    s = word.translate(_LETTERS)
    if not s.isalpha():
        s = _DIGIT.sub("d", s)
    return _RUN.sub(r"\1\1", s)


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def mention_features(
    doc: Doc, start: int, end: int, text: str, model_label: str, lang: str
) -> list[str]:
    """What the typer reads of the name at [start, end) of `doc.text`."""
    from pipeline.extract.geo import fold, gazetteer

    full = doc_text(doc)
    words = text.split()
    f = [f"lang={lang}", f"model={model_label}", f"model+lang={model_label}|{lang}"]
    f += [f"w={w.lower()}" for w in words]
    f.append(f"first={words[0].lower()}" if words else "first=")
    f.append(f"last={words[-1].lower()}" if words else "last=")
    f.append(f"n={min(len(words), 4)}")
    f.append(f"shape={'_'.join(_shape(w) for w in words[:3])}")
    if words:
        last = words[-1].lower()
        f += [f"suf3={last[-3:]}", f"suf2={last[-2:]}"]
        f.append(f"given={fold(words[0]) in knowledge.given_names()}")
    f.append(f"upper={text.isupper()}")
    f.append(f"known_org={knowledge.known_organisation(text) is not None}")
    rec = gazetteer().resolve(text)
    f.append(f"gaz={rec.kind if rec is not None else 'none'}")
    before = _words(full[max(0, start - 60) : start])[-3:]
    after = _words(full[end : end + 60])[:3]
    p1 = before[-1] if before else "<s>"
    p2 = before[-2] if len(before) > 1 else "<s>"
    n1 = after[0] if after else "</s>"
    n2 = after[1] if len(after) > 1 else "</s>"
    f += [f"p1={p1}", f"p2={p2}", f"p12={p2}_{p1}", f"n1={n1}", f"n2={n2}", f"n12={n1}_{n2}"]
    f += [f"pw={w}" for w in before] + [f"nw={w}" for w in after]
    f.append(f"legal_after={bool(knowledge.legal_form_after().match(full[end : end + 24]))}")
    span = covering_span(doc, start, end)
    if span is not None:
        f += _syntax(span)
    return f


def doc_text(doc: Doc) -> str:
    """`doc.text`, kept on the doc (the property walks every token on each call)."""
    text = doc.user_data.get("_wire_text")
    if text is None:
        text = doc.user_data["_wire_text"] = doc.text
    return str(text)


def _token_table(doc: Doc) -> tuple[list[int], frozenset[int]]:
    """One walk over the doc's tokens, kept on the doc: each token's start offset and the
    start offsets of its proper nouns."""
    table = doc.user_data.get("_wire_tokens")
    if table is None:
        # one array from the doc's C data, no Token object per word
        arr = doc.to_array([IDX, POS])
        starts: list[int] = arr[:, 0].tolist() if len(doc) else []
        proper = frozenset(arr[arr[:, 1] == PROPN, 0].tolist()) if len(doc) else frozenset()
        table = doc.user_data["_wire_tokens"] = (starts, proper)
    return table


def proper_starts(doc: Doc) -> frozenset[int]:
    """Start offsets of the tokens tagged PROPN."""
    return _token_table(doc)[1]


def covering_span(doc: Doc, start: int, end: int) -> Span | None:
    """The tokens over characters [start, end) (`char_span(..., "expand")` scans the whole
    doc each call; this bisects a table of token offsets kept on the doc)."""
    starts = _token_table(doc)[0]
    first = max(0, bisect_right(starts, start) - 1)
    last = bisect_left(starts, end)
    return doc[first:last] if last > first else None


def _syntax(span: Span) -> list[str]:
    root = span.root
    head = root.head
    f = [
        f"dep={root.dep_}",
        f"head={head.lemma_.lower()}",
        f"dep+head={root.dep_}|{head.lemma_.lower()}",
    ]
    case = [c.lower_ for c in root.children if c.dep_ == "case"]
    if root.dep_ in ("pobj",) and head.pos_ == "ADP":
        case.append(head.lower_)
        f.append(f"govhead={head.head.lemma_.lower()}")
    f += [f"case={c}" for c in case]
    f += [f"case+head={c}|{head.lemma_.lower()}" for c in case]
    return f


CONTENT = frozenset({"VERB", "NOUN"})
NO_EVENT = "none"  # the trigger model's label for a word that names no event
_ARG_DEPS = frozenset(
    {"nsubj", "nsubj:pass", "nsubjpass", "obj", "dobj", "obl:agent", "agent", "iobj", "obl"}
)


def token_features(tok: Token, lang: str) -> list[str]:
    """What the trigger model reads of one verb or noun: its lemma and form, its relation
    and governor, its auxiliaries and the kinds of names among its arguments."""
    lemma = tok.lemma_.lower()
    head = tok.head
    f = [
        f"lang={lang}",
        f"lemma={lemma}",
        f"lower={tok.lower_}",
        f"pos={tok.pos_}",
        f"lemma+pos={lemma}|{tok.pos_}",
        f"dep={tok.dep_}",
        f"head={head.lemma_.lower()}",
        f"dep+headpos={tok.dep_}|{head.pos_}",
        f"suf4={tok.lower_[-4:]}",
        f"pre4={tok.lower_[:4]}",
    ]
    for key in ("Tense", "VerbForm", "Mood", "Voice"):
        for v in tok.morph.get(key, []):
            f.append(f"{key}={v}")
    for c in tok.children:
        f.append(f"cdep={c.dep_}")
        if c.dep_.startswith("aux") or c.dep_ in (
            "neg",
            "advmod",
            "mark",
            "case",
            "prt",
            "compound:prt",
        ):
            f.append(f"c={c.dep_}|{c.lower_}")
        if c.dep_ in _ARG_DEPS or c.dep_.startswith("nmod") or c.dep_ == "prep":
            kinds = {t.ent_type_ for t in c.subtree if t.ent_type_} or {"none"}
            f += [f"arg={c.dep_}|{k}" for k in kinds]
            f.append(f"arglemma={c.dep_}|{c.lemma_.lower()}")
        if c.dep_ == "prep":
            f += [f"prep={c.lower_}|{g.ent_type_ or g.pos_}" for g in c.children]
    return f


# ------------------------------------------------------------------ role filler

# How far apart in the parse a trigger and a name may be before the path reads "long".
PATH_CAP = 4
NO_ROLE = "none"  # the role filler's label for a name that fills no role of the event
# Words the path from a trigger to a name may go through that say which role it is.
_MARKERS = frozenset(
    {"by", "par", "from", "de", "d'", "d’", "du", "des", "à", "au", "aux", "with", "avec", "of",
     "in", "into", "dans", "against", "contre", "on", "sur", "for", "pour", "at", "chez", "en",
     "auprès", "alongside", "between", "entre", "after", "après", "to", "and", "et"}
)  # fmt: skip


def _bucket(n: int) -> str:
    for top, name in ((0, "0"), (2, "1-2"), (5, "3-5"), (10, "6-10"), (20, "11-20")):
        if n <= top:
            return name
    return "21+"


def dependency_path(
    a: Token, b: Token, cap: int = PATH_CAP, up: list[Token] | None = None
) -> tuple[list[str], list[str], list[Token]] | None:
    """The edges from `a` up to the lowest token governing both, then down to `b`: the
    relation of each token left going up ('^nsubj'), of each token reached going down
    ('vpobj'), and the tokens between `b` and that common governor; None when the two are
    not in one tree. `up`: `a` and its ancestors, when the caller has them."""
    up = up if up is not None else [a, *a.ancestors]
    index = {t.i: n for n, t in enumerate(up)}
    down: list[Token] = []
    for t in (b, *b.ancestors):
        if t.i in index:
            ups = [f"^{x.dep_}" for x in up[: index[t.i]]]
            downs = [f"v{x.dep_}" for x in reversed(down)]
            if len(ups) + len(downs) > cap:
                return ups[:cap], downs[-cap:], down
            return ups, downs, down
        down.append(t)
    return None


def role_features(
    event_type: str,
    trigger: Token,
    head: Token | None,
    entity_type: str,
    lang: str,
    slots: frozenset[str],
    rule_role: str,
    same_type_rank: str,
    name: list[str] | None = None,
    up: list[Token] | None = None,
) -> list[str]:
    """What the role filler reads of one name for one event: the event type and trigger
    lemma, the parse path from the trigger to the name's head (relations, direction,
    prepositions on the way), the syntactic slots the name fills in the trigger's clause
    (`slots`: subject, object, agent, a governing verb's subject ...), where it stands,
    what kind of name it is, the words beside it (`name_features`, passed as `name` when
    the caller keeps them), and the role the type's rule gave it. The facts that say which
    role it is are also conjoined with the event type (the labels are the roles of all
    types)."""
    lemma = trigger.lemma_.lower()
    f = [
        f"ent={entity_type}",
        f"rule={rule_role}",
        f"lemma={lemma}",
        f"tpos={trigger.pos_}",
        f"lang={lang}",
        f"rank={same_type_rank}",
    ]
    f += [f"slot={s}" for s in sorted(slots)]
    if head is None:
        f.append("path=outside")
    else:
        path = dependency_path(trigger, head, up=up)
        side = "before" if head.i < trigger.i else "after"
        f += [f"side={side}", f"dist={_bucket(abs(head.i - trigger.i))}"]
        between: list[Token] = []
        if path is None:
            f.append("path=none")
        else:
            ups, downs, below = path
            long = len(ups) + len(downs) >= PATH_CAP
            f.append(f"path={'.'.join(ups + downs)}{'+' if long else ''}")
            f.append(f"down={'.'.join(downs)}")
            between = below[1:]
        f += name if name is not None else name_features(head)
        markers = []
        for t in between:  # prepositions between the name and the trigger
            if t.pos_ == "ADP" or t.dep_ in ("prep", "agent"):
                markers.append(t.lower_)
            markers += [c.lower_ for c in t.children if c.dep_ == "case"]
        f += [f"marker={m}" for m in markers if m in _MARKERS]
    typed = [f"{event_type}|{x}" for x in f if x.startswith(_TYPED)]
    return [f"type={event_type}", *f, *typed, f"lemma+type+rule={lemma}|{rule_role}"]


def name_features(head: Token) -> list[str]:
    """What a name's own token says whatever the event: its relation and governor, its
    own preposition, the words beside its phrase, an apposed title, a noun modifying it."""
    f = [f"hdep={head.dep_}", f"hdep+hhead={head.dep_}|{head.head.lemma_.lower()}"]
    markers = [c.lower_ for c in head.children if c.dep_ in ("case", "mark")]
    if head.dep_ in ("pobj", "pcomp") and head.head.pos_ == "ADP":
        markers.append(head.head.lower_)
    f += [f"marker={m}" for m in markers if m in _MARKERS]
    doc = head.doc
    left = head.left_edge.i - 1
    right = head.right_edge.i + 1
    if left >= 0:
        f.append(f"prev={doc[left].lemma_.lower()}")
    if right < len(doc):
        f.append(f"next={doc[right].lemma_.lower()}")
    for c in head.children:
        if c.dep_ in ("appos", "conj") and c.pos_ in ("NOUN", "PROPN"):
            f.append(f"appos={c.lemma_.lower()}")
        if c.dep_ in ("compound", "amod", "nmod") and c.pos_ == "NOUN":
            f.append(f"mod={c.lemma_.lower()}")
    if head.dep_ == "appos":
        f.append(f"appos_of={head.head.lemma_.lower()}")
    return f


# The facts also read conjoined with the event type (the others read alike for every type).
_TYPED = ("ent=", "rule", "slot", "path=", "down=", "side", "marker=", "hdep=", "rank=", "appos")

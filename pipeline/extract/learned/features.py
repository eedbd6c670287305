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

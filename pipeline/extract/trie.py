"""Long word lists as one regular expression that Python's `re` can run fast.

`re` tries the branches of an alternation one by one at every position of the text, so a
list of thousands of names ('Salesforce|Safran|Sanofi|...') costs thousands of tries per
character. The same list as a trie ('Sa(?:lesforce|fran|nofi)') shares each prefix once.
The pattern matches what the plain alternation of the words sorted longest first matches:
at each position the longest word that the rest of the pattern lets through.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_END = ""  # key of a trie node's "a word ends here" mark


def trie_pattern(words: Iterable[str]) -> str:
    """A regex source matching any of `words` (no empty word), longest first."""
    root: dict[str, Any] = {}
    for word in words:
        if not word:
            continue
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[_END] = True
    if not root:
        return "(?!)"  # matches nothing, like an empty alternation would not compile to
    return _source(root)


def _source(node: dict[str, Any]) -> str:
    branches = [re.escape(ch) + _source(child) for ch, child in sorted(node.items()) if ch]
    ends = _END in node
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    # a word ends here too: the longer ones first (greedy), then this one
    return f"(?:{body})?" if ends else body

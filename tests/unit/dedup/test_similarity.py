"""StoryFinder: the nearest look-alike among many candidates, vectorised."""

from __future__ import annotations

from pipeline.dedup.similarity import THRESHOLD, Candidate, StoryFinder, signature, similarity
from tests.helpers import SAMPLES


def test_nearest_lookalike_among_more_candidates_than_the_first_allocation() -> None:
    text = (SAMPLES / "afp-fr-mistral-levee.txt").read_text(encoding="utf-8")
    sig = signature(text)
    # 200 unrelated candidates (forces the matrix to grow), then two look-alikes.
    finder = StoryFinder(
        Candidate(f"urn:other:{i}", f"story-{i}", tuple(signature(f"Dépêche {i} sans rapport")))
        for i in range(200)
    )
    near = signature(text.replace("600 millions", "650 millions"))
    nearer = signature(text.replace("mercredi", "jeudi", 1))
    finder.add(Candidate("urn:near", "story-near", tuple(near)))
    finder.add(Candidate("urn:nearer", "story-nearer", tuple(nearer)))
    assert similarity(sig, nearer) >= similarity(sig, near) >= THRESHOLD
    expected = "story-nearer" if similarity(sig, nearer) > similarity(sig, near) else "story-near"
    assert finder.story_for("urn:new", sig) == expected
    # A guid already known keeps its story whatever it now looks like.
    assert finder.story_for("urn:other:7", sig) == "story-7"
    # Nothing close enough: the dispatch starts its own story.
    assert finder.story_for(
        "urn:alone", signature("Un tout autre sujet, la météo en Bretagne")
    ) == ("urn:alone")

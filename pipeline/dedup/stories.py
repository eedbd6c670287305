"""Stories: each dispatch joins the story of its nearest earlier look-alike (pipeline.dedup.similarity)."""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.dedup.similarity import Candidate, StoryFinder
from schemas import Dispatch


def assign_stories(
    dispatches: Sequence[Dispatch],
    signatures: dict[str, list[int]],
    candidates: Sequence[Candidate],
) -> list[Dispatch]:
    """Give each dispatch the story id of its nearest earlier look-alike (index or batch)."""
    seen = StoryFinder(candidates)
    out = []
    for d in dispatches:
        sig = signatures.get(d.guid)
        story = d.story_id or (seen.story_for(d.guid, sig) if sig else d.guid)
        out.append(d.model_copy(update={"story_id": story}))
        if sig:
            seen.add(Candidate(d.guid, story, tuple(sig)))
    return out

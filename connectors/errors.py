from __future__ import annotations


class RefusedInput(ValueError):
    """The input cannot become a Dispatch. `reason` is one line a user can act on."""

    def __init__(self, reason: str, *, stage: str = "parse") -> None:
        super().__init__(reason)
        self.reason = reason
        self.stage = stage

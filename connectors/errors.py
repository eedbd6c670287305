from __future__ import annotations


class RefusedInput(ValueError):
    """The input cannot become a Dispatch. `reason` is one line a user can act on;
    `format` is the format it was read as, when it got that far."""

    def __init__(self, reason: str, *, stage: str = "parse", format: str | None = None) -> None:
        reason = " ".join(reason.split())
        super().__init__(reason)
        self.reason = reason
        self.stage = stage
        self.format = format

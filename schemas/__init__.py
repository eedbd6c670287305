"""Canonical data models shared by connectors and pipeline."""

from schemas.dispatch import (
    Amount,
    Dateline,
    DateMention,
    DeadLetter,
    Dispatch,
    EditKind,
    Entity,
    EntityType,
    Event,
    EventRole,
    Mention,
    Place,
    PubStatus,
    Subject,
    VersionRecord,
)

__all__ = [
    "Amount",
    "DateMention",
    "Dateline",
    "DeadLetter",
    "Dispatch",
    "EditKind",
    "Entity",
    "EntityType",
    "Event",
    "EventRole",
    "Mention",
    "Place",
    "PubStatus",
    "Subject",
    "VersionRecord",
]

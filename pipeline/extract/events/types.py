"""Every event type in one place: its code (the topic wire.events.<code>), its labels,
and the IPTC Media Topics it implies. Adding a type means a line here and a rule in
pipeline.extract.events.rules (a unit test keeps the two in step)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from schemas import Dispatch, Event

_BUSINESS = ("04000000", "20000170")


@dataclass(frozen=True)
class EventType:
    code: str
    label_en: str
    label_fr: str
    subjects: tuple[str, ...] = ()  # IPTC Media Topic codes (pipeline.extract.subjects)


KILLED = "dispatch.killed"

TYPES: dict[str, EventType] = {
    t.code: t
    for t in (
        EventType("personnel.departure", "Departure", "Départ", _BUSINESS),
        EventType("personnel.hire", "Appointment", "Nomination", _BUSINESS),
        EventType("funding_round", "Funding round", "Levée de fonds", _BUSINESS),
        EventType("investment", "Investment", "Investissement", _BUSINESS),
        EventType("acquisition", "Acquisition", "Rachat", _BUSINESS),
        EventType("partnership", "Partnership", "Partenariat", _BUSINESS),
        EventType("earnings", "Earnings", "Résultats", _BUSINESS),
        EventType(
            "layoffs", "Job cuts", "Suppressions d'emplois", ("09000000", "20000509", "04000000")
        ),
        EventType("legal.fine", "Fine", "Amende", ("02000000", "04000000")),
        EventType("legal.lawsuit", "Lawsuit", "Procès", ("02000000", "20000106")),
        EventType("product.launch", "Product launch", "Lancement", _BUSINESS),
        EventType(
            "election.result", "Election result", "Résultat d'élection", ("11000000", "20000574")
        ),
        EventType("disaster", "Disaster", "Catastrophe", ("03000000", "20000148")),
        EventType("attack", "Attack", "Attaque", ("16000000", "02000000")),
        EventType("death", "Death", "Décès"),
        EventType(KILLED, "Dispatch withdrawn", "Dépêche annulée"),
    )
}
EVENT_TYPES: tuple[str, ...] = tuple(TYPES)


def killed_event(d: Dispatch) -> Event:
    """A kill (canceled / withheld) is itself an event subscribers must see."""
    eid = hashlib.sha1(f"{d.guid}|{KILLED}|{d.version}".encode()).hexdigest()[:20]
    return Event(
        id=eid,
        type=KILLED,
        dispatch_guid=d.guid,
        dispatch_version=d.version,
        language=d.language,
        evidence=d.headline or (d.body[0] if d.body else d.guid),
        confidence=1.0,
        versioncreated=d.versioncreated or d.received_at,
    )

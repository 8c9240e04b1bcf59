"""What people may submit about a drill and its parts: validated input models.

Table models do not validate on construction, so every form and API call goes through
one of these first; cross-record rules (overlaps, scope) live in models/drills/planning.py.
"""

from typing import ClassVar, Optional

from pydantic import field_validator
from sqlmodel import SQLModel

from models.core.inputs import Moment, Order
from models.drills.tables import DrillBase, ObjectiveBase, OutageBase, ParticipantBase, Scenario, StepBase


class DrillIn(DrillBase):
    @field_validator("scenarios")
    @classmethod
    def _known_scenarios(cls, value: str) -> str:
        """Scenario codes, known ones only, each once, in the catalogue's order."""
        codes = {c.strip() for c in (value or "").split(",") if c.strip()}
        unknown = codes - {s.value for s in Scenario}
        if unknown:
            raise ValueError(f"Not a scenario: {', '.join(sorted(unknown))}.")
        return ",".join(s.value for s in Scenario if s.value in codes)

    ORDERS: ClassVar = (
        Order("planned_start", "planned_end", "The planned end is before the planned start."),
        Order(
            "actual_start",
            "actual_end",
            "The actual end is before the actual start.",
            "An actual end needs an actual start.",
        ),
    )


class ObjectiveIn(ObjectiveBase):
    pass


class ParticipantIn(ParticipantBase):
    pass


class StepIn(StepBase):
    ORDERS: ClassVar = (
        Order("started_at", "ended_at", "The step ends before it starts.", "A step's end needs its start."),
    )


class OutageIn(OutageBase):
    ORDERS: ClassVar = (Order("started_at", "ended_at", "The outage ends before it starts."),)


class RecoveryDataIn(SQLModel):
    """The newest data found in a recovered system, for the achieved RPO."""

    last_data_at: Optional[Moment] = None

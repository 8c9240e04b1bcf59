"""What people may submit about a drill and its parts: validated input models.

Table models do not validate on construction, so every form and API call goes through
one of these first; cross-record rules (overlaps, scope) live in models/drills/planning.py.
"""

from typing import Optional

from pydantic import model_validator
from sqlmodel import Field, SQLModel

from models.core.inputs import MAX_MINUTES, Moment, RecordId, Text, _end_after_start
from models.drills.tables import DrillKind, ObjectiveRating, OutageKind, Phase, StepOutcome


class DrillIn(SQLModel):
    title: Text = Field(min_length=1, max_length=300)
    kind: DrillKind
    scenario: Text = Field(default="", max_length=20000)
    primary_site: Text = Field(default="", max_length=200)
    recovery_site: Text = Field(default="", max_length=200)
    planned_start: Optional[Moment] = None
    planned_end: Optional[Moment] = None
    actual_start: Optional[Moment] = None
    actual_end: Optional[Moment] = None
    disaster_declared_at: Optional[Moment] = None
    out_of_scope: Text = Field(default="", max_length=20000)
    record_notes: Text = Field(default="", max_length=20000)

    @model_validator(mode="after")
    def _windows(self):
        _end_after_start(self.planned_start, self.planned_end, "planned_start", "planned_end")
        _end_after_start(self.actual_start, self.actual_end, "actual_start", "actual_end")
        return self


class ObjectiveIn(SQLModel):
    position: int = Field(default=0, ge=0, le=1000)
    text: Text = Field(min_length=1, max_length=2000)
    rating: ObjectiveRating = ObjectiveRating.NOT_RATED
    rating_notes: Text = Field(default="", max_length=20000)


class ParticipantIn(SQLModel):
    team: Text = Field(min_length=1, max_length=200)
    organisation: Text = Field(min_length=1, max_length=200)
    role: Text = Field(default="", max_length=200)
    headcount: int = Field(default=1, ge=0, le=100000)
    location: Text = Field(default="", max_length=200)
    standby: bool = False


class StepIn(SQLModel):
    phase: Phase
    title: Text = Field(min_length=1, max_length=300)
    system_id: Optional[RecordId] = None
    position: int = Field(default=0, ge=0, le=100000)
    planned_minutes: Optional[int] = Field(default=None, ge=0, le=MAX_MINUTES)
    started_at: Optional[Moment] = None
    ended_at: Optional[Moment] = None
    outcome: StepOutcome = StepOutcome.PENDING
    notes: Text = Field(default="", max_length=20000)

    @model_validator(mode="after")
    def _window(self):
        _end_after_start(self.started_at, self.ended_at, "started_at", "ended_at")
        return self


class OutageIn(SQLModel):
    system_id: RecordId
    kind: OutageKind = OutageKind.DOWN
    started_at: Moment
    ended_at: Optional[Moment] = None
    notes: Text = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _window(self):
        _end_after_start(self.started_at, self.ended_at, "started_at", "ended_at")
        return self


class RecoveryDataIn(SQLModel):
    """The newest data found in a recovered system, for the achieved RPO."""

    last_data_at: Optional[Moment] = None

"""What people may submit about a drill and its parts: validated input models.

Table models do not validate on construction, so every form and API call goes through
one of these first; cross-record rules (overlaps, scope) live in models/drills/planning.py.
"""

from typing import Optional

from pydantic import model_validator
from sqlmodel import SQLModel

from models.core.inputs import Moment, end_after_start
from models.drills.tables import DrillBase, ObjectiveBase, OutageBase, ParticipantBase, StepBase


class DrillIn(DrillBase):
    @model_validator(mode="after")
    def _windows(self):
        end_after_start(self.planned_start, self.planned_end, "planned_start", "planned_end")
        end_after_start(self.actual_start, self.actual_end, "actual_start", "actual_end")
        return self


class ObjectiveIn(ObjectiveBase):
    pass


class ParticipantIn(ParticipantBase):
    pass


class StepIn(StepBase):
    @model_validator(mode="after")
    def _window(self):
        end_after_start(self.started_at, self.ended_at, "started_at", "ended_at")
        return self


class OutageIn(OutageBase):
    @model_validator(mode="after")
    def _window(self):
        end_after_start(self.started_at, self.ended_at, "started_at", "ended_at")
        return self


class RecoveryDataIn(SQLModel):
    """The newest data found in a recovered system, for the achieved RPO."""

    last_data_at: Optional[Moment] = None

"""What people may submit about actions: the action itself and each move of its workflow."""

from datetime import date
from typing import Optional

from pydantic import model_validator
from sqlmodel import Field, SQLModel

from models.actions.tables import ActionKind, Capability, Priority, Verification
from models.core.inputs import RecordId, Text


class ActionIn(SQLModel):
    title: Text = Field(min_length=1, max_length=300)
    description: Text = Field(default="", max_length=20000)
    owner_id: Optional[RecordId] = None
    team: Text = Field(default="", max_length=200)
    due_date: Optional[date] = None
    priority: Priority = Priority.MEDIUM
    kind: ActionKind = ActionKind.CORRECTIVE
    capability: Optional[Capability] = None
    finding_id: Optional[RecordId] = None
    drill_id: Optional[RecordId] = None


class CompletionIn(SQLModel):
    completion_note: Text = Field(min_length=1, max_length=20000)


class CancellationIn(SQLModel):
    cancelled_reason: Text = Field(min_length=1, max_length=20000)


class VerificationIn(SQLModel):
    verification_method: Text = Field(min_length=1, max_length=2000)
    verification_result: Verification
    effectiveness_checked_on: date
    verification_evidence: Text = Field(default="", max_length=2000)
    verification_notes: Text = Field(default="", max_length=20000)

    @model_validator(mode="after")
    def _reason_when_not_effective(self):
        if self.verification_result == Verification.NOT_EFFECTIVE and not self.verification_notes:
            raise ValueError("verification_notes: say why it was not effective; the action reopens with this reason")
        return self

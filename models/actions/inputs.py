"""What people may submit about actions: the action itself and each move of its workflow."""

from pydantic import model_validator
from sqlmodel import Field, SQLModel

from models.actions.tables import ActionBase, Verification
from models.core.inputs import Day, Text


class ActionIn(ActionBase):
    pass


class CompletionIn(SQLModel):
    completion_note: Text = Field(min_length=1, max_length=20000)


class CancellationIn(SQLModel):
    cancelled_reason: Text = Field(min_length=1, max_length=20000)


class VerificationIn(SQLModel):
    verification_method: Text = Field(min_length=1, max_length=2000)
    verification_result: Verification
    effectiveness_checked_on: Day
    verification_evidence: Text = Field(default="", max_length=2000)
    verification_notes: Text = Field(default="", max_length=20000)

    @model_validator(mode="after")
    def _reason_when_not_effective(self):
        if self.verification_result == Verification.NOT_EFFECTIVE and not self.verification_notes:
            raise ValueError("verification_notes: say why it was not effective; the action reopens with this reason")
        return self

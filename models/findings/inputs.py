"""What people may submit about a finding."""

from typing import Optional

from pydantic import model_validator
from sqlmodel import Field, SQLModel

from models.core.inputs import Moment, Text
from models.findings.tables import DrillRelation, FindingKind, Severity


class FindingIn(SQLModel):
    kind: FindingKind
    severity: Severity = Severity.MEDIUM
    title: Text = Field(min_length=1, max_length=300)
    description: Text = Field(default="", max_length=20000)
    detected_at: Optional[Moment] = None
    resolved_at: Optional[Moment] = None
    contributing_factors: Text = Field(default="", max_length=20000)
    root_cause: Text = Field(default="", max_length=20000)
    related_to_drill: DrillRelation = DrillRelation.UNDETERMINED
    relation_rationale: Text = Field(default="", max_length=20000)

    @model_validator(mode="after")
    def _window(self):
        if self.detected_at and self.resolved_at and self.resolved_at < self.detected_at:
            raise ValueError("resolved_at: resolved before it was detected")
        return self

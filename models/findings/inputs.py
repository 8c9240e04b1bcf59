"""What people may submit about a finding."""

from pydantic import model_validator

from models.findings.tables import FindingBase


class FindingIn(FindingBase):
    @model_validator(mode="after")
    def _window(self):
        if self.detected_at and self.resolved_at and self.resolved_at < self.detected_at:
            raise ValueError("resolved_at: resolved before it was detected")
        return self

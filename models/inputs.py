"""What people may submit: validated input models for every record they create or edit.

Table models do not validate on construction, so every form and API call goes through
one of these first; cross-record rules (overlaps, scope) live in models/recording.py.
"""

from datetime import date, datetime
from typing import Annotated, Optional

from pydantic import AwareDatetime, BeforeValidator, model_validator
from pydantic import Field as Bounds
from sqlmodel import Field, SQLModel

from models.controls import Implementation
from models.drills import DrillKind, ObjectiveRating, OutageKind, Phase, StepOutcome
from models.types import MAX_ID
from models.tokens import Scope
from models.users import Role
from models.findings import ActionKind, Capability, DrillRelation, FindingKind, Priority, Severity, Verification

#: a week, the longest planned duration or target that makes sense for one step or system
MAX_MINUTES = 7 * 24 * 60 * 10


def _clean(value):
    if not isinstance(value, str):
        return value
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value.strip()


#: a reference to another record: a positive id the database can hold
RecordId = Annotated[int, Bounds(ge=1, le=MAX_ID)]

#: an instant with its UTC offset; forms turn local times into these, and a bare time from elsewhere is refused
Moment = AwareDatetime

#: text with surrounding white space removed before the length rules apply, and NUL refused (PostgreSQL cannot store it)
Text = Annotated[str, BeforeValidator(_clean)]


def _end_after_start(start: Optional[datetime], end: Optional[datetime], start_name: str, end_name: str) -> None:
    if end is not None and start is None:
        raise ValueError(f"{end_name}: an end needs a start")
    if start is not None and end is not None and end < start:
        raise ValueError(f"{end_name}: the end is before the start")


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


class SystemIn(SQLModel):
    name: Text = Field(min_length=1, max_length=200)
    description: Text = Field(default="", max_length=20000)
    owner: Text = Field(default="", max_length=200)
    rto_minutes: Optional[int] = Field(default=None, ge=0, le=MAX_MINUTES)
    rpo_minutes: Optional[int] = Field(default=None, ge=0, le=MAX_MINUTES)
    mtd_minutes: Optional[int] = Field(default=None, ge=0, le=MAX_MINUTES)

    @model_validator(mode="after")
    def _mtd_covers_rto(self):
        if self.rto_minutes is not None and self.mtd_minutes is not None and self.mtd_minutes < self.rto_minutes:
            raise ValueError("mtd_minutes: the maximum tolerable downtime cannot be shorter than the RTO")
        return self


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


class EvidenceIn(SQLModel):
    description: Text = Field(default="", max_length=2000)
    collected_on: Optional[date] = None
    valid_until: Optional[date] = None
    drill_id: Optional[RecordId] = None
    finding_id: Optional[RecordId] = None
    action_id: Optional[RecordId] = None

    @model_validator(mode="after")
    def _validity(self):
        if self.collected_on and self.valid_until and self.valid_until < self.collected_on:
            raise ValueError("valid_until: valid until a date before it was collected")
        return self


class ApplicabilityIn(SQLModel):
    applicable: bool = True
    justification: Text = Field(min_length=1, max_length=5000)
    implementation: Implementation = Implementation.NOT_STARTED


class UserIn(SQLModel):
    """A person as an administrator adds or changes them; the password is only for a new user or a reset."""

    email: Text = Field(min_length=3, max_length=254, regex=r"^[^@\s]+@[^@\s]+$")
    name: Text = Field(min_length=1, max_length=200)
    role: Role
    title: Text = Field(default="", max_length=200)
    active: bool = True
    password: Optional[str] = Field(default=None, max_length=1024)


class PasswordChangeIn(SQLModel):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)
    confirm_password: str = Field(min_length=1, max_length=1024)


class TokenIn(SQLModel):
    """A personal access token as its owner asks for it."""

    name: Text = Field(min_length=1, max_length=100)
    scope: Scope
    expires_on: date

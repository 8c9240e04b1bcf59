"""Drills and what they are made of: objectives, participants, timed steps and outages."""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Optional

from sqlmodel import AutoString, Field, Relationship, SQLModel

from models.controls.links import DrillControl
from models.core.inputs import MAX_MINUTES, Moment, RecordId, Text, prose
from models.core.types import Choice, UTCDateTime, text_enum, utcnow, version_column
from models.systems import DrillSystem, System

if TYPE_CHECKING:
    from models.actions.tables import Action
    from models.controls.tables import Control
    from models.evidence import Evidence
    from models.findings.tables import Finding
    from models.signoff.tables import DrillReview, SignOff


class DrillKind(Choice):
    TABLETOP = "tabletop", "Tabletop exercise"
    FUNCTIONAL = "functional", "Functional exercise"
    FULL_SCALE = "full_scale", "Full-scale exercise"


class Scenario(Choice):
    """What a drill exercises, as continuity programmes (ISO 22301 8.5, DORA art. 11 and 12) are asked to cover."""

    SWITCHOVER = "switchover", "Failover or switchover"
    FAILBACK = "failback", "Failback"
    RESTORE = "restore", "Backup restore with integrity check"
    CYBER_ATTACK = "cyber_attack", "Cyber-attack"
    SITE_LOSS = "site_loss", "Loss of a site"
    SUPPLIER_LOSS = "supplier_loss", "Loss of a supplier"
    CRISIS_COMMUNICATION = "crisis_communication", "Crisis communication"


class DrillStatus(Choice):
    PLANNED = "planned", "Planned"
    RUNNING = "running", "Running"
    REVIEW = "review", "In review"
    SIGNED = "signed", "Signed"


class DrillState(Choice):
    """Where a drill stands, as every page shows it; worked out from its status, times and reviews."""

    PLANNED = "planned", "Planned"
    RUNNING = "running", "Running"
    ENDED = "ended", "Ended"
    REVIEW = "review", "In review"
    SENT_BACK = "sent_back", "Sent back"
    SIGNED = "signed", "Signed"
    AMENDED = "amended", "Amended"


class ObjectiveRating(Choice):
    NOT_RATED = "not_rated", "Not rated"
    PERFORMED = "performed", "Performed"
    SOME_CHALLENGES = "some_challenges", "Performed with some challenges"
    MAJOR_CHALLENGES = "major_challenges", "Performed with major challenges"
    UNABLE = "unable", "Unable to perform"


class Phase(Choice):
    PREPARATION = "preparation", "Preparation"
    FAILOVER = "failover", "Failover"
    RECONFIGURATION = "reconfiguration", "Reconfiguration"
    VALIDATION = "validation", "Validation"
    FAILBACK = "failback", "Failback"


class StepOutcome(Choice):
    PENDING = "pending", "Pending"
    SUCCESS = "success", "Succeeded"
    ISSUES = "issues", "Succeeded with issues"
    FAILED = "failed", "Failed"


class OutageKind(Choice):
    DOWN = "down", "Down"
    DEGRADED = "degraded", "Degraded"


_drill_version = version_column()


class DrillBase(SQLModel):
    """What a person records about a drill, with its limits: the table and the input model share these."""

    title: Text = Field(min_length=1, max_length=300)
    kind: DrillKind = Field(sa_type=text_enum(DrillKind))
    #: what is simulated, in Markdown
    scenario: Text = prose()
    primary_site: Text = Field(default="", max_length=200)
    recovery_site: Text = Field(default="", max_length=200)
    planned_start: Optional[Moment] = Field(default=None, sa_type=UTCDateTime)
    planned_end: Optional[Moment] = Field(default=None, sa_type=UTCDateTime)
    actual_start: Optional[Moment] = Field(default=None, sa_type=UTCDateTime)
    actual_end: Optional[Moment] = Field(default=None, sa_type=UTCDateTime)
    #: when the (simulated) disaster was declared; recovery times count from here, else from actual_start
    disaster_declared_at: Optional[Moment] = Field(default=None, sa_type=UTCDateTime)
    #: what was out of scope and why, in Markdown
    out_of_scope: Text = prose()
    #: notes on the record itself: sources, contradictions in them, how they were resolved
    record_notes: Text = prose()
    #: who commissioned the exercise (HSEEP "sponsor"), and the person to contact about it
    sponsor: Text = Field(default="", max_length=200)
    point_of_contact: Text = Field(default="", max_length=200)
    #: how the exercise was evaluated (observers, timings, test plan) and by whom, in Markdown
    evaluation_method: Text = prose()
    evaluators: Text = Field(default="", max_length=2000)
    #: what participants said at the hot wash right after the exercise, in Markdown
    hotwash: Text = prose()
    #: the conclusion and lessons learned, in Markdown
    conclusion: Text = prose()
    #: a claim the write-up makes about recovery ("all core functions back in under an hour") and its
    #: time in minutes, checked against each system's achieved recovery
    claim: Text = Field(default="", max_length=500)
    claim_minutes: Optional[int] = Field(default=None, ge=1, le=100000)
    #: what the drill exercises: Scenario codes separated by commas, e.g. "switchover,failback"
    scenarios: Text = Field(default="", max_length=300)
    #: the continuity or recovery plans it puts to the test, e.g. "DR plan v3; crisis communication plan"
    plans: Text = Field(default="", max_length=500)


class Drill(DrillBase, table=True):
    """One exercise of a continuity or recovery plan, from planning to sign-off."""

    __mapper_args__ = {"version_id_col": _drill_version}

    id: Optional[int] = Field(default=None, primary_key=True)
    #: row version; a save based on an older version is refused
    version: int = Field(default=1, sa_column=_drill_version)
    status: DrillStatus = Field(default=DrillStatus.PLANNED, sa_type=text_enum(DrillStatus))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    #: 1 for the first record; an amendment of a signed drill is a new drill row with the next number
    revision: int = Field(default=1, ge=1)
    #: the signed revision this one amends
    previous_revision_id: Optional[int] = Field(default=None, foreign_key="drill.id", ondelete="RESTRICT", index=True)
    submitted_by_id: Optional[int] = Field(default=None, foreign_key="user.id", ondelete="RESTRICT")
    submitted_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)

    objectives: list["Objective"] = Relationship(back_populates="drill", cascade_delete=True)
    participants: list["Participant"] = Relationship(back_populates="drill", cascade_delete=True)
    steps: list["Step"] = Relationship(back_populates="drill", cascade_delete=True)
    outages: list["Outage"] = Relationship(back_populates="drill", cascade_delete=True)
    systems: list[System] = Relationship(back_populates="drills", link_model=DrillSystem)
    #: the scope rows themselves, for what the drill recorded per system (read-only view of drill_system)
    scope: list[DrillSystem] = Relationship(sa_relationship_kwargs={"viewonly": True})
    findings: list["Finding"] = Relationship(back_populates="drill")
    actions: list["Action"] = Relationship(back_populates="drill")
    controls: list["Control"] = Relationship(back_populates="drills", link_model=DrillControl)
    evidence: list["Evidence"] = Relationship(back_populates="drill")
    signoffs: list["SignOff"] = Relationship(back_populates="drill")
    reviews: list["DrillReview"] = Relationship(
        back_populates="drill", sa_relationship_kwargs={"order_by": "DrillReview.id"}
    )

    def state_when(self, superseded: bool) -> DrillState:
        """The state, with a signed revision that a newer one amends read as amended."""
        return DrillState.AMENDED if superseded and self.status == DrillStatus.SIGNED else self.state

    @property
    def state(self) -> DrillState:
        """Planned, running, ended, in review, sent back or signed; `state_when` also knows amended, which
        needs the newer revision looked up."""
        if self.status in (DrillStatus.SIGNED, DrillStatus.REVIEW):
            return DrillState(self.status.value)
        if self.reviews and self.reviews[-1].returned_at is not None:
            return DrillState.SENT_BACK
        if self.actual_end is not None:
            return DrillState.ENDED
        return DrillState.RUNNING if self.actual_start is not None else DrillState.PLANNED

    @property
    def duration(self) -> Optional[timedelta]:
        """Actual end minus actual start, when both are known."""
        if self.actual_start and self.actual_end:
            return self.actual_end - self.actual_start
        return None

    @property
    def scenario_kinds(self) -> list[Scenario]:
        """The scenarios the drill exercises, in the catalogue's order."""
        chosen = set(filter(None, (self.scenarios or "").split(",")))
        return [s for s in Scenario if s.value in chosen]

    def timeline(self) -> list["Step"]:
        """Steps in the order they happened: by actual start, then planned position."""
        return sorted(self.steps, key=lambda s: (s.started_at is None, s.started_at or self.created_at, s.position))


_objective_version = version_column()


class ObjectiveBase(SQLModel):
    """What a person records about an objective."""

    position: int = Field(default=0, ge=0, le=1000)
    text: Text = Field(min_length=1, max_length=2000, sa_type=AutoString)
    rating: ObjectiveRating = Field(default=ObjectiveRating.NOT_RATED, sa_type=text_enum(ObjectiveRating))
    #: what was observed, which is why the rating was given, in Markdown
    rating_notes: Text = prose()
    #: why it happened, and what should be done about it, in Markdown
    analysis: Text = prose()
    recommendation: Text = prose()


class Objective(ObjectiveBase, table=True):
    """What a drill set out to show, and how well it did."""

    __mapper_args__ = {"version_id_col": _objective_version}

    id: Optional[int] = Field(default=None, primary_key=True)
    #: row version; a save based on an older version is refused
    version: int = Field(default=1, sa_column=_objective_version)
    drill_id: int = Field(foreign_key="drill.id", index=True, ondelete="CASCADE")

    drill: Drill = Relationship(back_populates="objectives")


_participant_version = version_column()


class ParticipantBase(SQLModel):
    """What a person records about a group that took part."""

    team: Text = Field(min_length=1, max_length=200)
    organisation: Text = Field(min_length=1, max_length=200)
    #: what the group did in the drill, e.g. "executes failover", "backup team"
    role: Text = Field(default="", max_length=200)
    headcount: int = Field(default=1, ge=0, le=100000)
    location: Text = Field(default="", max_length=200)
    #: on call as a backup team rather than taking part
    standby: bool = Field(default=False)


class Participant(ParticipantBase, table=True):
    """A group of people who took part, or stood by, in a drill."""

    __mapper_args__ = {"version_id_col": _participant_version}

    id: Optional[int] = Field(default=None, primary_key=True)
    #: row version; a save based on an older version is refused
    version: int = Field(default=1, sa_column=_participant_version)
    drill_id: int = Field(foreign_key="drill.id", index=True, ondelete="CASCADE")

    drill: Drill = Relationship(back_populates="participants")


_step_version = version_column()


class StepBase(SQLModel):
    """What a person records about a step."""

    phase: Phase = Field(sa_type=text_enum(Phase))
    title: Text = Field(min_length=1, max_length=300)
    system_id: Optional[RecordId] = Field(default=None, foreign_key="system.id", index=True, ondelete="RESTRICT")
    position: int = Field(default=0, ge=0, le=100000)
    planned_minutes: Optional[int] = Field(default=None, ge=0, le=MAX_MINUTES)
    started_at: Optional[Moment] = Field(default=None, sa_type=UTCDateTime)
    ended_at: Optional[Moment] = Field(default=None, sa_type=UTCDateTime)
    outcome: StepOutcome = Field(default=StepOutcome.PENDING, sa_type=text_enum(StepOutcome))
    #: what happened, in Markdown
    notes: Text = prose()


class Step(StepBase, table=True):
    """One timed step of a drill; its duration is computed from its start and end, never typed."""

    __mapper_args__ = {"version_id_col": _step_version}

    id: Optional[int] = Field(default=None, primary_key=True)
    #: row version; a save based on an older version is refused
    version: int = Field(default=1, sa_column=_step_version)
    drill_id: int = Field(foreign_key="drill.id", index=True, ondelete="CASCADE")

    drill: Drill = Relationship(back_populates="steps")
    system: Optional[System] = Relationship(back_populates="steps")

    @property
    def actual_duration(self) -> Optional[timedelta]:
        """End minus start, when both were stamped."""
        if self.started_at and self.ended_at:
            return self.ended_at - self.started_at
        return None

    @property
    def variance(self) -> Optional[timedelta]:
        """Actual minus planned duration: positive when the step overran."""
        if self.actual_duration is None or self.planned_minutes is None:
            return None
        return self.actual_duration - timedelta(minutes=self.planned_minutes)


_outage_version = version_column()


class OutageBase(SQLModel):
    """What a person records about an outage."""

    system_id: RecordId = Field(foreign_key="system.id", index=True, ondelete="RESTRICT")
    kind: OutageKind = Field(default=OutageKind.DOWN, sa_type=text_enum(OutageKind))
    started_at: Moment = Field(sa_type=UTCDateTime)
    #: None while the system is still out
    ended_at: Optional[Moment] = Field(default=None, sa_type=UTCDateTime)
    notes: Text = prose(2000)


class Outage(OutageBase, table=True):
    """A window in which a system was down or degraded during a drill."""

    __mapper_args__ = {"version_id_col": _outage_version}

    id: Optional[int] = Field(default=None, primary_key=True)
    #: row version; a save based on an older version is refused
    version: int = Field(default=1, sa_column=_outage_version)
    drill_id: int = Field(foreign_key="drill.id", index=True, ondelete="CASCADE")

    drill: Drill = Relationship(back_populates="outages")
    system: System = Relationship(back_populates="outages")

    @property
    def duration(self) -> Optional[timedelta]:
        """End minus start, once the outage has ended."""
        if self.ended_at is None:
            return None
        return self.ended_at - self.started_at

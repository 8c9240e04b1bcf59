"""Follow-up actions decided on findings or drills, and every move of their status."""

from datetime import date, datetime
from typing import TYPE_CHECKING, Optional

from sqlmodel import Field, Relationship, SQLModel

from models.controls.links import ActionControl
from models.core.inputs import Day, RecordId, Text, prose
from models.core.types import Choice, UTCDateTime, text_enum, utcnow, version_column
from models.findings.tables import Finding

if TYPE_CHECKING:
    from models.controls.tables import Control
    from models.drills.tables import Drill
    from models.evidence import Evidence
    from models.people.users import User


class ActionKind(Choice):
    CORRECTIVE = "corrective", "Corrective"
    PREVENTIVE = "preventive", "Preventive"
    IMPROVEMENT = "improvement", "Improvement"


class Priority(Choice):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class Capability(Choice):
    """The capability element an action improves, as in exercise improvement plans."""

    PLANNING = "planning", "Planning"
    ORGANISATION = "organisation", "Organisation"
    EQUIPMENT = "equipment", "Equipment"
    TRAINING = "training", "Training"
    EXERCISE = "exercise", "Exercise"


class ActionStatus(Choice):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done, awaiting verification"
    VERIFIED = "verified", "Verified effective"
    CANCELLED = "cancelled", "Cancelled"


#: statuses in which the owner still has work to do, so a passed due date makes it overdue
OUTSTANDING = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)


class Verification(Choice):
    EFFECTIVE = "effective", "Effective"
    NOT_EFFECTIVE = "not_effective", "Not effective"


_action_version = version_column()


class ActionBase(SQLModel):
    """What a person records when deciding an action, with its limits: the table and the input model share these."""

    title: Text = Field(min_length=1, max_length=300)
    #: in Markdown
    description: Text = prose()
    owner_id: Optional[RecordId] = Field(default=None, foreign_key="user.id", index=True, ondelete="RESTRICT")
    #: team responsible for carrying the action out
    team: Text = Field(default="", max_length=200)
    #: when the work is planned to start, and to be done
    start_date: Optional[Day] = Field(default=None)
    due_date: Optional[Day] = Field(default=None, index=True)
    priority: Priority = Field(default=Priority.MEDIUM, sa_type=text_enum(Priority))
    kind: ActionKind = Field(default=ActionKind.CORRECTIVE, sa_type=text_enum(ActionKind))
    capability: Optional[Capability] = Field(default=None, sa_type=text_enum(Capability))
    finding_id: Optional[RecordId] = Field(default=None, foreign_key="finding.id", index=True, ondelete="RESTRICT")
    drill_id: Optional[RecordId] = Field(default=None, foreign_key="drill.id", index=True, ondelete="RESTRICT")


class Action(ActionBase, table=True):
    """A follow-up action with an owner, followed until an approver verifies it effective."""

    __mapper_args__ = {"version_id_col": _action_version}

    id: Optional[int] = Field(default=None, primary_key=True)
    #: row version; a save based on an older version is refused
    version: int = Field(default=1, sa_column=_action_version)
    status: ActionStatus = Field(default=ActionStatus.OPEN, sa_type=text_enum(ActionStatus), index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    completed_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    #: what was done, required to mark the action done
    completion_note: str = Field(default="")
    cancelled_reason: str = Field(default="")
    verified_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    verified_by_id: Optional[int] = Field(default=None, foreign_key="user.id", ondelete="RESTRICT")
    #: how effectiveness was checked, e.g. "repeated the partner availability test"
    verification_method: str = Field(default="")
    verification_result: Optional[Verification] = Field(default=None, sa_type=text_enum(Verification))
    verification_notes: str = Field(default="")
    #: the day the effectiveness check was carried out
    effectiveness_checked_on: Optional[date] = Field(default=None)
    #: what shows the check's result: a test report, a ticket, an evidence file attached to the action
    verification_evidence: str = Field(default="")
    #: when work began (first move to in progress), the "start" of an improvement plan
    started_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)

    finding: Optional[Finding] = Relationship(back_populates="actions")
    drill: Optional["Drill"] = Relationship(back_populates="actions")
    owner: Optional["User"] = Relationship(sa_relationship_kwargs={"foreign_keys": "Action.owner_id"})
    verified_by: Optional["User"] = Relationship(sa_relationship_kwargs={"foreign_keys": "Action.verified_by_id"})
    controls: list["Control"] = Relationship(back_populates="actions", link_model=ActionControl)
    evidence: list["Evidence"] = Relationship(back_populates="action")
    transitions: list["ActionTransition"] = Relationship(
        back_populates="action", sa_relationship_kwargs={"order_by": "ActionTransition.id"}
    )

    def is_overdue(self, today: date) -> bool:
        """True when work is still outstanding and the due date has passed."""
        return self.status in OUTSTANDING and self.due_date is not None and self.due_date < today

    def days_open(self, today: date, decided_on: Optional[date] = None) -> int:
        """Days from its planned start (else `decided_on`, the drill's day, else when it was recorded) until
        verified, or until `today` while open: an action recorded long after its drill is not new."""
        end = today
        if self.status == ActionStatus.VERIFIED and self.verified_at:
            end = self.verified_at.date()
        since = self.start_date or decided_on or self.created_at.date()
        return max((end - since).days, 0)


class ActionTransition(SQLModel, table=True):
    """One change of an action's status: who, when, from what to what, and why."""

    __tablename__ = "action_transition"
    id: Optional[int] = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id", index=True, ondelete="CASCADE")
    from_status: ActionStatus = Field(sa_type=text_enum(ActionStatus))
    to_status: ActionStatus = Field(sa_type=text_enum(ActionStatus))
    actor_id: int = Field(foreign_key="user.id", ondelete="RESTRICT")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    note: str = Field(default="")

    action: Action = Relationship(back_populates="transitions")
    actor: "User" = Relationship()


CLOSED = (ActionStatus.VERIFIED, ActionStatus.CANCELLED)

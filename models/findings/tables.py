"""Findings: what a drill or an incident showed, with its severity, causes and the systems and controls concerned."""

from datetime import datetime
from typing import TYPE_CHECKING, Optional

from sqlalchemy import Index, text
from sqlmodel import Field, Relationship, SQLModel

from models.controls.links import FindingControl
from models.core.inputs import Moment, Text, prose
from models.core.types import Choice, UTCDateTime, text_enum, utcnow, version_column
from models.systems import FindingSystem

if TYPE_CHECKING:
    from models.actions.tables import Action
    from models.controls.tables import Control
    from models.drills.tables import Drill
    from models.evidence import Evidence
    from models.people.users import User
    from models.systems import System


class FindingKind(Choice):
    STRENGTH = "strength", "Strength"
    IMPROVEMENT = "improvement", "Area for improvement"
    INCIDENT = "incident", "Incident"
    NONCONFORMITY = "nonconformity", "Nonconformity"
    OBSERVATION = "observation", "Observation"


class Severity(Choice):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class DrillRelation(Choice):
    """Whether a finding was caused by the drill itself; auditors ask this of every incident."""

    YES = "yes", "Related to the drill"
    NO = "no", "Not related to the drill"
    UNDETERMINED = "undetermined", "Undetermined"


_finding_version = version_column()


class FindingBase(SQLModel):
    """What a person records about a finding, with its limits: the table and the input model share these."""

    kind: FindingKind = Field(sa_type=text_enum(FindingKind))
    severity: Severity = Field(default=Severity.MEDIUM, sa_type=text_enum(Severity))
    title: Text = Field(min_length=1, max_length=300)
    #: what was observed, in Markdown
    description: Text = prose()
    detected_at: Optional[Moment] = Field(default=None, sa_type=UTCDateTime)
    resolved_at: Optional[Moment] = Field(default=None, sa_type=UTCDateTime)
    #: in Markdown
    contributing_factors: Text = prose()
    #: in Markdown
    root_cause: Text = prose()
    related_to_drill: DrillRelation = Field(default=DrillRelation.UNDETERMINED, sa_type=text_enum(DrillRelation))
    #: why the relation was decided as it was, in Markdown
    relation_rationale: Text = prose()


class Finding(FindingBase, table=True):
    """Something a drill or an incident showed: a strength, a gap, an incident or a nonconformity."""

    __mapper_args__ = {"version_id_col": _finding_version}
    #: the findings list shows the newest detections first, a page at a time
    __table_args__ = (Index("ix_finding_newest", text("coalesce(detected_at, created_at)"), "id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    #: row version; a save based on an older version is refused
    version: int = Field(default=1, sa_column=_finding_version)
    #: None for an incident outside any drill
    drill_id: Optional[int] = Field(default=None, foreign_key="drill.id", index=True, ondelete="RESTRICT")
    relation_decided_by_id: Optional[int] = Field(default=None, foreign_key="user.id", ondelete="RESTRICT")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    drill: Optional["Drill"] = Relationship(back_populates="findings")
    relation_decided_by: Optional["User"] = Relationship()
    actions: list["Action"] = Relationship(back_populates="finding")
    systems: list["System"] = Relationship(link_model=FindingSystem)
    controls: list["Control"] = Relationship(back_populates="findings", link_model=FindingControl)
    evidence: list["Evidence"] = Relationship(back_populates="finding")

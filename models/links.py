"""Many-to-many link tables: which systems and controls a drill, finding, action or evidence concerns.

The control links are also indexed by control, because control pages, the dashboard and the
coverage report read them that way round.
"""

from datetime import datetime
from typing import Optional

from sqlmodel import Field, SQLModel

from models.types import UTCDateTime


class DrillSystem(SQLModel, table=True):
    """A system in a drill's scope, with what the drill learnt about its data."""

    __tablename__ = "drill_system"
    drill_id: int = Field(foreign_key="drill.id", primary_key=True, ondelete="CASCADE")
    system_id: int = Field(foreign_key="system.id", primary_key=True, ondelete="RESTRICT")
    #: time of the newest data found in the recovered system; achieved RPO counts back from the disaster to here
    last_data_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)


class FindingSystem(SQLModel, table=True):
    """A system a finding concerns."""

    __tablename__ = "finding_system"
    finding_id: int = Field(foreign_key="finding.id", primary_key=True, ondelete="CASCADE")
    system_id: int = Field(foreign_key="system.id", primary_key=True, ondelete="RESTRICT")


class DrillControl(SQLModel, table=True):
    """A control a drill gives evidence for."""

    __tablename__ = "drill_control"
    drill_id: int = Field(foreign_key="drill.id", primary_key=True, ondelete="CASCADE")
    control_id: int = Field(foreign_key="control.id", primary_key=True, ondelete="RESTRICT", index=True)


class FindingControl(SQLModel, table=True):
    """A control a finding bears on."""

    __tablename__ = "finding_control"
    finding_id: int = Field(foreign_key="finding.id", primary_key=True, ondelete="CASCADE")
    control_id: int = Field(foreign_key="control.id", primary_key=True, ondelete="RESTRICT", index=True)


class ActionControl(SQLModel, table=True):
    """A control an action strengthens or corrects."""

    __tablename__ = "action_control"
    action_id: int = Field(foreign_key="action.id", primary_key=True, ondelete="CASCADE")
    control_id: int = Field(foreign_key="control.id", primary_key=True, ondelete="RESTRICT", index=True)


class EvidenceControl(SQLModel, table=True):
    """A control an evidence file supports."""

    __tablename__ = "evidence_control"
    evidence_id: int = Field(foreign_key="evidence.id", primary_key=True, ondelete="CASCADE")
    control_id: int = Field(foreign_key="control.id", primary_key=True, ondelete="RESTRICT", index=True)

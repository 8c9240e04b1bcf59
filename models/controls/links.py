"""Control links: which ISO/IEC 27001:2022 controls a drill, finding, action or evidence file bears on.

The control links are also indexed by control, because control pages, the dashboard and the
coverage report read them that way round.
"""

from sqlmodel import Field, SQLModel


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

"""The ISO/IEC 27001:2022 control catalogue: Annex A controls and the management-system clauses."""

from typing import TYPE_CHECKING, Optional

from sqlmodel import Field, Relationship, SQLModel

from models.controls.links import ActionControl, DrillControl, EvidenceControl, FindingControl
from models.core.types import Choice, text_enum, version_column

if TYPE_CHECKING:
    from models.actions.tables import Action
    from models.drills.tables import Drill
    from models.evidence import Evidence
    from models.findings.tables import Finding


class ControlKind(Choice):
    ANNEX_A = "annex_a", "Annex A control"
    CLAUSE = "clause", "Management-system clause"


class Theme(Choice):
    ORGANIZATIONAL = "organizational", "Organizational"
    PEOPLE = "people", "People"
    PHYSICAL = "physical", "Physical"
    TECHNOLOGICAL = "technological", "Technological"


class Implementation(Choice):
    NOT_STARTED = "not_started", "Not implemented"
    PARTIAL = "partial", "Partially implemented"
    IMPLEMENTED = "implemented", "Implemented"


_control_version = version_column()


class Control(SQLModel, table=True):
    """An Annex A control ("A.5.30") or a clause ("10.2") that records give evidence for."""

    id: Optional[int] = Field(default=None, primary_key=True)
    #: unique code as auditors write it: "A.5.30" for Annex A, "10.2" for a clause
    code: str = Field(max_length=16, unique=True, index=True)
    kind: ControlKind = Field(sa_type=text_enum(ControlKind))
    #: the number within its kind, e.g. "5.30"
    ref: str = Field(max_length=16)
    title: str = Field(max_length=200)
    #: Annex A theme; None for clauses
    theme: Optional[Theme] = Field(default=None, sa_type=text_enum(Theme))
    #: orders "5.9" before "5.10"
    sort_key: str = Field(max_length=32, index=True)
    #: Statement of Applicability: whether the control applies to this organisation
    applicable: bool = Field(default=True)
    #: why it applies or is excluded, as the Statement of Applicability states it
    justification: str = Field(default="")
    implementation: Implementation = Field(default=Implementation.NOT_STARTED, sa_type=text_enum(Implementation))
    version: int = Field(default=1, sa_column=_control_version)

    __mapper_args__ = {"version_id_col": _control_version}

    drills: list["Drill"] = Relationship(back_populates="controls", link_model=DrillControl)
    findings: list["Finding"] = Relationship(back_populates="controls", link_model=FindingControl)
    actions: list["Action"] = Relationship(back_populates="controls", link_model=ActionControl)
    evidence: list["Evidence"] = Relationship(back_populates="controls", link_model=EvidenceControl)

    @property
    def label(self) -> str:
        """Code and title, as an auditor would cite it."""
        return f"{self.code} {self.title}"

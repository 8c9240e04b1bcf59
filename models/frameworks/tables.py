"""Framework requirements and their mapping to ISO/IEC 27001:2022 controls.

The requirements and the mapping are loaded by a migration, so a revision of the database means one
catalogue for ever; a new edition of a framework arrives as a new migration.
"""

from typing import TYPE_CHECKING, Optional

from sqlmodel import Field, Relationship, SQLModel

from models.core.types import Choice, text_enum
from models.drills.tables import Scenario

if TYPE_CHECKING:
    from models.controls.tables import Control


class Framework(Choice):
    ISO_22301 = "iso22301", "ISO 22301:2019"
    NIS2 = "nis2", "NIS2, Implementing Regulation (EU) 2024/2690"
    DORA = "dora", "DORA, Regulation (EU) 2022/2554"


class RequirementControl(SQLModel, table=True):
    """An ISO 27001 control whose evidence also answers a framework requirement."""

    __tablename__ = "requirement_control"
    requirement_id: int = Field(foreign_key="requirement.id", primary_key=True, ondelete="CASCADE")
    control_id: int = Field(foreign_key="control.id", primary_key=True, ondelete="RESTRICT", index=True)


class Requirement(SQLModel, table=True):
    """A clause, section or article of a framework ("ISO 22301 8.5", "DORA Art. 11(6)")."""

    id: Optional[int] = Field(default=None, primary_key=True)
    framework: Framework = Field(sa_type=text_enum(Framework), index=True)
    #: as an auditor or a supervisor cites it, unique across frameworks
    code: str = Field(max_length=40, unique=True)
    #: the number within its framework: "8.5", "4.1.4", "Art. 11(6)"
    ref: str = Field(max_length=20)
    title: str = Field(max_length=300)
    sort_key: str = Field(max_length=40)
    #: scenarios a drill programme must exercise to answer it (codes of Scenario, comma-separated)
    scenarios: str = Field(default="", max_length=200)

    controls: list["Control"] = Relationship(link_model=RequirementControl)

    @property
    def scenario_kinds(self) -> list[Scenario]:
        return [Scenario(code) for code in self.scenarios.split(",") if code]

    @property
    def label(self) -> str:
        return f"{self.code} {self.title}"

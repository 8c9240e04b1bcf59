"""Evidence records: metadata about a stored file, which the vault keeps by its SHA-256."""

from datetime import date, datetime
from typing import TYPE_CHECKING, Optional

from sqlmodel import Field, Relationship, SQLModel

from models.links import EvidenceControl
from models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from models.controls import Control
    from models.drills import Drill
    from models.findings import Action, Finding
    from models.users import User


class Evidence(SQLModel, table=True):
    """One piece of evidence; the file's bytes live in the vault under `sha256`, shared by equal files."""

    id: Optional[int] = Field(default=None, primary_key=True)
    #: hex SHA-256 of the content, also its address in the vault
    sha256: str = Field(max_length=64, index=True)
    #: name the file had when uploaded; display metadata only, never a path
    original_name: str = Field(max_length=255)
    size: int = Field(ge=0)
    media_type: str = Field(max_length=127)
    description: str = Field(default="")
    collected_on: Optional[date] = Field(default=None)
    #: after this date the evidence is stale for audit purposes
    valid_until: Optional[date] = Field(default=None)
    drill_id: Optional[int] = Field(default=None, foreign_key="drill.id", index=True, ondelete="RESTRICT")
    finding_id: Optional[int] = Field(default=None, foreign_key="finding.id", index=True, ondelete="RESTRICT")
    action_id: Optional[int] = Field(default=None, foreign_key="action.id", index=True, ondelete="RESTRICT")
    #: the earlier version this one corrects; both are kept
    supersedes_id: Optional[int] = Field(default=None, foreign_key="evidence.id", ondelete="RESTRICT")
    uploaded_by_id: Optional[int] = Field(default=None, foreign_key="user.id", ondelete="RESTRICT")
    uploaded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_verified_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)

    drill: Optional["Drill"] = Relationship(back_populates="evidence")
    finding: Optional["Finding"] = Relationship(back_populates="evidence")
    action: Optional["Action"] = Relationship(back_populates="evidence")
    uploaded_by: Optional["User"] = Relationship()
    controls: list["Control"] = Relationship(back_populates="evidence", link_model=EvidenceControl)

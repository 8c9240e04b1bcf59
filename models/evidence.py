"""Evidence records: metadata about a stored file, which the vault keeps by its SHA-256."""

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, Optional

from sqlalchemy import Index
from sqlalchemy.orm import selectinload
from sqlmodel import Field, Relationship, Session, SQLModel, col, select

from models.actions.tables import (
    Action,
)
from models.controls.links import EvidenceControl
from models.controls.tables import Control
from models.core.inputs import Day, Order, RecordId, Text, prose
from models.core.paging import text_contains
from models.core.revisions import in_current_revision, outside
from models.core.types import UTCDateTime, utcnow
from models.drills.tables import (
    Drill,
)
from models.findings.tables import Finding
from models.people.users import User

if TYPE_CHECKING:
    from models.actions.tables import Action
    from models.controls.tables import Control
    from models.drills.tables import Drill
    from models.findings.tables import Finding
    from models.people.users import User


class EvidenceBase(SQLModel):
    """What a person says about an evidence file, with its limits: the table and the input model share these."""

    description: Text = prose(2000)
    collected_on: Optional[Day] = Field(default=None)
    #: after this date the evidence is stale for audit purposes
    valid_until: Optional[Day] = Field(default=None)
    drill_id: Optional[RecordId] = Field(default=None, foreign_key="drill.id", index=True, ondelete="RESTRICT")
    finding_id: Optional[RecordId] = Field(default=None, foreign_key="finding.id", index=True, ondelete="RESTRICT")
    action_id: Optional[RecordId] = Field(default=None, foreign_key="action.id", index=True, ondelete="RESTRICT")


class Evidence(EvidenceBase, table=True):
    """One piece of evidence; the file's bytes live in the vault under `sha256`, shared by equal files."""

    #: the register lists the newest uploads first, a page at a time
    __table_args__ = (Index("ix_evidence_uploaded_at_id", "uploaded_at", "id"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    #: hex SHA-256 of the content, also its address in the vault
    sha256: str = Field(max_length=64, index=True)
    #: name the file had when uploaded; display metadata only, never a path
    original_name: str = Field(max_length=255)
    size: int = Field(ge=0)
    media_type: str = Field(max_length=127)
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


class EvidenceIn(EvidenceBase):
    ORDERS: ClassVar = (Order("collected_on", "valid_until", "Valid until a date before it was collected."),)


def evidence_query(drill_id: Optional[int] = None, search: str = "", superseded: Optional[list[int]] = None):
    """Evidence records (of one drill, if given), newest first, with what they are attached to.

    `search` looks in the file name, the description and the SHA-256, so an auditor can look a file up by its hash.
    """
    query = (
        select(Evidence)
        .options(selectinload(Evidence.drill), selectinload(Evidence.controls), selectinload(Evidence.uploaded_by))
        .order_by(col(Evidence.uploaded_at).desc(), col(Evidence.id).desc())
    )
    if drill_id is not None:
        query = query.where(Evidence.drill_id == drill_id)
    else:  # an amended drill's evidence once, in its newest revision (`superseded`: read beforehand, cheaper)
        query = query.where(
            in_current_revision(Evidence.drill_id) if superseded is None else outside(superseded, Evidence.drill_id)
        )
    if search.strip():
        query = query.where(text_contains(search, Evidence.original_name, Evidence.description, Evidence.sha256))
    return query


def evidence_by_ids(session: Session, ids: list[int]) -> list[Evidence]:
    """The evidence records with these ids, in the order given."""
    found = {e.id: e for e in session.exec(select(Evidence).where(col(Evidence.id).in_(ids))).all()} if ids else {}
    return [found[i] for i in ids if i in found]

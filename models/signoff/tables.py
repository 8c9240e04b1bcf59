"""Sign-offs: an approver's statement that a drill record, as it stood, is what happened."""

from datetime import datetime
from typing import TYPE_CHECKING, Optional

from sqlmodel import Field, Relationship, SQLModel

from models.core.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from models.drills.tables import Drill
    from models.people.users import User


class SignOff(SQLModel, table=True):
    """Who signed which revision of a drill, when, and the hash of exactly what they signed."""

    __tablename__ = "sign_off"
    id: Optional[int] = Field(default=None, primary_key=True)
    drill_id: int = Field(foreign_key="drill.id", index=True, ondelete="RESTRICT")
    revision: int = Field(default=1, ge=1)
    signer_id: int = Field(foreign_key="user.id", ondelete="RESTRICT")
    #: the signer's name and title at the time, e.g. "CTO"; kept because names and titles change
    signer_name: str = Field(default="", max_length=200)
    signer_title: str = Field(default="", max_length=200)
    signed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    statement: str
    #: SHA-256 of the canonical serialisation of the drill as signed
    content_sha256: str = Field(max_length=64)
    #: the canonical serialisation itself, so what was signed stays readable as actions move on
    snapshot: str = Field(default="")
    #: the signer's role at the time
    signer_role: str = Field(default="", max_length=40)
    #: hash of the newest audit-trail entry when signing, printed in signed reports
    audit_head: str = Field(default="", max_length=64)
    #: why the approver signed with items of the readiness checklist open; empty when none was
    override_reason: str = Field(default="")
    #: how the signer proved who they were just before signing: "password" re-entered, or "provider" (a
    #: fresh sign-in at the identity provider, with its issuer, the signer's subject there and its time)
    identity_check: str = Field(default="password", max_length=20)
    identity_issuer: str = Field(default="", max_length=500)
    identity_subject: str = Field(default="", max_length=255)
    identity_auth_time: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)

    drill: "Drill" = Relationship(back_populates="signoffs")
    signer: "User" = Relationship()


class DrillReview(SQLModel, table=True):
    """A submission of a drill for review: what the approver is asked to sign, frozen as it was submitted."""

    __tablename__ = "drill_review"
    id: Optional[int] = Field(default=None, primary_key=True)
    drill_id: int = Field(foreign_key="drill.id", index=True, ondelete="RESTRICT")
    submitted_by_id: int = Field(foreign_key="user.id", ondelete="RESTRICT")
    submitted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    snapshot: str
    content_sha256: str = Field(max_length=64)
    #: when an approver sent this submission back, who (their name then), and why: what the editors read
    returned_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    returned_by: str = Field(default="", max_length=200)
    return_reason: str = Field(default="")

    drill: "Drill" = Relationship(back_populates="reviews")
    submitted_by: "User" = Relationship()


class SignRequest(SQLModel, table=True):
    """A signature waiting for the approver's fresh sign-in at the identity provider.

    Kept here rather than in the session cookie: a statement may be long, and the request must be
    usable once, by the person who made it, for the content it was made for.
    """

    __tablename__ = "sign_request"
    id: Optional[int] = Field(default=None, primary_key=True)
    drill_id: int = Field(foreign_key="drill.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    #: the submitted content the approver asked to sign
    content_sha256: str = Field(max_length=64)
    statement: str
    override: str = Field(default="")
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    used_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)

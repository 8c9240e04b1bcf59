"""What Drillbook tells people and other tools: an outbox of notifications, per-person opt-outs, webhooks."""

from datetime import datetime
from typing import Optional

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.core.types import Choice, UTCDateTime, text_enum, utcnow


class NotificationKind(Choice):
    """What happened, named from the side of whoever is told."""

    SUBMITTED = "submitted", "A drill is submitted for my signature"
    SENT_BACK = "sent_back", "A drill I submitted is sent back"
    SIGNED = "signed", "A drill I submitted is signed"
    ASSIGNED = "assigned", "An action is assigned to me"
    NOT_EFFECTIVE = "not_effective", "An action of mine is found not effective"
    DONE = "done", "An action is done and awaits verification"
    MENTIONED = "mentioned", "Someone mentions me in a comment"


class DeliveryStatus(Choice):
    QUEUED = "queued", "Waiting"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Notification(SQLModel, table=True):
    """One message to one person (by e-mail) or one webhook, written in the same transaction as its event.

    Delivery happens after the commit, by whichever process is free, and is retried with back-off:
    a mail server or receiver that is down never fails or slows the request that caused the event.
    """

    __table_args__ = (Index("ix_notification_due", "status", "next_attempt_at"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    kind: NotificationKind = Field(sa_type=text_enum(NotificationKind))
    #: exactly one of the two: the person e-mailed, or the webhook called
    user_id: Optional[int] = Field(default=None, foreign_key="user.id", ondelete="CASCADE")
    webhook_id: Optional[int] = Field(default=None, foreign_key="webhook.id", ondelete="CASCADE")
    subject: str = Field(max_length=300)
    #: the message in one or two plain sentences; also the Slack- and Teams-compatible `text` of a webhook
    text: str
    #: the page it is about, from the site root ("/drills/3/review")
    path: str = Field(max_length=300)
    #: the event's facts as JSON, for webhooks
    payload: str = Field(default="{}")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    status: DeliveryStatus = Field(default=DeliveryStatus.QUEUED, sa_type=text_enum(DeliveryStatus))
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    last_error: str = Field(default="", max_length=500)


class NotificationOptOut(SQLModel, table=True):
    """A kind of notification a person has turned off; everything is on until they do."""

    __tablename__ = "notification_opt_out"
    user_id: int = Field(foreign_key="user.id", primary_key=True, ondelete="CASCADE")
    kind: NotificationKind = Field(sa_type=text_enum(NotificationKind), primary_key=True)


class Webhook(SQLModel, table=True):
    """A receiver an administrator registered: it gets a signed JSON POST for each kind it follows."""

    id: Optional[int] = Field(default=None, primary_key=True)
    url: str = Field(max_length=2000)
    description: str = Field(default="", max_length=200)
    #: the HMAC-SHA256 key the receiver checks signatures with; shown once, when the webhook is made
    secret: str = Field(max_length=128)
    #: the kinds it follows, comma-separated; empty for every kind
    kinds: str = Field(default="", max_length=400)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    def follows(self, kind: NotificationKind) -> bool:
        return self.active and (not self.kinds or kind.value in self.kinds.split(","))

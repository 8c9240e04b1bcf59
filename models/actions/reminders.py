"""Reminders of actions that are overdue or due soon: one e-mail per owner per day, never twice."""

from datetime import date, datetime, timedelta
from email.message import EmailMessage
from typing import Optional

from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import selectinload
from sqlmodel import Field, Session, SQLModel, col, select

from models.actions.tables import OUTSTANDING, Action
from models.core.types import UTCDateTime, utcnow
from models.people.users import User


def reminders_due(session: Session, today: date, within_days: int) -> list[tuple[User, list[Action]]]:
    """Each active owner not yet reminded today, with their outstanding actions due by today + `within_days`."""
    horizon = today + timedelta(days=within_days)
    actions = session.exec(
        select(Action)
        .where(
            col(Action.status).in_(OUTSTANDING),
            col(Action.due_date).is_not(None),
            col(Action.due_date) <= horizon,
            col(Action.owner_id).is_not(None),
        )
        .options(selectinload(Action.owner), selectinload(Action.drill))
        .order_by(Action.due_date, Action.id)
    ).all()
    reminded = set(session.exec(select(ReminderLog.user_id).where(ReminderLog.sent_on == today)).all())
    by_owner: dict[int, tuple[User, list[Action]]] = {}
    for action in actions:
        owner = action.owner
        if owner.active and owner.id not in reminded:
            by_owner.setdefault(owner.id, (owner, []))[1].append(action)
    return list(by_owner.values())


def reminder_message(
    user: User, actions: list[Action], today: date, sender: str, base_url: str, checkpoint: str = ""
) -> EmailMessage:
    """The plain-text e-mail listing `actions`, overdue first, with the audit trail's signed checkpoint.

    Every e-mail carries the trail's head as it stood, signed: a copy in someone's mailbox later
    proves what the trail held (`drillbook verify --expect-head`).
    """
    overdue = [a for a in actions if a.due_date < today]
    message = EmailMessage()
    message["From"] = sender
    message["To"] = user.email
    count = f"{len(overdue)} overdue" if overdue else f"{len(actions)} due soon"
    message["Subject"] = f"Drillbook: {count} follow-up action{'s' if len(actions) != 1 else ''}"
    lines = [f"Hello {user.name},", "", "These follow-up actions you own need attention:", ""]
    for action in actions:
        state = (
            f"OVERDUE since {action.due_date.isoformat()}"
            if action.due_date < today
            else f"due {action.due_date.isoformat()}"
        )
        lines.append(f"- {action.title} ({state})")
        if action.drill:
            lines.append(f"  from: {action.drill.title}")
        lines.append(f"  {base_url.rstrip('/')}/actions/{action.id}")
    lines += ["", "Mark each one done with a note of what was done; an approver then checks it is effective.", ""]
    if checkpoint:
        lines += ["--", f"Audit trail checkpoint: {checkpoint}", ""]
    message.set_content("\n".join(lines))
    return message


def log_reminder(session: Session, user: User, today: date, count: int, now: datetime) -> None:
    """Remember that `user` was reminded today."""
    session.add(ReminderLog(user_id=user.id, sent_on=today, sent_at=now, action_count=count))
    session.flush()


class ReminderLog(SQLModel, table=True):
    """That a user was sent their reminder on a day, so a second run that day sends nothing."""

    __tablename__ = "reminder_log"
    __table_args__ = (UniqueConstraint("user_id", "sent_on"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    sent_on: date
    sent_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    #: how many actions the message listed
    action_count: int = Field(default=0)

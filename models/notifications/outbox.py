"""Putting notifications in the outbox with their event, and handing them out for delivery.

`notify` is called by the workflows (submit, send back, sign, assign, done, not effective) inside
their own transaction: the notification exists exactly when the event does. Delivery claims due
rows (SKIP LOCKED on PostgreSQL, so several nodes never send one twice), and records each outcome;
a failed attempt is retried later, each wait longer than the one before, up to MAX_ATTEMPTS.
"""

import json
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from models.core.types import utcnow
from models.notifications.tables import DeliveryStatus, Notification, NotificationKind, NotificationOptOut, Webhook
from models.people.users import Role, User

#: waits before each retry: a minute, five, half an hour, two hours, then half a day
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=12))
MAX_ATTEMPTS = len(BACKOFF) + 1
#: how long a claimed row is held by the process sending it: longer than a batch can take (timeouts included)
LEASE = timedelta(minutes=10)
#: rows claimed at once
BATCH = 10
#: the subject column's length
SUBJECT_LENGTH = 300


def notify(
    session: Session,
    kind: NotificationKind,
    people: Iterable[User | None],
    actor: User,
    subject: str,
    text: str,
    path: str,
    facts: dict,
) -> list[Notification]:
    """Queue the message for each active person who has not turned `kind` off (never the actor, who
    knows), and for each webhook following `kind`."""
    subject = " ".join(subject.split())[:SUBJECT_LENGTH]  # one header line, whatever a title holds
    chosen = {p.id: p for p in people if p is not None and p.active and p.id != actor.id}
    if chosen:
        off = set(
            session.exec(
                select(NotificationOptOut.user_id).where(
                    NotificationOptOut.kind == kind, col(NotificationOptOut.user_id).in_(list(chosen))
                )
            ).all()
        )
        chosen = {i: p for i, p in chosen.items() if i not in off}
    payload = json.dumps({"event": kind.value, "text": text, "path": path, **facts}, sort_keys=True, default=str)
    queued = [
        Notification(kind=kind, user_id=i, subject=subject, text=text, path=path, payload=payload) for i in chosen
    ]
    queued += [
        Notification(kind=kind, webhook_id=hook.id, subject=subject, text=text, path=path, payload=payload)
        for hook in session.exec(select(Webhook).where(Webhook.active)).all()
        if hook.follows(kind)
    ]
    session.add_all(queued)
    if queued:
        session.info["notified"] = True  # the web layer delivers after the request, once committed
    return queued


def people_with_roles(session: Session, *roles: Role) -> list[User]:
    """The active people with any of these roles, e.g. every approver for a drill awaiting signature."""
    return list(session.exec(select(User).where(col(User.role).in_(roles), User.active)).all())


def claim_due(session: Session, now: datetime, limit: int = BATCH) -> list[Notification]:
    """Due notifications for this process to deliver; on PostgreSQL rows claimed elsewhere are skipped.

    A claimed row is leased: pushed past the time a whole batch can take before the transaction commits,
    so no other process sends it meanwhile, and a process that dies while sending leaves it to be retried.
    """
    query = (
        select(Notification)
        .where(Notification.status == DeliveryStatus.QUEUED, Notification.next_attempt_at <= now)
        .order_by(col(Notification.next_attempt_at), col(Notification.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    due = list(session.exec(query).all())
    for row in due:
        row.next_attempt_at = now + LEASE
    session.commit()
    return due


def record_outcome(session: Session, notification: Notification, error: str, now: datetime | None = None) -> None:
    """Sent when `error` is empty; otherwise retried later, or failed for good after MAX_ATTEMPTS."""
    now = now or utcnow()
    notification.attempts += 1
    if not error:
        notification.status, notification.sent_at, notification.last_error = DeliveryStatus.SENT, now, ""
    elif notification.attempts >= MAX_ATTEMPTS:
        notification.status, notification.last_error = DeliveryStatus.FAILED, error[:500]
    else:
        notification.next_attempt_at = now + BACKOFF[notification.attempts - 1]
        notification.last_error = error[:500]
    session.commit()


def opted_out(session: Session, user: User) -> set[NotificationKind]:
    return set(session.exec(select(NotificationOptOut.kind).where(NotificationOptOut.user_id == user.id)).all())


def set_opt_outs(session: Session, user: User, off: set[NotificationKind]) -> None:
    """Turn off exactly the kinds in `off` for `user`; the caller commits."""
    for row in session.exec(select(NotificationOptOut).where(NotificationOptOut.user_id == user.id)).all():
        session.delete(row)
    session.flush()
    session.add_all(NotificationOptOut(user_id=user.id, kind=kind) for kind in off)
    session.flush()

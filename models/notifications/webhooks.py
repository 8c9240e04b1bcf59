"""Registering and removing webhooks, each change in the audit trail; the secret is made here and shown once."""

import secrets

from sqlmodel import Session, col, select

from models import audit
from models.core.errors import RecordError
from models.notifications.tables import DeliveryStatus, Notification, NotificationKind, Webhook
from models.people.users import User


def add_webhook(session: Session, url: str, kinds: list[str], description: str, actor: User) -> Webhook:
    """A new webhook following `kinds` (none ticked: every kind); its secret is on the returned record."""
    url, description = url.strip(), description.strip()[:200]
    errors = {}
    if not url or len(url) > 2000:
        errors["url"] = "Give the receiver's address, at most 2000 characters."
    unknown = [k for k in kinds if k not in {kind.value for kind in NotificationKind}]
    if unknown:
        errors["kinds"] = "Choose among the kinds listed."
    if errors:
        raise RecordError(errors)
    hook = Webhook(url=url, description=description, kinds=",".join(sorted(set(kinds))), secret=secrets.token_hex(32))
    session.add(hook)
    session.flush()
    # the facts only: the secret stays out of the trail
    audit.record_change(
        session, actor, "create", hook, after={"url": hook.url, "kinds": hook.kinds, "description": hook.description}
    )
    return hook


def remove_webhook(session: Session, hook: Webhook, actor: User) -> None:
    """Stop calling it; what it was sent stays on record."""
    hook.active = False
    for waiting in session.exec(
        select(Notification).where(Notification.webhook_id == hook.id, Notification.status == DeliveryStatus.QUEUED)
    ).all():
        waiting.status, waiting.last_error = DeliveryStatus.FAILED, "The webhook was removed."
    session.flush()
    audit.record_change(session, actor, "delete", hook, after={"url": hook.url})


def recent_deliveries(session: Session, limit: int = 30) -> list[Notification]:
    """The newest webhook calls, with their outcome, for the administrator's page."""
    query = select(Notification).where(col(Notification.webhook_id).is_not(None)).order_by(col(Notification.id).desc())
    return list(session.exec(query.limit(limit)).all())

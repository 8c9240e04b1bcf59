"""The events people are told about, each with who is told and what they read.

Called by the drill and action workflows inside their transaction. The words are the product's, in
plain sentences that also stand alone in a chat channel (webhooks carry them as `text`).
"""

from sqlmodel import Session

from models.notifications.outbox import notify, people_with_roles
from models.notifications.tables import NotificationKind
from models.people.users import Role, User


def drill_submitted(session: Session, drill, actor: User) -> None:
    """Every approver hears that a drill awaits a signature."""
    notify(
        session,
        NotificationKind.SUBMITTED,
        people_with_roles(session, Role.APPROVER),
        actor,
        f"Awaiting your signature: {drill.title}",
        f"{actor.name} submitted revision {drill.revision} of “{drill.title}” for review and sign-off.",
        f"/drills/{drill.id}/review",
        {"drill_id": drill.id, "revision": drill.revision, "by": actor.name},
    )


def drill_sent_back(session: Session, drill, submitter: User | None, actor: User, reason: str) -> None:
    """Whoever submitted hears why the drill came back."""
    notify(
        session,
        NotificationKind.SENT_BACK,
        [submitter],
        actor,
        f"Sent back for changes: {drill.title}",
        f"{actor.name} sent “{drill.title}” back for changes: {reason}",
        f"/drills/{drill.id}",
        {"drill_id": drill.id, "revision": drill.revision, "by": actor.name, "reason": reason},
    )


def drill_signed(session: Session, drill, submitter: User | None, actor: User) -> None:
    """Whoever submitted hears that the record is signed and frozen."""
    notify(
        session,
        NotificationKind.SIGNED,
        [submitter],
        actor,
        f"Signed: {drill.title}",
        f"{actor.name} signed revision {drill.revision} of “{drill.title}”; the record is now frozen.",
        f"/drills/{drill.id}",
        {"drill_id": drill.id, "revision": drill.revision, "by": actor.name},
    )


def action_assigned(session: Session, action, owner: User | None, actor: User) -> None:
    """A new owner hears of the action and its due date."""
    due = f", due {action.due_date:%Y-%m-%d}" if action.due_date else ""
    notify(
        session,
        NotificationKind.ASSIGNED,
        [owner],
        actor,
        f"Assigned to you: {action.title}",
        f"{actor.name} made you the owner of the action “{action.title}”{due}.",
        f"/actions/{action.id}",
        {"action_id": action.id, "by": actor.name, "due_date": action.due_date},
    )


def action_done(session: Session, action, owner: User | None, actor: User) -> None:
    """The verifiers hear that an action awaits their effectiveness check; never its owner or completer."""
    verifiers = [p for p in people_with_roles(session, Role.APPROVER, Role.ADMIN) if p.id != action.owner_id]
    notify(
        session,
        NotificationKind.DONE,
        verifiers,
        actor,
        f"Awaiting verification: {action.title}",
        f"{actor.name} marked the action “{action.title}” done; it needs an effectiveness check by someone else.",
        f"/actions/{action.id}",
        {"action_id": action.id, "by": actor.name},
    )


def action_not_effective(session: Session, action, owner: User | None, actor: User, notes: str) -> None:
    """The owner hears that the work did not hold and the action is open again."""
    notify(
        session,
        NotificationKind.NOT_EFFECTIVE,
        [owner],
        actor,
        f"Not effective: {action.title}",
        f"{actor.name} found the action “{action.title}” not effective, and it is open again: {notes}",
        f"/actions/{action.id}",
        {"action_id": action.id, "by": actor.name, "notes": notes},
    )

"""What one person must do next: the queues the dashboard opens on, and the count the navigation shows.

Each queue is read by the database, a page's worth at most, whatever the data size: drills awaiting
this approver's signature, actions awaiting this verifier's check (never their own, nor ones they
completed), this owner's actions overdue and due soon, drills being recorded, and drills sent back
to whoever submitted them.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func
from sqlalchemy.orm import aliased, selectinload
from sqlmodel import Session, col, select

from models.actions.tables import OUTSTANDING, Action, ActionStatus, ActionTransition
from models.drills.queries import drills_query
from models.drills.tables import Drill, DrillState, DrillStatus
from models.people.users import User
from models.permissions import SIGNERS, VERIFIERS, may_record
from models.signoff.tables import DrillReview

#: how far ahead "due soon" looks
SOON = timedelta(days=14)
#: items shown per queue; the lists behind the links show them all
SHOWN = 10


@dataclass
class Worklist:
    to_sign: list[Drill] = field(default_factory=list)
    to_verify: list[Action] = field(default_factory=list)
    overdue: list[Action] = field(default_factory=list)
    due_soon: list[Action] = field(default_factory=list)
    recording: list[Drill] = field(default_factory=list)
    sent_back: list[tuple[Drill, DrillReview]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any((self.to_sign, self.to_verify, self.overdue, self.due_soon, self.recording, self.sent_back))


def _verifiable(user: User):
    """Done actions this person may check: not their own, not ones they marked done."""
    completed_by_them = select(ActionTransition.action_id).where(
        ActionTransition.to_status == ActionStatus.DONE, ActionTransition.actor_id == user.id
    )
    return select(Action).where(
        Action.status == ActionStatus.DONE,
        col(Action.owner_id).is_distinct_from(user.id),
        col(Action.id).not_in(completed_by_them),
    )


def _sent_back_to(user: User):
    """Drills this person submitted whose latest submission came back, and are not resubmitted."""
    newer = aliased(DrillReview)
    latest = select(func.max(newer.id)).where(newer.drill_id == Drill.id).correlate(Drill).scalar_subquery()
    return (
        select(Drill, DrillReview)
        .join(DrillReview, DrillReview.id == latest)
        .where(
            col(Drill.status).in_((DrillStatus.PLANNED, DrillStatus.RUNNING)),
            DrillReview.submitted_by_id == user.id,
            col(DrillReview.returned_at).is_not(None),
        )
    )


def worklist(session: Session, user: User, today: date) -> Worklist:
    """This person's queues, each its most urgent SHOWN items."""
    work = Worklist()
    if user.role in SIGNERS:
        query = drills_query(status=DrillStatus.REVIEW).limit(SHOWN)
        work.to_sign = list(session.exec(query).all())
    if user.role in VERIFIERS:
        query = _verifiable(user).options(selectinload(Action.owner)).order_by(col(Action.completed_at))
        work.to_verify = list(session.exec(query.limit(SHOWN)).all())
    mine = select(Action).where(Action.owner_id == user.id, col(Action.status).in_(OUTSTANDING))
    by_due = (col(Action.due_date), col(Action.id))
    work.overdue = list(session.exec(mine.where(Action.due_date < today).order_by(*by_due).limit(SHOWN)).all())
    soon = mine.where(Action.due_date >= today, Action.due_date <= today + SOON)
    work.due_soon = list(session.exec(soon.order_by(*by_due).limit(SHOWN)).all())
    if may_record(user):
        recording = drills_query(status=DrillStatus.RUNNING).limit(SHOWN)
        work.recording = [d for d in session.exec(recording).all() if d.state != DrillState.SENT_BACK]
    work.sent_back = [(d, r) for d, r in session.exec(_sent_back_to(user).limit(SHOWN)).all()]
    return work


def waiting_count(session: Session, user: User, today: date) -> int:
    """How many things wait for this person: to sign, to verify, overdue, sent back; in one query."""
    counts = []
    if user.role in SIGNERS:
        counts.append(
            select(func.count()).select_from(Drill).where(Drill.status == DrillStatus.REVIEW).scalar_subquery()
        )
    if user.role in VERIFIERS:
        counts.append(select(func.count()).select_from(_verifiable(user).subquery()).scalar_subquery())
    counts.append(
        select(func.count())
        .select_from(Action)
        .where(Action.owner_id == user.id, col(Action.status).in_(OUTSTANDING), Action.due_date < today)
        .scalar_subquery()
    )
    counts.append(select(func.count()).select_from(_sent_back_to(user).subquery()).scalar_subquery())
    total = counts[0]
    for count in counts[1:]:
        total = total + count
    return int(session.exec(select(total)).one())

"""What the pages and the API read about actions: filtered, ordered lists and one action with what its page shows."""

from datetime import date, timedelta
from typing import Optional

from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from models.actions.tables import OUTSTANDING, Action, ActionStatus, ActionTransition
from models.controls.links import ActionControl
from models.controls.queries import linked_to_control
from models.core.paging import _where_equal, count_of, text_contains


def actions_query(
    status: Optional[str] = None,
    owner_id: Optional[int] = None,
    drill_id: Optional[int] = None,
    control_code: Optional[str] = None,
    due_by: Optional[date] = None,
    search: str = "",
    lean: bool = False,
):
    """Actions matching every filter given, by due date (undated last); `status` may also be "outstanding".

    `search` looks in the title and description. Each action comes with its owner, drill, controls,
    finding and verifier, or with its owner alone when `lean` (a short list that shows no more).
    """
    related = (
        (Action.owner,) if lean else (Action.owner, Action.drill, Action.controls, Action.finding, Action.verified_by)
    )
    query = select(Action).options(*(selectinload(r) for r in related))
    if status == "outstanding":
        query = query.where(col(Action.status).in_(OUTSTANDING))
    elif status:
        query = query.where(Action.status == ActionStatus(status))
    query = _where_equal(query, (Action.owner_id, owner_id), (Action.drill_id, drill_id))
    if control_code:
        query = query.where(linked_to_control(Action.id, ActionControl.action_id, control_code))
    if due_by is not None:
        query = query.where(col(Action.due_date) <= due_by)
    if search.strip():
        query = query.where(text_contains(search, Action.title, Action.description))
    return query.order_by(col(Action.due_date).is_(None), col(Action.due_date), col(Action.id))


def list_actions(session: Session, **filters) -> list[Action]:
    """Every action of actions_query(**filters)."""
    return list(session.exec(actions_query(**filters)).all())


def count_overdue_actions(session: Session, today: date) -> int:
    """How many actions are still outstanding after their due date."""
    return count_of(session, actions_query(status="outstanding", due_by=today - timedelta(days=1)))


def load_action(session: Session, action_id: int) -> Optional[Action]:
    """An action with its finding, drill, owner, controls, evidence and history, or None."""
    query = (
        select(Action)
        .where(Action.id == action_id)
        .options(
            selectinload(Action.owner),
            selectinload(Action.drill),
            selectinload(Action.finding),
            selectinload(Action.controls),
            selectinload(Action.evidence),
            selectinload(Action.verified_by),
            selectinload(Action.transitions).selectinload(ActionTransition.actor),
        )
    )
    return session.exec(query).first()

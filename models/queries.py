"""Read-side queries for the pages, each loading what its page shows in a fixed number of queries."""

from datetime import date
from typing import Optional

from sqlalchemy import func, or_
from sqlalchemy.orm import aliased, selectinload
from sqlmodel import Session, col, select

from models.controls import Control
from models.drills import Drill, Outage, Step
from models.evidence import Evidence
from models.findings import OUTSTANDING, Action, ActionStatus, ActionTransition, Finding
from models.links import ActionControl, DrillControl, DrillSystem, EvidenceControl, FindingControl
from models.signoffs import DrillReview, SignOff
from models.systems import System
from models.users import User


def list_drills(session: Session, limit: Optional[int] = None) -> list[Drill]:
    """Drills, newest first by actual or planned start; of an amended record only its latest revision."""
    start = func.coalesce(Drill.actual_start, Drill.planned_start, Drill.created_at)
    newer = aliased(Drill)
    amended = select(newer.id).where(newer.previous_revision_id == Drill.id).exists()
    query = select(Drill).where(~amended).order_by(start.desc(), col(Drill.id).desc())
    if limit:
        query = query.limit(limit)
    return list(session.exec(query).all())


def load_drill(session: Session, drill_id: int) -> Optional[Drill]:
    """A drill with everything its detail page shows, or None."""
    query = (
        select(Drill)
        .where(Drill.id == drill_id)
        .options(
            selectinload(Drill.objectives),
            selectinload(Drill.participants),
            selectinload(Drill.steps).selectinload(Step.system),
            selectinload(Drill.outages).selectinload(Outage.system),
            selectinload(Drill.systems),
            selectinload(Drill.scope),
            selectinload(Drill.findings).selectinload(Finding.controls),
            selectinload(Drill.findings).selectinload(Finding.systems),
            selectinload(Drill.findings).selectinload(Finding.relation_decided_by),
            selectinload(Drill.actions).selectinload(Action.owner),
            selectinload(Drill.actions).selectinload(Action.finding),
            selectinload(Drill.actions).selectinload(Action.verified_by),
            selectinload(Drill.actions).selectinload(Action.controls),
            selectinload(Drill.controls),
            selectinload(Drill.evidence),
            selectinload(Drill.signoffs).selectinload(SignOff.signer),
            selectinload(Drill.reviews).selectinload(DrillReview.submitted_by),
        )
    )
    return session.exec(query).first()


def list_actions(session: Session, status: Optional[str] = None, owner_id: Optional[int] = None, drill_id: Optional[int] = None,
                 control_code: Optional[str] = None, due_by: Optional[date] = None) -> list[Action]:
    """Actions matching every filter given, by due date (undated last); `status` may also be "outstanding"."""
    query = select(Action).options(selectinload(Action.owner), selectinload(Action.drill), selectinload(Action.controls),
                                   selectinload(Action.finding), selectinload(Action.verified_by))
    if status == "outstanding":
        query = query.where(col(Action.status).in_(OUTSTANDING))
    elif status:
        query = query.where(Action.status == ActionStatus(status))
    if owner_id is not None:
        query = query.where(Action.owner_id == owner_id)
    if drill_id is not None:
        query = query.where(Action.drill_id == drill_id)
    if control_code:
        query = query.where(col(Action.id).in_(select(ActionControl.action_id).join(Control).where(Control.code == control_code)))
    if due_by is not None:
        query = query.where(col(Action.due_date) <= due_by)
    query = query.order_by(col(Action.due_date).is_(None), col(Action.due_date), col(Action.id))
    return list(session.exec(query).all())


def load_action(session: Session, action_id: int) -> Optional[Action]:
    """An action with its finding, drill, owner, controls, evidence and history, or None."""
    query = select(Action).where(Action.id == action_id).options(
        selectinload(Action.owner), selectinload(Action.drill), selectinload(Action.finding), selectinload(Action.controls),
        selectinload(Action.evidence), selectinload(Action.verified_by),
        selectinload(Action.transitions).selectinload(ActionTransition.actor),
    )
    return session.exec(query).first()


def list_findings(session: Session) -> list[Finding]:
    """Every finding, newest first, with its drill, actions, systems and controls, each loaded in one query."""
    query = select(Finding).options(selectinload(Finding.drill), selectinload(Finding.actions), selectinload(Finding.systems),
                                    selectinload(Finding.controls)).order_by(
        func.coalesce(Finding.detected_at, Finding.created_at).desc(), col(Finding.id).desc())
    return list(session.exec(query).all())


def load_finding(session: Session, finding_id: int) -> Optional[Finding]:
    """A finding with its drill, systems, controls, actions and decider, or None."""
    query = select(Finding).where(Finding.id == finding_id).options(
        selectinload(Finding.drill), selectinload(Finding.systems), selectinload(Finding.controls),
        selectinload(Finding.relation_decided_by), selectinload(Finding.actions).selectinload(Action.owner),
        selectinload(Finding.evidence),
    )
    return session.exec(query).first()


def active_users(session: Session) -> list[User]:
    """Everyone who may own an action, by name."""
    return list(session.exec(select(User).where(User.active == True).order_by(User.name)).all())  # noqa: E712


def count_overdue(actions: list[Action], today: date) -> int:
    """How many of `actions` are overdue on `today`."""
    return sum(1 for action in actions if action.is_overdue(today))


def control_record_counts(session: Session) -> dict[int, dict[str, int]]:
    """For each control with linked records: how many drills, findings, actions and evidence items."""
    counts: dict[int, dict[str, int]] = {}
    for name, link in (("drills", DrillControl), ("findings", FindingControl), ("actions", ActionControl), ("evidence", EvidenceControl)):
        rows = session.exec(select(link.control_id, func.count()).group_by(link.control_id)).all()
        for control_id, n in rows:
            counts.setdefault(control_id, {"drills": 0, "findings": 0, "actions": 0, "evidence": 0})[name] = n
    return counts


def list_controls(session: Session, search: str = "") -> list[Control]:
    """The catalogue in standard order: clauses 4 to 10, then Annex A; filtered by code or title."""
    query = select(Control).order_by(Control.sort_key)
    if search:
        pattern = f"%{search.strip().lower()}%"
        query = query.where(or_(func.lower(Control.code).like(pattern), func.lower(Control.title).like(pattern)))
    return list(session.exec(query).all())


def load_control(session: Session, code: str) -> Optional[Control]:
    """A control by its code ("A.5.30", "10.2") with its linked records, or None."""
    query = (
        select(Control)
        .where(Control.code == code)
        .options(
            selectinload(Control.drills),
            selectinload(Control.findings).selectinload(Finding.drill),
            selectinload(Control.actions).selectinload(Action.owner),
            selectinload(Control.evidence),
        )
    )
    return session.exec(query).first()


def list_evidence(session: Session) -> list[Evidence]:
    """Evidence records, newest first, with what they are attached to."""
    query = (
        select(Evidence)
        .options(selectinload(Evidence.drill), selectinload(Evidence.controls), selectinload(Evidence.uploaded_by))
        .order_by(col(Evidence.uploaded_at).desc())
    )
    return list(session.exec(query).all())


def list_systems(session: Session) -> list[System]:
    """Systems by name."""
    return list(session.exec(select(System).order_by(System.name)).all())


def drills_for_system(session: Session, system_id: int) -> list[Drill]:
    """Drills with the system in scope, oldest first, loaded for recovery figures."""
    query = (
        select(Drill)
        .join(DrillSystem, DrillSystem.drill_id == Drill.id)
        .where(DrillSystem.system_id == system_id)
        .options(selectinload(Drill.steps), selectinload(Drill.outages), selectinload(Drill.scope), selectinload(Drill.systems))
        .order_by(func.coalesce(Drill.actual_start, Drill.planned_start, Drill.created_at))
    )
    return list(session.exec(query).all())

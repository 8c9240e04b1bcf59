"""How well a framework's requirements are evidenced for an audit period, through the ISO 27001 controls
they are mapped to: evidence linked to A.5.30, directly or through a drill, finding or action, also
counts for every requirement mapped to A.5.30. Freshness is judged as for the controls themselves."""

from dataclasses import dataclass
from datetime import date
from typing import Optional

from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from models.controls.coverage import FRESH, NONE, STALE, Period, evidence_date, evidence_dates_by_control, is_fresh
from models.frameworks.tables import Framework, Requirement, RequirementControl


@dataclass(frozen=True)
class RequirementCoverage:
    requirement: Requirement
    newest: Optional[date]
    evidence_count: int
    state: str


def requirements(session: Session, framework: Optional[Framework] = None) -> list[Requirement]:
    """A framework's requirements (or all of them) in their own order, with their controls."""
    query = select(Requirement).options(selectinload(Requirement.controls)).order_by(Requirement.sort_key)
    if framework is not None:
        query = query.where(Requirement.framework == framework)
    return list(session.exec(query).all())


def requirement_coverage(session: Session, framework: Framework, period: Period) -> list[RequirementCoverage]:
    """Each requirement of `framework` with the evidence of its mapped controls, counted once per item."""
    by_control = evidence_dates_by_control(session)
    rows = []
    for requirement in requirements(session, framework):
        items = {}
        for control in requirement.controls:
            items.update(by_control.get(control.id, {}))
        newest = max((evidence_date(e) for e in items.values()), default=None)
        state = NONE if not items else (FRESH if any(is_fresh(e, period) for e in items.values()) else STALE)
        rows.append(RequirementCoverage(requirement, newest, len(items), state))
    return rows


def requirements_for_control(session: Session, control_id: int) -> list[Requirement]:
    """The framework requirements a control's evidence also answers, for its page."""
    query = (
        select(Requirement)
        .join(RequirementControl, col(RequirementControl.requirement_id) == Requirement.id)
        .where(RequirementControl.control_id == control_id)
        .order_by(Requirement.sort_key)
    )
    return list(session.exec(query).all())

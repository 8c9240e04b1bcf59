"""How well a framework's requirements are evidenced for an audit period, through the ISO 27001 controls
they are mapped to: a drill linked to A.5.30, and evidence linked to it directly or through a drill,
finding or action, also count for every requirement mapped to A.5.30. Freshness is judged from the
evidence, as for the controls themselves; the drills that ran in the period are counted beside it."""

from dataclasses import dataclass
from datetime import date
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from models.controls.coverage import FRESH, NONE, STALE, Period, evidence_date, evidence_dates_by_control, is_fresh
from models.controls.links import DrillControl
from models.core.revisions import outside, superseded_drills
from models.drills.tables import Drill
from models.frameworks.tables import Framework, Requirement, RequirementControl


@dataclass(frozen=True)
class RequirementCoverage:
    requirement: Requirement
    newest: Optional[date]
    evidence_count: int
    state: str
    #: drills (newest revisions) that ran within the period with a mapped control, and the day of the last of any;
    #: for a requirement that asks for scenarios, only drills that exercised one of them
    drills_in_period: int = 0
    last_drill: Optional[date] = None


def _drill_days(session: Session, zone: ZoneInfo) -> dict[int, dict[int, tuple[date, set[str]]]]:
    """control id -> {drill id: (the day it ran, its scenario codes)}, for the drills that ran, each amended
    drill in its newest revision."""
    query = (
        select(DrillControl.control_id, Drill.id, Drill.actual_start, Drill.scenarios)
        .join(Drill, col(Drill.id) == DrillControl.drill_id)
        .where(col(Drill.actual_start).is_not(None), outside(superseded_drills(session), DrillControl.drill_id))
    )
    result: dict[int, dict[int, tuple[date, set[str]]]] = {}
    for control_id, drill_id, started, scenarios in session.exec(query).all():
        result.setdefault(control_id, {})[drill_id] = (started.astimezone(zone).date(), set(scenarios.split(",")))
    return result


def requirements(session: Session, framework: Optional[Framework] = None) -> list[Requirement]:
    """A framework's requirements (or all of them) in their own order, with their controls."""
    query = select(Requirement).options(selectinload(Requirement.controls)).order_by(Requirement.sort_key)
    if framework is not None:
        query = query.where(Requirement.framework == framework)
    return list(session.exec(query).all())


def requirement_coverage(
    session: Session, framework: Optional[Framework], period: Period, zone: ZoneInfo
) -> list[RequirementCoverage]:
    """Each requirement of `framework` (or of every framework) with the evidence and the drills of its mapped
    controls, each counted once; the links are read once for all requirements, whatever their number."""
    by_control, drills_by_control = evidence_dates_by_control(session), _drill_days(session, zone)
    rows = []
    for requirement in requirements(session, framework):
        items, drills, asked = {}, {}, set(requirement.scenarios.split(",")) - {""}
        for control in requirement.controls:
            items.update(by_control.get(control.id, {}))
            for drill_id, (day, exercised) in drills_by_control.get(control.id, {}).items():
                if not asked or asked & exercised:  # DORA 12 asks for a restore: a failover drill is no answer
                    drills[drill_id] = day
        newest = max((evidence_date(e) for e in items.values()), default=None)
        state = NONE if not items else (FRESH if any(is_fresh(e, period) for e in items.values()) else STALE)
        in_period = sum(1 for day in drills.values() if period.start <= day <= period.end)
        last = max(drills.values(), default=None)
        rows.append(RequirementCoverage(requirement, newest, len(items), state, in_period, last))
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

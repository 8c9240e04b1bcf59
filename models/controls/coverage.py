"""Which controls have fresh evidence for an audit period, and the Statement of Applicability.

A control's evidence is what is linked to it directly and what is attached to the drills,
findings and actions linked to it. Evidence is fresh for a period when it was collected
within the period and was still valid at its end.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any, Optional

from sqlalchemy import Date, and_, case, func, or_, union
from sqlmodel import Session, col, select

from models.controls.links import ActionControl, DrillControl, EvidenceControl, FindingControl
from models.controls.tables import Control
from models.core.revisions import outside, superseded_drills
from models.evidence import Evidence

FRESH, STALE, NONE = "fresh", "stale", "none"


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError("the audit period ends before it starts")


@dataclass(frozen=True)
class ControlCoverage:
    control: Control
    newest: Optional[date]
    evidence_count: int
    state: str


def evidence_date(evidence: Evidence) -> date:
    """The day the evidence was collected, or uploaded when no collection date was given."""
    return evidence.collected_on or evidence.uploaded_at.date()


def is_fresh(evidence: Evidence, period: Period) -> bool:
    """Collected within the period and still valid at its end."""
    collected = evidence_date(evidence)
    return period.start <= collected <= period.end and (
        evidence.valid_until is None or evidence.valid_until >= period.end
    )


#: the columns freshness needs; thousands of these load in milliseconds where whole records take far longer
DATES = (Evidence.id, Evidence.collected_on, Evidence.uploaded_at, Evidence.valid_until)


def _bearing(session: Session, columns, control_id: Optional[int], records: bool):
    """(control id, evidence) pairs for the four ways evidence bears on a control: directly, or through its drill, finding or action."""
    current = outside(superseded_drills(session), Evidence.drill_id)
    for link, on in (
        (EvidenceControl, Evidence.id == EvidenceControl.evidence_id),
        (DrillControl, Evidence.drill_id == DrillControl.drill_id),
        (FindingControl, Evidence.finding_id == FindingControl.finding_id),
        (ActionControl, Evidence.action_id == ActionControl.action_id),
    ):
        # an amended drill's evidence once, in its newest revision, as on the control's page
        query = select(link.control_id, *columns).join(Evidence, on).where(current)
        if control_id is not None:
            query = query.where(link.control_id == control_id)
        # plain columns skip the ORM's per-row work: thousands of rows in a few milliseconds
        yield from (session.exec(query) if records else session.connection().execute(query)).all()


def evidence_by_control(session: Session, control_id: Optional[int] = None) -> dict[int, dict[int, Evidence]]:
    """control id -> {evidence id: evidence}, in four queries whatever the data size."""
    result: dict[int, dict[int, Evidence]] = {}
    for control_id_, evidence in _bearing(session, (Evidence,), control_id, records=True):
        result.setdefault(control_id_, {})[evidence.id] = evidence
    return result


def evidence_dates_by_control(session: Session, control_id: Optional[int] = None) -> dict[int, dict[int, Any]]:
    """control id -> {evidence id: row of DATES}: what freshness and the newest date need, without whole records."""
    result: dict[int, dict[int, Any]] = {}
    for row in _bearing(session, DATES, control_id, records=False):
        result.setdefault(row[0], {})[row.id] = row
    return result


def coverage(session: Session, period: Period, applicable_only: bool = False) -> list[ControlCoverage]:
    """Every control (or every applicable one) with its newest evidence date and freshness for `period`."""
    query = select(Control).order_by(Control.sort_key)
    if applicable_only:
        query = query.where(col(Control.applicable).is_(True))
    by_control = evidence_dates_by_control(session)
    rows = []
    for control in session.exec(query).all():
        items = list(by_control.get(control.id, {}).values())
        newest = max((evidence_date(e) for e in items), default=None)
        state = NONE if not items else (FRESH if any(is_fresh(e, period) for e in items) else STALE)
        rows.append(ControlCoverage(control, newest, len(items), state))
    return rows


@dataclass(frozen=True)
class ControlEvidence:
    """What a control page shows of its evidence: how much, the newest date, freshness, and one page of ids."""

    total: int
    newest: Optional[date]
    state: str
    page_ids: list[int]
    page: int


def _day():
    """evidence_date() in SQL: the collection day, else the (UTC) upload day."""
    return func.coalesce(Evidence.collected_on, func.date(Evidence.uploaded_at), type_=Date)


def control_evidence(session: Session, control: Control, period: Period, page: int, size: int) -> ControlEvidence:
    """One control's evidence, judged and ordered by the database: two queries, however much evidence bears on it.

    A control may have tens of thousands of evidence items through its drills; loading them to judge
    freshness in Python cost more than the rest of the page.
    """
    bearing = union(
        *(
            select(Evidence.id).join(link, on).where(link.control_id == control.id)
            for link, on in (
                (EvidenceControl, Evidence.id == EvidenceControl.evidence_id),
                (DrillControl, Evidence.drill_id == DrillControl.drill_id),
                (FindingControl, Evidence.finding_id == FindingControl.finding_id),
                (ActionControl, Evidence.action_id == ActionControl.action_id),
            )
        )
    ).subquery()
    # an amended drill's evidence once, in its newest revision
    current = outside(superseded_drills(session), Evidence.drill_id)
    day, mine = _day(), and_(col(Evidence.id).in_(select(bearing.c.id)), current)
    fresh = and_(
        day >= period.start,
        day <= period.end,
        or_(col(Evidence.valid_until).is_(None), col(Evidence.valid_until) >= period.end),
    )
    total, newest, any_fresh = session.exec(
        select(func.count(), func.max(day), func.max(case((fresh, 1), else_=0))).where(mine)
    ).one()
    pages = max(1, -(-total // size))
    page = min(max(1, page), pages)
    ids = session.exec(
        select(Evidence.id)
        .where(mine)
        .order_by(day.desc(), col(Evidence.id).desc())
        .limit(size)
        .offset((page - 1) * size)
    ).all()
    state = NONE if not total else (FRESH if any_fresh else STALE)
    return ControlEvidence(total, newest, state, list(ids), page)

"""What the pages and the API read about drills, each loading what its page shows in a fixed number of queries."""

from typing import Optional

from sqlalchemy import func
from sqlalchemy.orm import aliased, selectinload
from sqlmodel import Session, col, select

from models.actions.tables import Action
from models.core.paging import _where_equal, text_contains
from models.drills.tables import Drill, DrillKind, DrillStatus, Outage, Step
from models.findings.tables import Finding
from models.signoff.tables import DrillReview, SignOff
from models.systems import DrillSystem


def drills_query(search: str = "", status: Optional[DrillStatus] = None, kind: Optional[DrillKind] = None):
    """Drills, newest first by actual or planned start; of an amended record only its latest revision.

    `search` looks in the title, scenario and site names.
    """
    start = func.coalesce(Drill.actual_start, Drill.planned_start, Drill.created_at)
    newer = aliased(Drill)
    amended = select(newer.id).where(newer.previous_revision_id == Drill.id).exists()
    query = select(Drill).where(~amended).order_by(start.desc(), col(Drill.id).desc())
    if search.strip():
        query = query.where(text_contains(search, Drill.title, Drill.scenario, Drill.primary_site, Drill.recovery_site))
    return _where_equal(query, (Drill.status, status), (Drill.kind, kind))


def list_drills(session: Session, limit: Optional[int] = None) -> list[Drill]:
    """The drills of drills_query(), all or the first `limit`."""
    query = drills_query()
    if limit:
        query = query.limit(limit)
    return list(session.exec(query).all())


def load_drill(session: Session, drill_id: int, with_evidence: bool = True) -> Optional[Drill]:
    """A drill with everything its detail page shows, or None; the page itself shows a page of evidence, loaded apart."""
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
            *([selectinload(Drill.evidence)] if with_evidence else []),
            selectinload(Drill.signoffs).selectinload(SignOff.signer),
            selectinload(Drill.reviews).selectinload(DrillReview.submitted_by),
        )
    )
    return session.exec(query).first()


def drills_for_system(session: Session, system_id: int) -> list[Drill]:
    """Drills with the system in scope, oldest first, loaded for recovery figures."""
    query = (
        select(Drill)
        .join(DrillSystem, DrillSystem.drill_id == Drill.id)
        .where(DrillSystem.system_id == system_id)
        .options(
            selectinload(Drill.steps),
            selectinload(Drill.outages),
            selectinload(Drill.scope),
            selectinload(Drill.systems),
        )
        .order_by(func.coalesce(Drill.actual_start, Drill.planned_start, Drill.created_at))
    )
    return list(session.exec(query).all())

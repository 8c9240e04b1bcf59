"""What the pages and the API read about drills, each loading what its page shows in a fixed number of queries."""

from typing import Optional

from sqlalchemy import func
from sqlalchemy.orm import aliased, joinedload, selectinload
from sqlmodel import Session, col, select

from models.actions.tables import Action
from models.core.paging import _where_equal, text_contains
from models.core.revisions import in_current_revision
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
    query = (
        select(Drill)
        .where(~amended)
        .order_by(start.desc(), col(Drill.id).desc())
        .options(selectinload(Drill.reviews).load_only(DrillReview.returned_at))  # for its state: sent back or not
    )
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
            # one query per collection; the records each row points to come in the same query, joined
            *_timing(),
            selectinload(Drill.findings).options(
                selectinload(Finding.controls),
                selectinload(Finding.systems),
                joinedload(Finding.relation_decided_by),
            ),
            selectinload(Drill.actions).options(
                joinedload(Action.owner),
                joinedload(Action.verified_by),
                selectinload(Action.finding),  # usually one of the drill's own, already loaded: no query then
                selectinload(Action.controls),
            ),
            selectinload(Drill.controls),
            *([selectinload(Drill.evidence)] if with_evidence else []),
            selectinload(Drill.signoffs).joinedload(SignOff.signer),
            selectinload(Drill.reviews).joinedload(DrillReview.submitted_by),
        )
    )
    return session.exec(query).first()


def _timing():
    """What a drill's recovery figures are computed from: steps, outages and the systems in scope."""
    return (
        selectinload(Drill.steps).joinedload(Step.system),
        selectinload(Drill.outages).joinedload(Outage.system),
        selectinload(Drill.systems),
        selectinload(Drill.scope),
    )


def load_live_drill(session: Session, drill_id: int) -> Optional[Drill]:
    """A drill with what the live cockpit shows and its taps change: its timing, nothing else.

    The cockpit is opened and tapped every few seconds during a drill; its findings, actions and
    evidence are not on it and are not loaded.
    """
    return session.exec(select(Drill).where(Drill.id == drill_id).options(*_timing())).first()


def drills_for_system(session: Session, system_id: int) -> list[Drill]:
    """Drills with the system in scope, oldest first, loaded for recovery figures."""
    query = (
        select(Drill)
        .join(DrillSystem, DrillSystem.drill_id == Drill.id)
        .where(DrillSystem.system_id == system_id)
        .options(*_timing())
        .order_by(func.coalesce(Drill.actual_start, Drill.planned_start, Drill.created_at))
    )
    return list(session.exec(query).all())


def previous_drill(session: Session, drill: Drill) -> Drill | None:
    """The latest earlier exercise (not a revision of this one), whose actions this report follows up."""
    start = drill.actual_start or drill.planned_start or drill.created_at
    when = func.coalesce(Drill.actual_start, Drill.planned_start, Drill.created_at)
    revisions = [i for i in (drill.id, drill.previous_revision_id) if i is not None]
    earlier = select(Drill).where(when < start, col(Drill.id).not_in(revisions), in_current_revision(Drill.id))
    return session.exec(earlier.order_by(when.desc()).limit(1)).first()


def programme_drills(session: Session) -> list[Drill]:
    """Every drill in its newest revision, oldest first, loaded for recovery figures (by system id: the
    programme reads thousands of steps, and joining each to its system would double the load)."""
    query = (
        select(Drill)
        .where(in_current_revision(Drill.id))
        .options(
            selectinload(Drill.steps).load_only(
                Step.drill_id, Step.system_id, Step.phase, Step.started_at, Step.ended_at
            ),
            selectinload(Drill.outages),
            selectinload(Drill.systems),
            selectinload(Drill.scope),
            selectinload(Drill.signoffs),  # a signed drill's figures come from its signed content
        )
        .order_by(func.coalesce(Drill.actual_start, Drill.planned_start, Drill.created_at))
    )
    return list(session.exec(query).all())

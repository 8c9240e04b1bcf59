"""What the pages and the API read about findings: filtered, ordered lists and one finding with what its page shows."""

from typing import Optional

from sqlalchemy import func
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from models.actions.tables import Action
from models.controls.links import FindingControl
from models.controls.queries import linked_to_control
from models.core.paging import _where_equal, text_contains
from models.core.revisions import in_current_revision, outside
from models.findings.tables import Finding, FindingKind, Severity

#: findings newest first: by detection time, or by when recorded if never given one
FINDING_ORDER = (func.coalesce(Finding.detected_at, Finding.created_at).desc(), col(Finding.id).desc())


def finding_choices(session: Session) -> list[tuple[int, str]]:
    """(id, title) of every finding, newest first, for a form's choice; plain columns, no records."""
    return list(session.exec(select(Finding.id, Finding.title).order_by(*FINDING_ORDER)).all())


def findings_query(
    search: str = "",
    kind: Optional[FindingKind] = None,
    severity: Optional[Severity] = None,
    drill_id: Optional[int] = None,
    control_code: Optional[str] = None,
    lean: bool = False,
    superseded: Optional[list[int]] = None,
):
    """Findings matching every filter given, newest first.

    `search` looks in the title and description. Each finding comes with its drill, actions, systems
    and controls, or with its drill alone when `lean` (a short list that shows no more).
    """
    related = (Finding.drill,) if lean else (Finding.drill, Finding.actions, Finding.systems, Finding.controls)
    query = select(Finding).options(*(selectinload(r) for r in related)).order_by(*FINDING_ORDER)
    if search.strip():
        query = query.where(text_contains(search, Finding.title, Finding.description))
    query = _where_equal(query, (Finding.kind, kind), (Finding.severity, severity), (Finding.drill_id, drill_id))
    if drill_id is None:  # across drills, an amended drill's findings once (`superseded`: read beforehand, cheaper)
        query = query.where(
            in_current_revision(Finding.drill_id) if superseded is None else outside(superseded, Finding.drill_id)
        )
    if control_code:
        query = query.where(linked_to_control(Finding.id, FindingControl.finding_id, control_code))
    return query


def load_finding(session: Session, finding_id: int) -> Optional[Finding]:
    """A finding with its drill, systems, controls, actions and decider, or None."""
    query = (
        select(Finding)
        .where(Finding.id == finding_id)
        .options(
            selectinload(Finding.drill),
            selectinload(Finding.systems),
            selectinload(Finding.controls),
            selectinload(Finding.relation_decided_by),
            selectinload(Finding.actions).selectinload(Action.owner),
            selectinload(Finding.evidence),
        )
    )
    return session.exec(query).first()

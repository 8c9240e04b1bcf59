"""What the pages read about controls: the catalogue searched, one control, record counts and control links."""

from typing import Optional

from sqlalchemy import func
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from models.controls.links import ActionControl, DrillControl, EvidenceControl, FindingControl
from models.controls.tables import Control
from models.core.errors import RecordError
from models.core.paging import text_contains
from models.core.revisions import linked_outside, outside, superseded_drills


def resolve_controls(session: Session, codes: str) -> list[Control]:
    """Controls named in free text ("A.5.29, A.5.30 10.2"); RecordError names any unknown code."""
    wanted = [code.strip() for code in codes.replace(",", " ").split() if code.strip()]
    found = (
        {c.code: c for c in session.exec(select(Control).where(col(Control.code).in_(wanted))).all()} if wanted else {}
    )
    unknown = [code for code in wanted if code not in found]
    if unknown:
        raise RecordError({"controls": f"Unknown control code: {', '.join(unknown)}."})
    return [found[code] for code in dict.fromkeys(wanted)]


def control_record_counts(session: Session) -> dict[int, dict[str, int]]:
    """For each control with linked records: how many drills, findings, actions and evidence items."""
    counts: dict[int, dict[str, int]] = {}
    old = superseded_drills(session)
    for name, link, current in (  # an amended drill's records once: in its newest revision
        ("drills", DrillControl, outside(old, DrillControl.drill_id)),
        ("findings", FindingControl, linked_outside(old, "finding", FindingControl.finding_id)),
        ("actions", ActionControl, True),
        ("evidence", EvidenceControl, linked_outside(old, "evidence", EvidenceControl.evidence_id)),
    ):
        rows = session.exec(select(link.control_id, func.count()).where(current).group_by(link.control_id)).all()
        for control_id, n in rows:
            counts.setdefault(control_id, {"drills": 0, "findings": 0, "actions": 0, "evidence": 0})[name] = n
    return counts


def controls_query(search: str = ""):
    """The catalogue in standard order: clauses 4 to 10, then Annex A; filtered by code or title."""
    query = select(Control).order_by(Control.sort_key)
    if search.strip():
        query = query.where(text_contains(search, Control.code, Control.title))
    return query


def list_controls(session: Session, search: str = "") -> list[Control]:
    """Every control of controls_query(search)."""
    return list(session.exec(controls_query(search)).all())


def load_control(session: Session, code: str) -> Optional[Control]:
    """A control by its code ("A.5.30", "10.2") with its drills, or None.

    Its findings, actions and evidence can run to thousands: findings_query, actions_query and
    coverage.control_evidence read them a page at a time.
    """
    return session.exec(select(Control).where(Control.code == code).options(selectinload(Control.drills))).first()


def canonical_code(session: Session, written: str) -> Optional[str]:
    """The catalogue's code for a control as a person may write it ("5.30", "a.5.30", "A5.30"), or None.

    A clause keeps its own number: "5.3" is the clause on roles and "A.5.3" the control on segregation
    of duties, so the Annex A reading is tried only when no clause has the number written.
    """
    number = written.strip().upper()
    tried = [number] if not number.startswith("A") else []
    tried.append("A." + number.removeprefix("A").lstrip("."))
    found = session.exec(select(Control.code).where(col(Control.code).in_(tried))).all()
    return next((code for code in tried if code in found), None)


def linked_to_control(record_id, link_record_id, control_code: str):
    """A condition true for the records that a link table ties to the control with this code."""
    return col(record_id).in_(select(link_record_id).join(Control).where(Control.code == control_code))


def catalogue_entries(session: Session, codes: list[str]) -> list[Control]:
    """The catalogue's controls with these codes, in catalogue order."""
    if not codes:
        return []
    return list(session.exec(select(Control).where(col(Control.code).in_(codes)).order_by(Control.sort_key)).all())

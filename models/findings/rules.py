"""Recording findings: validated, linked to systems and controls, audited; frozen with a signed drill."""

from typing import Optional

from sqlmodel import Session

from models.controls.queries import resolve_controls
from models.core.changes import apply_changes, create_record, submitted
from models.drills.tables import Drill
from models.findings.inputs import FindingIn
from models.findings.tables import Finding
from models.people.users import User
from models.permissions import ensure_editable
from models.systems import load_systems


def save_finding(
    session: Session,
    data: dict,
    actor: User,
    finding: Optional[Finding] = None,
    expected: Optional[int] = None,
    drill: Optional[Drill] = None,
    system_ids: Optional[list[int]] = None,
    control_codes: Optional[str] = None,
) -> Finding:
    """Create or change a finding; the person who sets the related-to-drill decision is recorded as deciding it."""
    values = submitted(FindingIn, data, finding)
    systems = load_systems(session, system_ids) if system_ids is not None else None
    controls = resolve_controls(session, control_codes) if control_codes is not None else None
    owner_drill = drill if finding is None else finding.drill
    if owner_drill is not None:
        ensure_editable(owner_drill)
    decided = finding is None or (finding.related_to_drill, finding.relation_rationale) != (
        values["related_to_drill"],
        values["relation_rationale"],
    )
    if finding is None:
        finding = create_record(session, Finding(drill_id=drill.id if drill else None, **values), actor)
    else:
        apply_changes(session, finding, values, expected, actor)
    if decided:
        finding.relation_decided_by_id = actor.id
    if systems is not None:
        finding.systems = systems
    if controls is not None:
        finding.controls = controls
    session.flush()
    return finding

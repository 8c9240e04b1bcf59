"""Follow-up actions, decided on findings or drills and followed until verified effective.

Status of an action: open -> in progress -> done -> verified, or cancelled with a reason.
Done needs a completion note; verified needs an approver other than the owner to record
the effectiveness check, and "not effective" sends the action back to open with the reason.
Every transition is kept with who and when. Actions stay followable after their drill is
signed; the drill's own findings are frozen with it.
"""

from datetime import datetime
from typing import Optional

from sqlmodel import Session

from models import audit, permissions
from models.actions.inputs import ActionIn, CancellationIn, CompletionIn, VerificationIn
from models.actions.tables import CLOSED, Action, ActionStatus, ActionTransition, Verification
from models.audit import snapshot
from models.controls.queries import resolve_controls
from models.core.changes import apply_changes, create_record, submitted, validate
from models.core.errors import NotAllowed, RecordError
from models.drills.tables import Drill
from models.findings.tables import Finding
from models.notifications import events
from models.people.users import User
from models.permissions import ensure_editable


def save_action(
    session: Session,
    data: dict,
    actor: User,
    action: Optional[Action] = None,
    expected: Optional[int] = None,
    control_codes: Optional[str] = None,
) -> Action:
    """Create or change an action; a verified or cancelled action is closed and keeps its record."""
    values = submitted(ActionIn, data, action)
    _check_links(session, values, action)
    controls = resolve_controls(session, control_codes) if control_codes is not None else None
    new_owner = values["owner_id"] is not None and (action is None or values["owner_id"] != action.owner_id)
    if action is None:
        action = create_record(session, Action(**values), actor)
    else:
        if action.status in CLOSED:
            raise RecordError({"": f"This action is {action.status.english.lower()}; its record is closed."})
        if action.status == ActionStatus.DONE and values["owner_id"] != action.owner_id:
            raise RecordError(
                {
                    "owner_id": "A done action keeps its owner until it is verified or sent back: the owner answers for the work."
                }
            )
        apply_changes(session, action, values, expected, actor)
    if controls is not None:
        action.controls = controls
    session.flush()
    if new_owner:
        events.action_assigned(session, action, session.get(User, action.owner_id), actor)
    return action


def _move(
    session: Session, action: Action, to: ActionStatus, actor: User, now: datetime, note: str, expected: Optional[int]
) -> None:
    """Change the status, keeping who and when in the transitions and the audit trail."""
    if expected is not None and action.version != expected:
        raise RecordError({"": "Someone changed this action meanwhile; reload it and try again."})
    before = snapshot(action)
    session.add(
        ActionTransition(
            action_id=action.id, from_status=action.status, to_status=to, actor_id=actor.id, at=now, note=note
        )
    )
    action.status = to
    session.flush()
    audit.record_change(session, actor, "transition", action, before=before, after=snapshot(action))


def start_action(session: Session, action: Action, actor: User, now: datetime, expected: Optional[int] = None) -> None:
    """Open -> in progress."""
    permissions.ensure_may_work_on(actor, action)
    if action.status != ActionStatus.OPEN:
        raise RecordError({"": f"Only an open action can be started; this one is {action.status.english.lower()}."})
    action.started_at = action.started_at or now
    _move(session, action, ActionStatus.IN_PROGRESS, actor, now, "", expected)


def complete_action(
    session: Session, action: Action, data: dict, actor: User, now: datetime, expected: Optional[int] = None
) -> None:
    """Open or in progress -> done, with a note of what was done."""
    permissions.ensure_may_work_on(actor, action)
    if action.status not in (ActionStatus.OPEN, ActionStatus.IN_PROGRESS):
        raise RecordError(
            {"": f"Only an open or started action can be marked done; this one is {action.status.english.lower()}."}
        )
    note = validate(CompletionIn, data).completion_note
    action.completion_note, action.completed_at = note, now
    action.started_at = action.started_at or now
    _move(session, action, ActionStatus.DONE, actor, now, note, expected)
    events.action_done(session, action, session.get(User, action.owner_id) if action.owner_id else None, actor)


def verify_action(
    session: Session, action: Action, data: dict, actor: User, now: datetime, expected: Optional[int] = None
) -> None:
    """Done -> verified, or back to open when the check found it not effective; never by its owner or its completer."""
    if actor.role not in permissions.VERIFIERS:
        raise NotAllowed("Only an approver or an administrator can record an effectiveness check.")
    if not permissions.may_verify(actor, action):
        raise NotAllowed("Whoever owns or completed an action cannot verify it; another approver must.")
    if action.status != ActionStatus.DONE:
        raise RecordError({"": f"Only a done action can be verified; this one is {action.status.english.lower()}."})
    check = validate(VerificationIn, data)
    if check.effectiveness_checked_on > now.date():
        raise RecordError({"effectiveness_checked_on": "The check cannot be dated in the future."})
    if check.effectiveness_checked_on < action.created_at.date():
        raise RecordError(
            {
                "effectiveness_checked_on": "The check cannot be dated before the action was recorded "
                f"({action.created_at:%Y-%m-%d})."
            }
        )
    for name, value in check.model_dump().items():
        setattr(action, name, value)
    action.verified_by_id, action.verified_at = actor.id, now
    if check.verification_result == Verification.EFFECTIVE:
        _move(session, action, ActionStatus.VERIFIED, actor, now, check.verification_notes, expected)
    else:
        action.completed_at = None
        _move(session, action, ActionStatus.OPEN, actor, now, f"Not effective: {check.verification_notes}", expected)
        owner = session.get(User, action.owner_id) if action.owner_id else None
        events.action_not_effective(session, action, owner, actor, check.verification_notes)


def cancel_action(
    session: Session, action: Action, data: dict, actor: User, now: datetime, expected: Optional[int] = None
) -> None:
    """Any status but verified -> cancelled, with the reason."""
    if not permissions.may_record(actor):
        raise NotAllowed("Only an editor or an administrator can cancel an action.")
    if action.status in CLOSED:
        raise RecordError({"": f"This action is already {action.status.english.lower()}."})
    reason = validate(CancellationIn, data).cancelled_reason
    action.cancelled_reason = reason
    _move(session, action, ActionStatus.CANCELLED, actor, now, reason, expected)


def _check_links(session: Session, values: dict, action: Optional[Action]) -> None:
    """The owner, finding and drill must exist; a signed drill takes no new action (its signed plan is closed)."""
    owner = session.get(User, values["owner_id"]) if values["owner_id"] is not None else None
    if values["owner_id"] is not None and (owner is None or not owner.active):
        raise RecordError({"owner_id": "Choose an active user as owner."})
    if values["finding_id"] is not None:
        finding = session.get(Finding, values["finding_id"])
        if finding is None:
            raise RecordError({"finding_id": "That finding does not exist."})
        values["drill_id"] = values["drill_id"] or finding.drill_id
    drill = session.get(Drill, values["drill_id"]) if values["drill_id"] is not None else None
    if values["drill_id"] is not None and drill is None:
        raise RecordError({"drill_id": "That drill does not exist."})
    if action is None or action.drill_id != values["drill_id"]:
        ensure_editable(drill)

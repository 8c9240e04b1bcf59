"""Who may do what to which record: the one place that decides it.

Routes declare the roles that may reach them with these role sets; the rules below add what
depends on the record (a signed drill is frozen, an owner never verifies their own work).
Domain operations call the `ensure_*` forms, views and templates the `may_*` forms, so a
button is shown exactly when the operation behind it would be allowed.
"""

from typing import TYPE_CHECKING, Optional

from models.actions.tables import CLOSED, ActionStatus
from models.core.errors import NotAllowed, RecordError
from models.drills.tables import DrillStatus
from models.people.users import Role

if TYPE_CHECKING:
    from models.actions.tables import Action
    from models.drills.tables import Drill
    from models.findings.tables import Finding
    from models.people.users import User

#: everyone who signs in may read every record
READERS = (Role.ADMIN, Role.EDITOR, Role.APPROVER, Role.AUDITOR)
#: who records drills, findings, actions, systems and evidence
EDITORS = (Role.ADMIN, Role.EDITOR)
#: who signs a drill off
SIGNERS = (Role.APPROVER,)
#: who records whether a completed action was effective
VERIFIERS = (Role.APPROVER, Role.ADMIN)
#: who manages people, roles and control applicability
ADMINS = (Role.ADMIN,)
#: who may read the audit trail: it records every person's sign-ins and changes
AUDIT_READERS = (Role.ADMIN, Role.AUDITOR, Role.APPROVER)


def is_frozen(drill: Optional["Drill"]) -> bool:
    """A signed drill, and everything recorded in it, is frozen until it is amended."""
    return drill is not None and drill.status == DrillStatus.SIGNED


def ensure_editable(drill: Optional["Drill"]) -> None:
    """Refuse any change to a signed drill or to a record that belongs to one."""
    if is_frozen(drill):
        raise RecordError({"": "This drill is signed and can no longer be changed."})


def may_record(user: "User") -> bool:
    """May create drills, findings, actions, systems and evidence."""
    return user.role in EDITORS


def may_edit_drill(user: "User", drill: "Drill") -> bool:
    """May change the drill or its steps, outages, objectives, participants and scope."""
    return may_record(user) and not is_frozen(drill)


def may_edit_finding(user: "User", finding: "Finding") -> bool:
    """May change the finding: not when the drill it came from is signed."""
    return may_record(user) and not is_frozen(finding.drill)


def may_upload_to(user: "User", drill: Optional["Drill"]) -> bool:
    """May add evidence, to this drill or to none."""
    return may_record(user) and not is_frozen(drill)


def may_submit(user: "User", drill: "Drill") -> bool:
    """May submit the drill for review."""
    return may_record(user) and drill.status in (DrillStatus.PLANNED, DrillStatus.RUNNING)


def may_sign(user: "User", drill: "Drill") -> bool:
    """May sign the drill off (the password and the content are checked when signing)."""
    return user.role in SIGNERS and drill.status == DrillStatus.REVIEW


def ensure_signer(user: "User") -> None:
    """Refuse a sign-off by anyone but an approver."""
    if user.role not in SIGNERS:
        raise NotAllowed("Only an approver can sign a drill.")


def may_send_back(user: "User", drill: "Drill") -> bool:
    """May return a drill in review to its editors."""
    return user.role in SIGNERS and drill.status == DrillStatus.REVIEW


def may_amend(user: "User", drill: "Drill") -> bool:
    """May open a new revision of a signed drill."""
    return may_record(user) and drill.status == DrillStatus.SIGNED


def may_work_on(user: "User", action: "Action") -> bool:
    """May start or complete the action: its owner, an editor or an administrator."""
    return user.role in EDITORS or user.id == action.owner_id


def ensure_may_work_on(user: "User", action: "Action") -> None:
    """Refuse a move forward by someone who neither owns the action nor edits."""
    if not may_work_on(user, action):
        raise NotAllowed("Only the owner, an editor or an administrator can move this action forward.")


def may_edit_action(user: "User", action: "Action") -> bool:
    """May change the action's fields: editors, while it is not closed."""
    return may_record(user) and action.status not in CLOSED


def may_verify(user: "User", action: "Action") -> bool:
    """May record the effectiveness check: an approver or administrator who neither owns the action nor completed it."""
    return user.role in VERIFIERS and user.id != action.owner_id and user.id != completed_by(action)


def completed_by(action: "Action") -> Optional[int]:
    """Who marked the action done most recently, from its transitions."""
    done = [t for t in action.transitions if t.to_status == ActionStatus.DONE]
    return max(done, key=lambda t: (t.at, t.id or 0)).actor_id if done else None


def action_moves(user: "User", action: "Action") -> set[str]:
    """The moves `user` may make on `action` now: start, complete, verify, cancel."""
    moves = set()
    if may_work_on(user, action) and action.status == ActionStatus.OPEN:
        moves.add("start")
    if may_work_on(user, action) and action.status in (ActionStatus.OPEN, ActionStatus.IN_PROGRESS):
        moves.add("complete")
    if may_verify(user, action) and action.status == ActionStatus.DONE:
        moves.add("verify")
    if may_record(user) and action.status not in CLOSED:
        moves.add("cancel")
    return moves


def may_administer(user: "User") -> bool:
    """May manage people, roles and control applicability."""
    return user.role in ADMINS


def may_read_audit_trail(user: "User") -> bool:
    """May read and export the audit trail."""
    return user.role in AUDIT_READERS


def may_follow_report_job(user: "User", requested_by_id: Optional[int]) -> bool:
    """May see a report job's progress: whoever asked for it, or an administrator."""
    return user.id == requested_by_id or user.role in ADMINS

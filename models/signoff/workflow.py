"""Review and sign-off: a signature means "this is what we did, as it stood when I signed".

An editor submits the drill for review; the submission freezes a snapshot and its hash. The
approver signs with a fresh proof of identity and a statement; the signature covers exactly
the submitted content, so a record changed after submission cannot be signed until it is
resubmitted. A signed drill never changes again (the domain refuses, and below it the
database's triggers); an amendment is a copy with the next revision number, signed anew.
"""

import json
import unicodedata
from datetime import datetime
from typing import Optional

from sqlmodel import Session

from models import audit
from models.audit import snapshot
from models.core.errors import NotAllowed, RecordError
from models.core.types import utcnow
from models.drills.tables import Drill, DrillStatus
from models.notifications import events
from models.people.users import User
from models.permissions import ensure_editable, ensure_signer
from models.signoff.identity import (
    Proof,
    ProviderProof,
    check_identity,
    identity_record,
    request_signature,
    take_request,
)
from models.signoff.readiness import open_items, readiness
from models.signoff.snapshot import content_hash, drill_snapshot
from models.signoff.tables import DrillReview, SignOff, SignRequest

MAX_STATEMENT = 5000


def last_review(drill: Drill) -> Optional[DrillReview]:
    """The newest submission of this drill, if any."""
    return drill.reviews[-1] if drill.reviews else None


def submit_for_review(session: Session, drill: Drill, actor: User, notify: bool = True) -> DrillReview:
    """Freeze what is submitted: the approver signs this snapshot or nothing; the approvers are told,
    unless `notify` is off (loading demo data is not an event anyone needs to hear of)."""
    ensure_editable(drill)
    if drill.actual_start is None:
        raise RecordError({"": "Record when the drill started before submitting it for review."})
    running = [s.title for s in drill.steps if s.started_at is not None and s.ended_at is None]
    if running:
        raise RecordError({"": f"Finish these steps before submitting: {'; '.join(running)}."})
    snap = drill_snapshot(drill)
    review = DrillReview(
        drill_id=drill.id,
        submitted_by_id=actor.id,
        snapshot=json.dumps(snap, sort_keys=True),
        content_sha256=content_hash(snap),
    )
    session.add(review)
    before = snapshot(drill)
    drill.status, drill.submitted_by_id, drill.submitted_at = DrillStatus.REVIEW, actor.id, review.submitted_at
    session.flush()
    session.refresh(drill, ["reviews"])
    audit.record_change(
        session,
        actor,
        "submit",
        drill,
        before=before,
        after={**snapshot(drill), "content_sha256": review.content_sha256},
    )
    if notify:
        events.drill_submitted(session, drill, actor)
    return review


def return_for_changes(session: Session, drill: Drill, actor: User, reason: str) -> None:
    """Send a drill in review back to its editors, with the reason."""
    if drill.status != DrillStatus.REVIEW:
        raise RecordError({"": "Only a drill in review can be sent back."})
    reason = reason.replace("\x00", "").strip()
    if not reason:
        raise RecordError({"reason": "Say what needs to change."})
    reason = reason[:MAX_STATEMENT]
    review = last_review(drill)
    review.returned_at, review.returned_by, review.return_reason = utcnow(), actor.name, reason
    before = snapshot(drill)
    drill.status = DrillStatus.RUNNING
    session.flush()
    audit.record_change(session, actor, "return", drill, before=before, after={**snapshot(drill), "reason": reason})
    events.drill_sent_back(session, drill, session.get(User, review.submitted_by_id), actor, reason)


#: visible characters a statement or an override reason needs at least: words, not a blank that looks written
MIN_WRITTEN = 5


def _visible(text: str) -> str:
    """The characters a reader sees: no spaces, control or format characters (zero-width, direction marks)."""
    return "".join(c for c in text if unicodedata.category(c)[0] not in "CZ")


def sign(
    session: Session,
    drill: Drill,
    actor: User,
    proof: Proof,
    statement: str,
    require_independent: bool,
    override: str = "",
) -> SignOff:
    """Sign the submitted content; refused without proof of the signer's identity (models/signoff/identity.py),
    or if the record changed since submission.

    Also refused while an item of the readiness checklist is open, unless `override` says why the
    approver signs anyway; the reason is kept with the sign-off and printed in the report.
    """
    ensure_signer(actor)
    _ensure_in_review(drill)
    identity = check_identity(actor, proof)
    review, statement, override, still_open = _signable(drill, actor, statement, require_independent, override)
    signoff = SignOff(
        drill_id=drill.id,
        revision=drill.revision,
        signer_id=actor.id,
        signer_name=actor.name,
        signer_title=actor.title,
        signer_role=actor.role.value,
        statement=statement,
        content_sha256=review.content_sha256,
        snapshot=review.snapshot,
        audit_head=audit.head_hash(session),
        signed_at=utcnow(),
        override_reason=override if still_open else "",
        **identity,
    )
    session.add(signoff)
    before = snapshot(drill)
    drill.status = DrillStatus.SIGNED
    session.flush()
    audit.record_change(
        session,
        actor,
        "sign",
        drill,
        before=before,
        after={
            "status": "signed",
            "revision": drill.revision,
            "content_sha256": signoff.content_sha256,
            "statement": statement,
            "signer_name": signoff.signer_name,
            "signer_title": signoff.signer_title,
            "override_reason": signoff.override_reason,
            "open_items": [line for item in still_open for line in item.open],
            **identity_record(signoff),
        },
    )
    events.drill_signed(session, drill, session.get(User, review.submitted_by_id), actor)
    return signoff


def _ensure_in_review(drill: Drill) -> None:
    if drill.status != DrillStatus.REVIEW or last_review(drill) is None:
        raise RecordError({"": "Only a drill submitted for review can be signed."})


def _signable(drill: Drill, actor: User, statement: str, require_independent: bool, override: str):
    """Every check of a signature but the signer's identity: (review, statement, override, open items)."""
    statement = (statement or "").replace("\x00", "").strip()
    if len(_visible(statement)) < MIN_WRITTEN:
        raise RecordError({"statement": "Write the statement you are signing."})
    if len(statement) > MAX_STATEMENT:
        raise RecordError({"statement": f"At most {MAX_STATEMENT} characters."})
    review = last_review(drill)
    if require_independent and review.submitted_by_id == actor.id:
        raise NotAllowed("You submitted this drill; another approver must sign it.")
    current = drill_snapshot(drill)
    if content_hash(current) != review.content_sha256:
        raise RecordError(
            {
                "": "The record changed after it was submitted for review. It must be submitted again before it can be signed."
            }
        )
    override = (override or "").replace("\x00", "").strip()
    if len(override) > MAX_STATEMENT:
        raise RecordError({"override": f"At most {MAX_STATEMENT} characters."})
    still_open = open_items(readiness(drill, len(drill.evidence), utcnow()))
    if still_open and len(_visible(override)) < MIN_WRITTEN:
        raise RecordError(
            {
                "override": f"{len(still_open)} item{'s' if len(still_open) != 1 else ''} of the readiness checklist "
                "still open. Have the record completed and submitted again, or write why you sign it as it is."
            }
        )
    return review, statement, override, still_open


def ask_to_sign(
    session: Session, drill: Drill, actor: User, statement: str, require_independent: bool, override: str = ""
) -> SignRequest:
    """Every check of `sign` but identity, then the signature waits for the approver's fresh provider sign-in."""
    ensure_signer(actor)
    _ensure_in_review(drill)
    review, statement, override, _ = _signable(drill, actor, statement, require_independent, override)
    return request_signature(session, drill.id, actor, review.content_sha256, statement, override)


def sign_requested(
    session: Session,
    drill: Drill,
    actor: User,
    request_id: object,
    issuer: str,
    subject: str,
    auth_time: Optional[datetime],
    require_independent: bool,
) -> SignOff:
    """Make the waiting signature `request_id` with the provider's word on who signed in, and when."""
    request = take_request(session, request_id, actor, utcnow())
    review = last_review(drill)
    if request.drill_id != drill.id or review is None or review.content_sha256 != request.content_sha256:
        raise RecordError({"": "The submission changed while you were signing in; review it again before signing."})
    proof = ProviderProof(issuer, subject, auth_time, request.requested_at)
    return sign(session, drill, actor, proof, request.statement, require_independent, request.override)

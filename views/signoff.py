"""Review, sign-off and revisions of a drill record."""

import json

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from evidence.rendering.formatting import org_zone
from models import permissions
from models.core.types import utcnow
from models.drills.tables import DrillStatus
from models.people import throttle
from models.people.sign_in import note_failure
from models.people.users import Role
from models.permissions import EDITORS, READERS
from models.signoff.amendments import amend, previous_signed_snapshot, revisions
from models.signoff.readiness import readiness
from models.signoff.snapshot import content_hash, differences, drill_snapshot
from models.signoff.tables import SignOff
from models.signoff.workflow import (
    ask_to_sign,
    last_review,
    return_for_changes,
    sign,
    submit_for_review,
)
from views.auth import limits
from views.drills import load_or_404
from views.support.access import allow
from views.support.oidc import ProviderFailure, provider, start_signing
from views.support.saving import get_or_404, save
from views.support.session import get_db, record_event

bp = Blueprint("signoff", __name__, url_prefix="/drills/<id:drill_id>")


def review_page(drill, errors=None, status=200):
    """What the approver checks before signing: the readiness checklist, what the submission changes, and
    whether the record still matches it (and if not, what moved since)."""
    db = get_db()
    review = last_review(drill)
    current = drill_snapshot(drill)
    submitted = json.loads(review.snapshot) if review else current
    earlier = json.loads(drill.reviews[-2].snapshot) if len(drill.reviews) > 1 else previous_signed_snapshot(db, drill)
    basis = (
        "the previous submission"
        if len(drill.reviews) > 1
        else ("the previous signed revision" if drill.previous_revision_id else None)
    )
    signed = drill.status == DrillStatus.SIGNED
    unchanged = review is not None and content_hash(current) == review.content_sha256
    return render_template(
        "signoff/review.html",
        drill=drill,
        review=review,
        signoff=drill.signoffs[-1] if signed and drill.signoffs else None,
        changes=differences(earlier, submitted, org_zone()),
        since_submission=[] if unchanged or signed or review is None else differences(submitted, current, org_zone()),
        basis=basis,
        unchanged=unchanged,
        current_hash=content_hash(current),
        checklist=readiness(drill, len(drill.evidence), utcnow()),
        errors=errors or {},
        can_sign=permissions.may_sign(current_user, drill) and unchanged,
        provider_name=provider().name if provider() and current_user.signs_in_with_provider else "",
        may_send_back=permissions.may_sign(current_user, drill),
    ), status


@bp.route("/review")
@allow(*READERS)
def review(drill_id: int):
    """The drill as submitted for review, with its changes."""
    return review_page(load_or_404(drill_id))


@bp.route("/submit", methods=["POST"])
@allow(*EDITORS)
def submit(drill_id: int):
    """Submit the drill for review; its content is frozen into the submission."""
    drill = load_or_404(drill_id)
    result = save(lambda: submit_for_review(get_db(), drill, current_user))
    if not result.ok:
        flash(" ".join(result.errors.values()), "error")
        return redirect(url_for("drills.detail", drill_id=drill_id))
    flash("Submitted for review. An approver can now sign it.", "success")
    return redirect(url_for("signoff.review", drill_id=drill_id))


@bp.route("/sign", methods=["POST"])
@allow(Role.APPROVER)
def sign_drill(drill_id: int):
    """Sign with the password re-entered and a statement; a wrong password counts against the sign-in limit."""
    drill = load_or_404(drill_id)
    db, address = get_db(), request.remote_addr or "unknown"
    refused = throttle.lockout(db, current_user.email, address, limits())
    if refused is not None:
        return review_page(drill, {"password": refused.message}, 429)
    independent = current_app.config["REQUIRE_INDEPENDENT_SIGNER"]
    if current_user.signs_in_with_provider:
        return _sign_at_provider(drill, independent)
    result = save(
        lambda: sign(
            get_db(),
            drill,
            current_user,
            request.form.get("password", ""),
            request.form.get("statement", ""),
            independent,
            request.form.get("override", ""),
        )
    )
    if not result.ok:
        if "password" in result.errors and request.form.get("password"):
            note_failure(db, current_user.email, address, limits(), "sign_password_failed")
            db.commit()
        return review_page(load_or_404(drill_id), result.errors, 422)
    flash(f"Revision {drill.revision} signed. The record is now frozen.", "success")
    return redirect(url_for("drills.detail", drill_id=drill_id))


def _sign_at_provider(drill, independent: bool):
    """Check everything but identity now, then send the approver to sign in again at the provider."""
    result = save(
        lambda: ask_to_sign(
            get_db(),
            drill,
            current_user,
            request.form.get("statement", ""),
            independent,
            request.form.get("override", ""),
        )
    )
    if not result.ok:
        return review_page(load_or_404(drill.id), result.errors, 422)
    try:
        return redirect(start_signing(result.value.id, drill.id))
    except ProviderFailure as failure:
        return review_page(drill, {"password": failure.message}, failure.status)


@bp.route("/return", methods=["POST"])
@allow(Role.APPROVER)
def send_back(drill_id: int):
    """Send the drill back to its editors with the reason."""
    drill = load_or_404(drill_id)
    result = save(lambda: return_for_changes(get_db(), drill, current_user, request.form.get("reason", "")[:5000]))
    if not result.ok:
        return review_page(drill, result.errors, 422)
    flash("Sent back for changes.", "success")
    return redirect(url_for("drills.detail", drill_id=drill_id))


@bp.route("/amend", methods=["POST"])
@allow(*EDITORS)
def amend_drill(drill_id: int):
    """Open the next revision of a signed drill."""
    drill = load_or_404(drill_id)
    result = save(lambda: amend(get_db(), drill, current_user))
    if not result.ok:
        flash(" ".join(result.errors.values()), "error")
        return redirect(url_for("drills.detail", drill_id=drill_id))
    flash(f"Revision {result.value.revision} opened. Revision {drill.revision} stays signed as it was.", "success")
    return redirect(url_for("drills.detail", drill_id=result.value.id))


@bp.route("/revisions")
@allow(*READERS)
def revision_list(drill_id: int):
    """Every revision of this record, each with its differences to the one before."""
    drill = load_or_404(drill_id)
    db = get_db()
    chain = [load_or_404(d.id) for d in revisions(db, drill)]
    snapshots = [drill_snapshot(d) for d in chain]
    rows = [
        (d, d.state_when(i < len(chain) - 1), differences(snapshots[i - 1] if i else None, snapshots[i], org_zone()))
        for i, d in enumerate(chain)
    ]
    return render_template("signoff/revisions.html", drill=drill, rows=rows)


@bp.route("/signoffs/<id:signoff_id>.json")
@allow(*READERS)
def signed_snapshot(drill_id: int, signoff_id: int):
    """Exactly what a signature covers, as canonical JSON whose SHA-256 is the signed content hash."""
    signoff = get_or_404(SignOff, signoff_id)
    if signoff.drill_id != drill_id:
        abort(404)
    record_event("export", entity_type="sign_off", entity_id=signoff.id, after={"format": "json"})
    body = json.dumps(json.loads(signoff.snapshot), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="drill-{drill_id}-revision-{signoff.revision}-signed.json"'
        },
    )

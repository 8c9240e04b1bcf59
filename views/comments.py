"""Comments on drills, findings and actions, from everyone who reads them; written once, kept as written."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user

from models.actions.tables import Action
from models.comments import add_comment
from models.drills.tables import Drill
from models.findings.tables import Finding
from models.permissions import READERS
from views.support.access import allow
from views.support.saving import get_or_404, save
from views.support.session import get_db

bp = Blueprint("comments", __name__)

#: each kind of record that takes comments: its table and the page it is read on
SUBJECTS = {
    "drills": (Drill, "drills.detail", "drill_id"),
    "findings": (Finding, "findings.detail", "finding_id"),
    "actions": (Action, "actions.detail", "action_id"),
}


@bp.route("/comments/<any(drills, findings, actions):subject>/<id:record_id>", methods=["POST"])
@allow(*READERS)
def add(subject: str, record_id: int):
    """Add a comment; `@name@example.com` tells that person."""
    model, endpoint, argument = SUBJECTS[subject]
    record = get_or_404(model, record_id)
    page = url_for(endpoint, **{argument: record_id})
    result = save(lambda: add_comment(get_db(), record, request.form.get("body", "")[:6000], current_user, page))
    if result.ok:
        flash("Comment added.", "success")
    else:
        flash(" ".join(result.errors.values()), "error")
    return redirect(page + "#comments")

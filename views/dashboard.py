"""The dashboard: recent drills, outstanding actions, and controls that have evidence."""

from flask import Blueprint, render_template
from flask_login import current_user

from evidence.rendering.formatting import org_today
from models.actions.queries import actions_query, count_overdue_actions
from models.controls.queries import control_record_counts, list_controls
from models.core.paging import page_of
from models.drills.queries import list_drills
from models.permissions import READERS
from models.worklist import worklist
from views.support.access import allow
from views.support.session import get_db

bp = Blueprint("dashboard", __name__)


@bp.route("/")
@allow(*READERS)
def index():
    """What needs attention first: the most urgent outstanding actions and counts taken by the database, whatever the data size."""
    db = get_db()
    today = org_today()
    actions = page_of(db, actions_query(status="outstanding"), 1, 10)
    counts = control_record_counts(db)
    controls = [c for c in list_controls(db) if c.id in counts]
    return render_template(
        "dashboard/index.html",
        work=worklist(db, current_user, today),
        drills=list_drills(db, limit=5),
        actions=actions,
        overdue=count_overdue_actions(db, today),
        controls=controls,
        counts=counts,
    )

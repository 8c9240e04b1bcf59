"""The dashboard: recent drills, outstanding actions, and controls that have evidence."""

from flask import Blueprint, render_template

from models import queries
from views.access import READERS, allow
from views.database import get_db
from views.filters import org_today

bp = Blueprint("dashboard", __name__)


@bp.route("/")
@allow(*READERS)
def index():
    """What needs attention first: the most urgent outstanding actions and counts taken by the database, whatever the data size."""
    db = get_db()
    today = org_today()
    actions = queries.page_of(db, queries.actions_query(status="outstanding"), 1, 10)
    counts = queries.control_record_counts(db)
    controls = [c for c in queries.list_controls(db) if c.id in counts]
    return render_template(
        "dashboard/index.html",
        drills=queries.list_drills(db, limit=5),
        actions=actions,
        overdue=queries.count_overdue_actions(db, today),
        controls=controls,
        counts=counts,
    )

"""The follow-up actions list."""

from flask import Blueprint, render_template, request

from models import queries
from models.findings import ActionStatus
from views.access import READERS, allow
from views.database import get_db

bp = Blueprint("actions", __name__, url_prefix="/actions")

#: the status filters offered above the list: query value and label
FILTERS = [("outstanding", "Outstanding"), ("", "All")] + [(s.value, s.label) for s in ActionStatus]


@bp.route("")
@allow(*READERS)
def index():
    """All actions, outstanding by default; overdue ones marked."""
    status = request.args.get("status", "outstanding")
    if status not in {value for value, _ in FILTERS}:
        status = "outstanding"
    return render_template(
        "actions/index.html", actions=queries.list_actions(get_db(), status=status or None), status=status, filters=FILTERS
    )

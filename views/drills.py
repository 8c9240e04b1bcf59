"""Drill pages: the list and the full record of one drill."""

from flask import Blueprint, abort, render_template

from models import queries
from models.findings import FindingKind
from models.metrics import recovery_by_system
from views.access import READERS, allow
from views.database import get_db

bp = Blueprint("drills", __name__, url_prefix="/drills")


@bp.route("")
@allow(*READERS)
def index():
    """All drills, newest first."""
    return render_template("drills/index.html", drills=queries.list_drills(get_db()))


@bp.route("/<int:drill_id>")
@allow(*READERS)
def detail(drill_id: int):
    """One drill: overview, participants, timeline, recovery, findings, actions, controls."""
    drill = queries.load_drill(get_db(), drill_id)
    if drill is None:
        abort(404)
    return render_template(
        "drills/detail.html",
        drill=drill,
        timeline=drill.timeline(),
        recovery=recovery_by_system(drill),
        headcount=sum(p.headcount for p in drill.participants if not p.standby),
        standby=sum(p.headcount for p in drill.participants if p.standby),
        FindingKind=FindingKind,
    )

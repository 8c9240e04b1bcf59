"""The exercise programme page: every system's last failover, the next due, the drills planned, the year's gaps."""

from flask import Blueprint, render_template, request

from evidence.rendering import charts
from evidence.rendering.formatting import org_zone
from models.core.inputs import EARLIEST, LATEST
from models.core.types import utcnow
from models.permissions import READERS
from models.programme import programme
from views.support.access import allow
from views.support.session import get_db

bp = Blueprint("programme", __name__, url_prefix="/programme")


@bp.route("")
@allow(*READERS)
def index():
    """The programme for a year (this one unless ?year= says otherwise)."""
    zone = org_zone()
    today = utcnow().astimezone(zone).date()
    year = request.args.get("year", type=int) or today.year
    problem = None
    if not EARLIEST.year <= year <= LATEST.year:
        problem, year = f"Choose a year from {EARLIEST.year} to {LATEST.year}.", today.year
    plan = programme(get_db(), year, today, zone)
    trends = {
        r.system.id: charts.trend([(d.isoformat(), v) for d, v in r.history], r.system.rto_minutes)
        for r in plan.systems
        if len(r.history) > 1
    }
    return render_template(
        "programme/index.html",
        plan=plan,
        trends=trends,
        problem=problem,
        today=today,
        earliest=EARLIEST.year,
        latest=LATEST.year,
    ), (400 if problem else 200)

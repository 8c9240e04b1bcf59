"""The exercise programme page: every system's last failover, the next due, the drills planned, the year's gaps."""

import calendar
from datetime import date

from flask import Blueprint, render_template, request

from evidence.rendering import charts
from evidence.rendering.formatting import org_zone
from models.core.inputs import EARLIEST, LATEST
from models.core.types import utcnow
from models.permissions import READERS
from models.programme import drill_day, programme
from views.support.access import allow
from views.support.session import get_db

bp = Blueprint("programme", __name__, url_prefix="/programme")


def year_calendar(year: int, marks: dict[date, list]) -> list[tuple[str, list[list[tuple[date | None, list]]]]]:
    """The year as twelve months of weeks (Monday first); each day with the drills marked on it, None outside the month."""
    weeks = calendar.Calendar(firstweekday=0)
    return [
        (
            date(year, month, 1).strftime("%B"),
            [
                [(day, marks.get(day, [])) if day.month == month else (None, []) for day in week]
                for week in weeks.monthdatescalendar(year, month)
            ],
        )
        for month in range(1, 13)
    ]


@bp.route("")
@allow(*READERS)
def index():
    """The programme for a year (this one unless ?year= says otherwise)."""
    zone = org_zone()
    today = utcnow().astimezone(zone).date()
    raw, problem = request.args.get("year"), None
    year = today.year if not raw else int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 6 else 0
    if not EARLIEST.year <= year <= LATEST.year:
        problem, year = f"Choose a year from {EARLIEST.year} to {LATEST.year}.", today.year
    plan = programme(get_db(), year, today, zone)
    trends = {
        r.system.id: charts.trend([(d.isoformat(), v) for d, v in r.history], r.system.rto_minutes)
        for r in plan.systems
        if len(r.history) > 1
    }
    marks: dict[date, list] = {}
    for drill in plan.ran_in_year:
        marks.setdefault(drill_day(drill, zone), []).append((drill, "ran"))
    for day, drill in plan.planned:
        if day.year == year:
            marks.setdefault(day, []).append((drill, "planned"))
    return render_template(
        "programme/index.html",
        plan=plan,
        months=year_calendar(year, marks),
        trends=trends,
        problem=problem,
        today=today,
        earliest=EARLIEST.year,
        latest=LATEST.year,
    ), (400 if problem else 200)

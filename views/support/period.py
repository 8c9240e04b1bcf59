"""The audit period a coverage page is read for, from ?from=&to=."""

from datetime import date, timedelta

from flask import request

from evidence.rendering.formatting import org_today
from models.controls.coverage import Period


def audit_period() -> tuple[Period, str | None]:
    """The audit period from ?from=&to=, by default the twelve months up to today; an error message if unreadable."""
    today = org_today()
    default = Period(today - timedelta(days=365), today)
    try:
        start = date.fromisoformat(request.args["from"]) if request.args.get("from") else default.start
        end = date.fromisoformat(request.args["to"]) if request.args.get("to") else default.end
        return Period(start, end), None
    except ValueError as exc:
        message = f"{exc}." if "period" in str(exc) else "Dates must be written YYYY-MM-DD."
        return default, f"{message[:1].upper()}{message[1:]} Showing the last twelve months instead."

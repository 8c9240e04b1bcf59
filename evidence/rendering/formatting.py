"""Dates, times and durations as people read them: in the organisation's time zone, with a dash when unknown."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app, g


def org_zone() -> ZoneInfo:
    """The organisation's time zone, in which every time is shown."""
    return ZoneInfo(current_app.config["TIMEZONE"])


def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An aware UTC time shown in the organisation's zone; a dash when unknown."""
    if value is None:
        return "—"
    return _local(value).strftime(fmt)


def utctime(value: datetime | None, fmt: str = "%H:%M") -> str:
    """The same instant in UTC, for auditors comparing with logs."""
    if value is None:
        return "—"
    return value.astimezone(timezone.utc).strftime(fmt)


def duration(value: timedelta | int | None) -> str:
    """ "15 min", "2 h 17 min", "3 d 4 h"; minutes may be given as an int; a dash when unknown."""
    if value is None:
        return "—"
    minutes = value if isinstance(value, int) else round(value.total_seconds() / 60)
    sign = "−" if minutes < 0 else ""
    minutes = abs(minutes)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{sign}{days} d {hours} h"
    if hours:
        return f"{sign}{hours} h {mins:02d} min"
    return f"{sign}{mins} min"


def signed_duration(value: timedelta | None) -> str:
    """A variance with its sign: "+5 min" over plan, "−5 min" under, "on plan" when equal."""
    if value is None:
        return "—"
    if not value:
        return "on plan"
    text = duration(value)
    return text if text.startswith("−") else "+" + text


def long_date(value: date | datetime | None) -> str:
    """ "Saturday 13 June 2020"; dates of aware times are taken in the organisation's zone."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = _local(value).date()
    return f"{value:%A} {value.day} {value:%B %Y}"


def org_today() -> date:
    """Today's date in the organisation's zone, the day against which due dates are judged; read once per request."""
    if "org_today" not in g:
        g.org_today = datetime.now(org_zone()).date()
    return g.org_today


def _local(value: datetime) -> datetime:
    """The instant in the organisation's zone; an instant so near the end of time that the zone overflows stays in UTC."""
    try:
        return value.astimezone(org_zone())
    except OverflowError:
        return value.astimezone(timezone.utc)

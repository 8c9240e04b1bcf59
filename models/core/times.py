"""Local wall-clock times in, aware UTC out: refusing times a daylight-saving change skips or repeats."""

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo


class LocalTimeError(ValueError):
    """A local time that cannot be turned into one instant."""


def parse_local(text: str, zone: ZoneInfo) -> datetime:
    """Parse "2020-06-13T05:00" (local to `zone`) or an ISO time with offset into aware UTC.

    A wall time that a spring-forward change skips does not exist, and one that a
    fall-back change repeats is ambiguous; both are refused with the fix in the message.
    """
    text = " ".join(text.split())
    try:
        if not ISO_MOMENT.fullmatch(text):  # a day alone, a week date, an hour without minutes: not a moment
            raise ValueError(text)
        value = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        value = _day_first(text)
    if not 1900 <= value.year <= 9000:  # converting such a time between zones can leave the calendar altogether
        raise LocalTimeError(f"“{text}” is not a plausible date and time for a record.")
    if value.tzinfo is not None:
        return value.astimezone(timezone.utc)
    early, late = value.replace(tzinfo=zone, fold=0), value.replace(tzinfo=zone, fold=1)
    if early.utcoffset() != late.utcoffset():
        if _round_trips(early):
            raise LocalTimeError(
                f"{text} happens twice in {zone.key} (clocks go back); add the offset, "
                f"e.g. {early.isoformat(timespec='minutes')} or {late.isoformat(timespec='minutes')}."
            )
        raise LocalTimeError(f"{text} does not exist in {zone.key} (clocks go forward).")
    return early.astimezone(timezone.utc)


#: the ISO 8601 moments accepted: a calendar date and a time to the minute at least, an offset optional
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?")
#: how Belgian (and British) spreadsheets write a date and time: the day first
DAY_FIRST = ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%d-%m-%Y %H:%M:%S", "%d.%m.%Y %H:%M")


def _day_first(text: str) -> datetime:
    for layout in DAY_FIRST:
        try:
            return datetime.strptime(text, layout)
        except ValueError:
            continue
    raise LocalTimeError(f"“{text}” is not a date and time (expected YYYY-MM-DD HH:MM or DD/MM/YYYY HH:MM).")


def _round_trips(local: datetime) -> bool:
    """True when the wall time survives a trip through UTC, i.e. it exists in its zone."""
    back = local.astimezone(timezone.utc).astimezone(local.tzinfo)
    return back.replace(tzinfo=None) == local.replace(tzinfo=None)


def format_local(value: datetime | None, zone: ZoneInfo) -> str:
    """The wall time in `zone` with its offset, so it reads back to the same instant."""
    if value is None:
        return ""
    return value.astimezone(zone).isoformat(timespec="minutes")


def input_value(value: datetime | None, zone: ZoneInfo) -> str:
    """The value for an `<input type="datetime-local">`: wall time without offset."""
    if value is None:
        return ""
    return value.astimezone(zone).strftime("%Y-%m-%dT%H:%M")

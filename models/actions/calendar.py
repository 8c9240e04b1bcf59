"""A personal iCalendar feed (RFC 5545) of the due dates of a user's outstanding actions, built with `icalendar`."""

from datetime import datetime, timedelta, timezone

from icalendar import Calendar, Event

from models.actions.tables import Action


def _one_line(text: str) -> str:
    """Text with every kind of line break made a plain one, which the library then escapes: a bare CR included."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def calendar_feed(actions: list[Action], base_url: str, host: str, now: datetime) -> str:
    """One all-day event per action on its due date; lasting one day, so even 9999-12-31 is a valid event."""
    calendar = Calendar()
    for name, value in (
        ("prodid", "-//Drillbook//Follow-up actions//EN"),
        ("version", "2.0"),
        ("calscale", "GREGORIAN"),
        ("method", "PUBLISH"),
        ("x-wr-calname", "Drillbook actions"),
    ):
        calendar.add(name, value)
    stamp = now.astimezone(timezone.utc).replace(microsecond=0)
    for action in actions:
        if action.due_date is None:
            continue
        url = f"{base_url.rstrip('/')}/actions/{action.id}"
        event = Event()
        event.add("uid", f"action-{action.id}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", action.due_date)
        event.add("duration", timedelta(days=1))
        event.add("summary", _one_line(f"Due: {action.title}"))
        event.add("description", _one_line(f"{action.status.english}. {url}"))
        event.add("url", url)
        calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")

"""A personal iCalendar feed (RFC 5545) of the due dates of a user's outstanding actions."""

from datetime import datetime, timedelta, timezone

from models.actions.tables import Action


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space, as the standard asks."""
    data = line.encode("utf-8")
    parts, start = [], 0
    while len(data) - start > 75:
        end = start + (75 if not parts else 74)
        while end > start and (data[end] & 0xC0) == 0x80:  # never split a UTF-8 character
            end -= 1
        parts.append(data[start:end].decode("utf-8"))
        start = end
    parts.append(data[start:].decode("utf-8"))
    return "\r\n ".join(parts)


def calendar_feed(actions: list[Action], base_url: str, host: str, now: datetime) -> str:
    """One all-day event per action on its due date."""
    stamp = now.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Drillbook//Follow-up actions//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:Drillbook actions",
    ]
    for action in actions:
        if action.due_date is None:
            continue
        url = f"{base_url.rstrip('/')}/actions/{action.id}"
        lines += [
            "BEGIN:VEVENT",
            f"UID:action-{action.id}@{host}",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{action.due_date:%Y%m%d}",
            f"DTEND;VALUE=DATE:{action.due_date + timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{_escape('Due: ' + action.title)}",
            f"DESCRIPTION:{_escape(f'{action.status.label}. {url}')}",
            f"URL:{url}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"

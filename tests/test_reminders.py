"""Reminder e-mails through a real SMTP server on loopback, and the personal calendar feed."""

import socket
from datetime import date, datetime, timedelta, timezone

import icalendar
import pytest
from sqlmodel import select

from evidence.witness import Checkpoint
from models import audit
from models.actions.calendar import calendar_feed
from models.actions.reminders import ReminderLog
from models.actions.tables import Action, ActionStatus
from models.audit import AuditEvent
from models.people.users import Role
from tests.helpers import Auth, csrf_token


@pytest.fixture
def due_actions(db, users):
    today = date.today()
    editor, approver = users[Role.EDITOR], users[Role.APPROVER]
    actions = [
        Action(title="Overdue DNS change", owner_id=editor.id, due_date=today - timedelta(days=2)),
        Action(title="Due soon network config", owner_id=editor.id, due_date=today + timedelta(days=3)),
        Action(title="Far future backup", owner_id=editor.id, due_date=today + timedelta(days=60)),
        Action(title="Done already", owner_id=editor.id, due_date=today - timedelta(days=5), status=ActionStatus.DONE),
        Action(title="Approver's partner tests", owner_id=approver.id, due_date=today + timedelta(days=1)),
    ]
    db.add_all(actions)
    db.commit()
    return actions


def test_remind_sends_one_mail_per_owner_and_never_twice_a_day(app, db, runner, smtp, due_actions, users):
    audit.record(db, "create", actor="editor@example.test", entity_type="action", entity_id=1)
    db.commit()
    result = runner.invoke(args=["remind", "--days", "7"])
    assert result.exit_code == 0, result.output
    assert "Sent 2 reminders." in result.output
    by_recipient = {m["To"]: m for m in smtp.messages}
    assert set(by_recipient) == {"editor@example.test", "approver@example.test"}
    body = by_recipient["editor@example.test"].get_payload(decode=True).decode()
    assert "Overdue DNS change (OVERDUE since" in body and "Due soon network config (due" in body
    assert "Far future backup" not in body and "Done already" not in body
    assert "https://drillbook.example.test/actions/" in body
    assert by_recipient["editor@example.test"]["Subject"] == "Drillbook: 1 overdue follow-up actions"
    checkpoint = Checkpoint.parse(body.split("Audit trail checkpoint: ")[1].split()[0])
    assert checkpoint.verifies(app.extensions["drillbook.key"].public), (
        "the e-mail carries a head signed by the instance"
    )
    again = runner.invoke(args=["remind", "--days", "7"])
    assert "Sent 0 reminders." in again.output and len(smtp.messages) == 2


def test_remind_without_smtp_settings_says_what_to_set(runner, due_actions):
    result = runner.invoke(args=["remind"])
    assert result.exit_code == 1 and "Set DRILLBOOK_SMTP_HOST" in result.output


def test_remind_with_an_unreachable_server_logs_nothing_as_sent(app, runner, due_actions, db):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=closed_port)
    result = runner.invoke(args=["remind"])
    assert result.exit_code == 1 and "Could not send e-mail" in result.output
    assert db.exec(select(ReminderLog)).all() == []


def _issue_feed(client) -> str:
    page = client.post("/account/calendar", data={"csrf_token": csrf_token(client, "/account")}).get_data(as_text=True)
    start = page.index("/calendar/")
    return page[start : page.index(".ics", start) + 4]


def test_calendar_feed_is_personal_secret_and_revocable(app, due_actions, users):
    client = app.test_client()
    Auth(client).login_as(Role.EDITOR)
    feed_path = _issue_feed(client)
    anonymous = app.test_client()
    response = anonymous.get(feed_path)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar = icalendar.Calendar.from_ical(response.data)
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"Due: Overdue DNS change", "Due: Due soon network config", "Due: Far future backup"}
    assert events["Due: Far future backup"].decoded("DTSTART") == date.today() + timedelta(days=60)
    new_path = _issue_feed(client)
    assert anonymous.get(feed_path).status_code == 404, "issuing a new address retires the old one"
    assert anonymous.get(new_path).status_code == 200
    client.post("/account/calendar/revoke", data={"csrf_token": csrf_token(client, "/account")})
    assert anonymous.get(new_path).status_code == 404


def test_calendar_feed_guessing_gets_nothing(client):
    assert client.get("/calendar/guess.ics").status_code == 404
    assert client.get("/calendar/" + "a" * 500 + ".ics").status_code == 404


def test_calendar_lines_are_folded_and_escaped(due_actions):
    due_actions[0].title = "Semicolons; commas, and a very long title " + "x" * 120
    feed = calendar_feed(due_actions[:1], "https://d.example/", "d.example", datetime.now(timezone.utc))
    assert all(len(line.encode()) <= 75 for line in feed.split("\r\n"))
    event = next(iter(icalendar.Calendar.from_ical(feed).walk("VEVENT")))
    assert str(event["SUMMARY"]) == "Due: " + due_actions[0].title


def test_issuing_and_revoking_the_calendar_address_is_audited(app, db, users):
    client = app.test_client()
    Auth(client).login_as(Role.EDITOR)
    _issue_feed(client)
    client.post("/account/calendar/revoke", data={"csrf_token": csrf_token(client, "/account")})
    editor = users[Role.EDITOR]
    events = db.exec(select(AuditEvent).where(AuditEvent.actor_id == editor.id).order_by(AuditEvent.seq)).all()
    assert [e.action for e in events if e.action.startswith("calendar")] == ["calendar_issued", "calendar_revoked"]
    assert all(
        e.entity_type == "user" and e.entity_id == str(editor.id) for e in events if e.action.startswith("calendar")
    )


def test_a_bare_carriage_return_and_the_last_possible_due_date_make_a_valid_feed(due_actions):
    due_actions[0].title = "Line one\rBEGIN:VEVENT injected"
    due_actions[0].due_date = date(9999, 12, 31)
    feed = calendar_feed(due_actions[:1], "https://d.example/", "d.example", datetime.now(timezone.utc))
    assert "\r" not in feed.replace("\r\n", ""), "no carriage return outside a line ending"
    events = list(icalendar.Calendar.from_ical(feed).walk("VEVENT"))
    assert len(events) == 1 and events[0].decoded("DTSTART") == date(9999, 12, 31)
    assert str(events[0]["SUMMARY"]) == "Due: Line one\nBEGIN:VEVENT injected"

"""Notifications: e-mails through a real SMTP server on loopback, signed webhooks to a real receiver, retries."""

import hashlib
import hmac
import http.server
import json
import threading
import time
from datetime import date, timedelta

import pytest
from sqlmodel import select

from models.actions.tables import Action
from models.core.types import utcnow
from models.drills.tables import Drill
from models.notifications.tables import DeliveryStatus, Notification, NotificationKind, Webhook
from models.people.users import Role, add_user
from tests.helpers import OVERRIDE, PASSWORD, Auth, csrf_token, reread


def as_role(app, role):
    client = app.test_client()
    Auth(client).login_as(role)
    return client


def post(client, path, **data):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/")})


def wait_for(predicate, seconds: float = 10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if value := predicate():
            return value
        time.sleep(0.05)
    raise AssertionError("not delivered in time")


def mails_to(inbox, address):
    return [m for m in inbox.messages if m["To"] == address]


def subject(mail) -> str:
    """The subject as a mail program shows it, unfolded."""
    return " ".join(str(mail["Subject"]).split())


@pytest.fixture
def second_approver(db):
    person = add_user(db, "approver2@example.test", "Second Approver", Role.APPROVER, PASSWORD)
    db.commit()
    return person


def test_submit_send_back_and_sign_reach_the_right_people(app, db, users, demo, smtp, second_approver):
    """Nobody was told anything: not on submit, send-back or signing."""
    demo.status = demo.status.RUNNING  # as before its submission
    db.commit()
    editor, approver = as_role(app, Role.EDITOR), as_role(app, Role.APPROVER)
    assert post(editor, f"/drills/{demo.id}/submit").status_code == 302
    for address in ("approver@example.test", "approver2@example.test"):
        mail = wait_for(lambda a=address: mails_to(smtp, a))[0]
        assert subject(mail) == f"Awaiting your signature: {demo.title}"
        assert f"https://drillbook.example.test/drills/{demo.id}/review" in mail.get_content()
    assert not mails_to(smtp, "editor@example.test"), "whoever submits is not told of their own act"
    assert post(approver, f"/drills/{demo.id}/return", reason="Rate the objectives first.").status_code == 302
    back = wait_for(lambda: mails_to(smtp, "editor@example.test"))[0]
    assert subject(back).startswith("Sent back for changes") and "Rate the objectives first." in back.get_content()
    post(editor, f"/drills/{demo.id}/submit")
    signed = post(
        approver, f"/drills/{demo.id}/sign", password=PASSWORD, statement="A true account.", override=OVERRIDE
    )
    assert signed.status_code == 302
    mail = wait_for(lambda: [m for m in mails_to(smtp, "editor@example.test") if subject(m).startswith("Signed")])
    assert "now frozen" in mail[0].get_content()


def test_actions_notify_their_owner_and_the_verifiers(app, db, users, smtp):
    """Nobody was told of an assignment, a done action awaiting verification, or an action found not effective."""
    admin, approver = as_role(app, Role.ADMIN), as_role(app, Role.APPROVER)
    editor = users[Role.EDITOR]
    made = post(admin, "/actions/new", title="Register the backup IP", owner_id=str(editor.id), due_date="2030-01-31")
    assert made.status_code == 302
    assigned = wait_for(lambda: mails_to(smtp, "editor@example.test"))[0]
    assert (
        assigned["Subject"] == "Assigned to you: Register the backup IP" and "due 2030-01-31" in assigned.get_content()
    )
    action = db.exec(select(Action)).one()
    owner = as_role(app, Role.EDITOR)
    post(owner, f"/actions/{action.id}/complete", completion_note="Both TSOs registered it.")
    wait_for(lambda: mails_to(smtp, "approver@example.test") and mails_to(smtp, "admin@example.test"))
    assert [subject(m) for m in mails_to(smtp, "approver@example.test")] == [
        "Awaiting verification: Register the backup IP"
    ]
    post(
        approver,
        f"/actions/{action.id}/verify",
        verification_method="Test from the backup site",
        verification_result="not_effective",
        effectiveness_checked_on=date.today().isoformat(),
        verification_notes="TSO B still refuses the address.",
    )
    reopened = wait_for(lambda: [m for m in mails_to(smtp, "editor@example.test") if "Not effective" in subject(m)])
    assert "TSO B still refuses the address." in reopened[0].get_content()


def test_a_person_turns_a_kind_off(app, db, users, demo, smtp, second_approver):
    demo.status = demo.status.RUNNING
    db.commit()
    approver = as_role(app, Role.APPROVER)
    page = approver.get("/account").get_data(as_text=True)
    assert "A drill is submitted for my signature" in page
    kept = ["sent_back", "signed", "assigned", "not_effective", "done"]
    assert post(approver, "/account/notifications", kind=kept).status_code == 302
    post(as_role(app, Role.EDITOR), f"/drills/{demo.id}/submit")
    wait_for(lambda: mails_to(smtp, "approver2@example.test"))
    time.sleep(0.3)
    assert not mails_to(smtp, "approver@example.test"), [(m["To"], subject(m)) for m in smtp.messages]
    assert 'value="submitted">' in approver.get("/account").get_data(as_text=True)
    assert 'value="submitted" checked' not in approver.get("/account").get_data(as_text=True)


class Receiver:
    """A webhook receiver on loopback that checks each call's signature and can fail the first calls."""

    def __init__(self, failures: int = 0):
        self.calls, self.failures, self.secret = [], failures, ""
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                stamp = self.headers["X-Drillbook-Timestamp"]
                expected = (
                    "sha256="
                    + hmac.new(receiver.secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
                )
                receiver.calls.append((self.headers["X-Drillbook-Signature"] == expected, json.loads(body)))
                status = 500 if receiver.failures > 0 else 204
                receiver.failures -= 1
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver():
    made = Receiver(failures=1)
    yield made
    made.server.shutdown()


def test_a_webhook_gets_signed_events_and_a_failed_call_is_retried(app, db, users, demo, receiver):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    admin = as_role(app, Role.ADMIN)
    page = post(admin, "/webhooks", url=receiver.url, description="#continuity", kinds=["submitted", "signed"])
    receiver.secret = db.exec(select(Webhook)).one().secret
    assert page.status_code == 200 and receiver.secret in page.get_data(as_text=True), "the secret is shown once"
    assert receiver.secret not in admin.get("/webhooks").get_data(as_text=True)
    demo.status = demo.status.RUNNING
    db.commit()
    post(as_role(app, Role.EDITOR), f"/drills/{demo.id}/submit")
    wait_for(lambda: receiver.calls)
    wait_for(lambda: (reread(db), all(n.attempts for n in db.exec(select(Notification)).all()))[1])
    waiting = db.exec(select(Notification).where(Notification.webhook_id.is_not(None))).one()
    assert (waiting.status, waiting.attempts) == (DeliveryStatus.QUEUED, 1) and "500" in waiting.last_error
    assert waiting.next_attempt_at > utcnow() + timedelta(seconds=30), "the retry waits"
    waiting.next_attempt_at = utcnow() - timedelta(seconds=1)  # the wait is over
    db.commit()
    assert app.extensions["drillbook.outbox"].deliver_due() == 1
    reread(db)
    assert db.get(Notification, waiting.id).status == DeliveryStatus.SENT
    signed_ok, body = receiver.calls[-1]
    assert signed_ok and body["event"] == "submitted" and body["drill_id"] == demo.id
    assert body["text"].endswith(f"submitted revision 1 of “{demo.title}” for review and sign-off.")
    assert body["url"].endswith(f"/drills/{demo.id}/review")


def test_a_webhook_cannot_be_aimed_inside_the_network(app, users):
    admin = as_role(app, Role.ADMIN)
    for url, message in (
        ("http://127.0.0.1:8080/hook", "an address inside this network"),
        ("http://169.254.169.254/latest/meta-data", "an address inside this network"),
        ("file:///etc/passwd", "starts with https://"),
    ):
        refused = post(admin, "/webhooks", url=url)
        assert refused.status_code == 422 and message in refused.get_data(as_text=True), url
    assert post(as_role(app, Role.EDITOR), "/webhooks", url="https://example.com/").status_code == 403


def test_a_mail_server_that_is_down_never_fails_the_request(app, db, users, demo, smtp):
    """The event is saved and the e-mail waits in the outbox until the server answers."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    working = app.config["SMTP_PORT"]
    app.config["SMTP_PORT"] = closed
    demo.status = demo.status.RUNNING
    db.commit()
    assert post(as_role(app, Role.EDITOR), f"/drills/{demo.id}/submit").status_code == 302
    reread(db)
    assert db.get(Drill, demo.id).status.value == "review"

    def all_tried():  # the approvers of the demo data and of the test: one e-mail each
        reread(db)
        mails = db.exec(select(Notification)).all()
        return mails if mails and all(m.attempts == 1 for m in mails) else None

    mails = wait_for(all_tried)
    assert all(m.status == DeliveryStatus.QUEUED and "Could not send e-mail" in m.last_error for m in mails)
    app.config["SMTP_PORT"] = working
    for mail in mails:
        mail.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.commit()
    assert app.extensions["drillbook.outbox"].deliver_due() == len(mails)
    assert mails_to(smtp, "approver@example.test")


def test_a_title_with_line_breaks_or_300_characters_never_blocks_the_outbox(app, db, users, smtp, second_approver):
    """A subject with a line break raised outside the handled errors, so the row was claimed again for ever and
    the rows after it never went; a 300-character title overflowed the subject column on PostgreSQL."""
    from models.drills.tables import DrillKind, DrillStatus

    editor = as_role(app, Role.EDITOR)
    for title in ("Failover\r\nBcc: victim@evil.test", "x" * 300):
        drill = Drill(title=title, kind=DrillKind.TABLETOP, status=DrillStatus.RUNNING, actual_start=utcnow())
        db.add(drill)
        db.commit()
        assert post(editor, f"/drills/{drill.id}/submit").status_code == 302
    wait_for(lambda: len(smtp.messages) == 4)
    assert all("\n" not in str(m["Subject"]).strip() and "Bcc" not in m for m in smtp.messages)

    def statuses():  # a row is marked sent just after its server took the message: wait for the last mark
        reread(db)
        found = {n.status for n in db.exec(select(Notification)).all()}
        return found if DeliveryStatus.QUEUED not in found else None

    assert wait_for(statuses) == {DeliveryStatus.SENT}


def test_a_person_deactivated_after_the_event_is_not_mailed(app, db, users, demo, smtp):
    from models.notifications.outbox import notify

    approver = users[Role.APPROVER]
    notify(db, NotificationKind.SUBMITTED, [approver], users[Role.EDITOR], "Awaiting", "Text", "/", {})
    approver.active = False
    db.commit()
    app.extensions["drillbook.outbox"].deliver_due()
    assert smtp.messages == []
    reread(db)
    assert db.exec(select(Notification)).one().status == DeliveryStatus.SENT, "settled: nothing to retry"


@pytest.mark.parametrize(
    "url",
    ["http://93.184.215.14:99999/", "http://[::1/", "http://" + "a" * 70 + ".example/", "https://example.com/a b"],
)
def test_a_malformed_webhook_address_is_a_clear_refusal(app, users, url):
    """Such addresses answered 500."""
    refused = post(as_role(app, Role.ADMIN), "/webhooks", url=url)
    assert refused.status_code == 422


def test_a_webhook_is_called_at_the_address_that_was_checked(app, db, users, receiver, monkeypatch):
    """The name was resolved to check it and again to connect: a name that changed its answer (DNS rebinding)
    reached loopback."""
    import socket

    from views.support import outbox

    real = socket.getaddrinfo
    answers = iter(["93.184.215.14"] + ["127.0.0.1"] * 10)  # public when checked, loopback afterwards

    def rebinding(host, *args, **kwargs):
        if host == "rebind.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), args[0] if args else 0))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(outbox.socket, "getaddrinfo", rebinding)
    connected = []
    monkeypatch.setattr(
        outbox.socket,
        "create_connection",
        lambda address, *a, **k: connected.append(address) or (_ for _ in ()).throw(OSError("stop")),
    )
    hook = Webhook(url=f"http://rebind.example:{receiver.server.server_port}/hook", secret="s")
    db.add(hook)
    db.commit()
    sender = app.extensions["drillbook.outbox"]
    queued = Notification(kind=NotificationKind.SUBMITTED, webhook_id=hook.id, subject="s", text="t", path="/")
    assert sender._send(queued) == "OSError: stop"
    assert connected == [("93.184.215.14", receiver.server.server_port)] and receiver.calls == []

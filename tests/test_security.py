"""Security requirements proven end to end, each test named after the OWASP ASVS 4.0.3 requirement it covers.

The route × role matrix (V4.1.1, V4.1.3) lives in test_access.py; CSRF on every form in
test_auth.py and test_signoff.py; the PDF renderer's refusal to fetch anything in test_reports.py.
"""

import html.parser
import io
import json
import re
import statistics
import time
from datetime import timedelta
from pathlib import Path

import pytest
from flask import render_template
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject
from sqlmodel import func, select

from evidence.rendering.markdown import ALLOWED_ATTRIBUTES, ALLOWED_SCHEMES, ALLOWED_TAGS
from evidence.reports.issuing import CSS_PATH, assemble
from evidence.reports.pdf import render_pdf
from models.actions.tables import Action, ActionStatus, ActionTransition
from models.audit import AuditEvent
from models.drills.tables import Drill, DrillKind, Objective, Phase, Step
from models.findings.tables import Finding, FindingKind
from models.people.sign_in import UNKNOWN_ACCOUNT
from models.people.throttle import SignInFailure
from models.people.users import Role, find_user
from models.reports import ReportKind
from tests.helpers import PASSWORD, Auth, bearer, csrf_token, make_token, reread

NEW_PASSWORD = "orbit canal lantern seventy"


def _payloads() -> list[str]:
    lines = (Path(__file__).parent / "data" / "xss-payloads.txt").read_text(encoding="utf-8").splitlines()
    return [line.replace("\\n", "\n") for line in lines if line and not line.startswith("#")]


XSS_PAYLOADS = _payloads()


# V2.2.1: anti-automation against credential guessing -------------------------------------------


def test_v2_2_1_failed_sign_ins_lock_the_account_even_for_the_right_password(client, auth):
    for _ in range(5):
        assert auth.login("editor@example.test", "wrong password!").status_code == 401
    response = auth.login("editor@example.test", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-ins for this account" in response.get_data(as_text=True)
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    assert client.get("/").status_code == 302, "a locked account must not be signed in"


def test_v2_2_1_the_lock_is_per_account_and_ends_after_the_window(app, client, auth, db):
    for _ in range(5):
        auth.login("editor@example.test", "wrong password!")
    assert Auth(app.test_client()).login("auditor@example.test").status_code == 302, "other accounts are unaffected"
    for failure in db.exec(select(SignInFailure)).all():
        failure.failed_at -= timedelta(minutes=16)
    db.commit()
    assert auth.login("editor@example.test").status_code == 302


def test_v2_2_1_failures_from_one_address_are_limited_across_accounts(app, users):
    app.config["LOGIN_FAILURES_PER_ADDRESS"] = 3
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    for name in ("a", "b", "c"):
        assert Auth(attacker).login(f"{name}@example.test", "guess guess guess").status_code == 401
    response = Auth(attacker).login("approver@example.test")
    assert response.status_code == 429
    assert "from your network address" in response.get_data(as_text=True)
    colleague = app.test_client()
    colleague.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert Auth(colleague).login("approver@example.test").status_code == 302


def test_v2_2_1_a_successful_sign_in_forgives_the_accounts_earlier_failures(client, auth, db):
    for _ in range(4):
        auth.login("editor@example.test", "wrong password!")
    auth.login_as(Role.EDITOR)
    auth.logout()
    for _ in range(4):
        auth.login("editor@example.test", "wrong password!")
    assert auth.login("editor@example.test").status_code == 302


def test_v2_2_1_failed_sign_ins_cost_bounded_audit_space(app, client, auth, db):
    """205 anonymous requests once added 205 permanent entries, with text the attacker chose."""
    app.config["LOGIN_FAILURES_PER_ADDRESS"] = 1000
    first = db.exec(select(func.max(AuditEvent.seq))).one() or 0
    for number in range(30):
        auth.login(f"guess{number}@example.test", "wrong password!")
    for _ in range(10):
        auth.login("editor@example.test", "wrong password!")
    reread(db)
    events = db.exec(select(AuditEvent).where(AuditEvent.seq > first).order_by(AuditEvent.seq)).all()
    assert [(e.action, e.actor) for e in events] == [
        ("login_failed", UNKNOWN_ACCOUNT),
        ("login_failed", "editor@example.test"),
        ("login_locked", "editor@example.test"),
    ]
    assert not any("guess" in (e.actor + e.after) for e in events)
    assert json.loads(events[-1].after) == {"address": "127.0.0.1", "reason": "for this account", "minutes": 15}
    assert len(db.exec(select(SignInFailure)).all()) == 35, "every failure still counts towards the limits"


def test_v2_2_1_each_new_address_and_window_is_audited_again(app, db, users):
    first = db.exec(select(func.max(AuditEvent.seq))).one() or 0
    for address in ("203.0.113.1", "203.0.113.2", "203.0.113.2"):
        stranger = app.test_client()
        stranger.environ_base["REMOTE_ADDR"] = address
        Auth(stranger).login("nobody@example.test", "wrong password!")
    reread(db)
    events = db.exec(select(AuditEvent).where(AuditEvent.seq > first)).all()
    assert [json.loads(e.after)["address"] for e in events] == ["203.0.113.1", "203.0.113.2"]
    for failure in db.exec(select(SignInFailure)).all():
        failure.failed_at -= timedelta(minutes=16)
    db.commit()
    Auth(stranger).login("nobody@example.test", "wrong password!")
    reread(db)
    assert len(db.exec(select(AuditEvent).where(AuditEvent.seq > first)).all()) == 3


# V2.1: password rules, and a change needs the current password ----------------------------------


def _change_password(client, current, new, confirm=None):
    return client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(client, "/account/password"),
            "current_password": current,
            "new_password": new,
            "confirm_password": new if confirm is None else confirm,
        },
    )


@pytest.mark.parametrize(
    "new, message",
    [
        ("short pass", "at least 12 characters"),  # V2.1.1
        ("x" * 129, "at most 128 characters"),
        ("password1234", "very common password"),  # V2.1.7
        ("qwertyuiop123", "very common password"),
        ("aaaaaaaaaaaaaaaa", "Repeats"),
        ("editor@example.test", "Choose a harder password"),  # the person's own e-mail
    ],
)
def test_v2_1_weak_passwords_are_refused_with_the_reason(client, auth, new, message):
    auth.login_as(Role.EDITOR)
    response = _change_password(client, PASSWORD, new)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True).replace("&#34;", '"')
    Auth(client).logout()
    assert Auth(client).login("editor@example.test").status_code == 302, "the old password still works"


@pytest.mark.parametrize("length", [64, 128])
def test_v2_1_2_long_passwords_and_any_characters_are_allowed(client, auth, length):
    new = ("Grüße, ключ 🔑 " + "orbit canal lantern " * 10)[:length]
    auth.login_as(Role.EDITOR)
    assert _change_password(client, PASSWORD, new).status_code == 302
    Auth(client).logout()
    assert Auth(client).login("editor@example.test", new).status_code == 302


def test_v2_1_6_a_password_change_needs_the_current_password(client, auth, db):
    auth.login_as(Role.EDITOR)
    response = _change_password(client, "not my password", NEW_PASSWORD)
    assert response.status_code == 422
    assert "This is not your current password." in response.get_data(as_text=True)
    reread(db)
    assert find_user(db, "editor@example.test").check_password(PASSWORD)
    assert _change_password(client, PASSWORD, NEW_PASSWORD, "a different confirmation").status_code == 422


def test_v2_1_6_wrong_current_passwords_count_towards_the_lockout(client, auth):
    auth.login_as(Role.EDITOR)
    for _ in range(5):
        assert _change_password(client, "guess number one", NEW_PASSWORD).status_code == 422
    assert _change_password(client, PASSWORD, NEW_PASSWORD).status_code == 429


# V3: sessions --------------------------------------------------------------------------------


def test_v3_2_1_sign_in_starts_a_new_session(client, users):
    before = csrf_token(client)
    Auth(client).login_as(Role.EDITOR)
    assert csrf_token(client, "/account") != before, "nothing from the anonymous session survives sign-in"


def test_v3_3_password_change_ends_every_other_session_but_keeps_this_one(app, client, auth):
    auth.login_as(Role.EDITOR)
    laptop = app.test_client()
    Auth(laptop).login_as(Role.EDITOR)
    captured = client.get_cookie("drillbook_session").value
    assert _change_password(client, PASSWORD, NEW_PASSWORD).status_code == 302
    assert client.get("/").status_code == 200, "the session that changed the password goes on"
    assert laptop.get("/").status_code == 302, "another device is signed out"
    thief = app.test_client()
    thief.set_cookie("drillbook_session", captured)
    assert thief.get("/").status_code == 302, "a cookie captured before the change is useless"


def _change_person(client, person, **fields):
    """An administrator's save of the person form, as the page sends it; without `active`, the person is deactivated."""
    data = {"email": person.email, "name": person.name, "role": person.role.value, "title": "", **fields}
    return client.post(f"/people/{person.id}", data={"csrf_token": csrf_token(client, f"/people/{person.id}"), **data})


def test_v3_3_deactivation_by_an_administrator_ends_the_persons_sessions(app, client, auth, users, db):
    editor = app.test_client()
    Auth(editor).login_as(Role.EDITOR)
    auth.login_as(Role.ADMIN)
    person = users[Role.EDITOR]
    response = _change_person(client, person, password="")
    assert response.status_code == 302
    assert editor.get("/").status_code == 302
    assert Auth(app.test_client()).login("editor@example.test").status_code == 401


def _age_session(client, **seconds):
    with client.session_transaction() as state:
        for key, delta in seconds.items():
            state[key] -= delta


def test_v3_3_2_an_idle_session_ends_after_thirty_minutes(client, auth):
    auth.login_as(Role.EDITOR)
    _age_session(client, seen_at=29 * 60)
    assert client.get("/").status_code == 200, "29 idle minutes are within the limit"
    _age_session(client, seen_at=31 * 60)
    response = client.get("/drills")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "Your session has ended" in client.get("/login").get_data(as_text=True)


def test_v3_3_2_a_session_ends_twelve_hours_after_sign_in_however_busy(client, auth):
    auth.login_as(Role.EDITOR)
    _age_session(client, signed_in_at=11 * 3600)
    assert client.get("/").status_code == 200
    _age_session(client, signed_in_at=3600 + 1)
    assert client.get("/").status_code == 302


def test_v3_3_2_the_limits_are_settings(app, client, auth):
    app.config.update(SESSION_IDLE_MINUTES=5, SESSION_MAX_HOURS=1)
    auth.login_as(Role.EDITOR)
    _age_session(client, seen_at=6 * 60)
    assert client.get("/").status_code == 302


def test_v3_3_2_a_cookie_without_the_session_clock_is_not_accepted(client, auth):
    """Cookies 13 hours and 30 days old were accepted: a signed cookie from before the limits has no clock."""
    auth.login_as(Role.EDITOR)
    with client.session_transaction() as state:
        del state["signed_in_at"], state["seen_at"]
    assert client.get("/").status_code == 302


def test_v3_3_an_administrators_reset_ends_tokens_feed_and_sessions(app, client, auth, users, db):
    editor = app.test_client()
    Auth(editor).login_as(Role.EDITOR)
    person = users[Role.EDITOR]
    token = make_token(db, person)
    feed = editor.post("/account/calendar", data={"csrf_token": csrf_token(editor, "/account")})
    feed_path = re.search(r"(/calendar/[A-Za-z0-9_-]+\.ics)", feed.get_data(as_text=True)).group(1)
    assert (
        editor.get(feed_path).status_code == 200
        and client.get("/api/v1/drills", headers=bearer(token)).status_code == 200
    )
    auth.login_as(Role.ADMIN)
    response = _change_person(client, person, password=NEW_PASSWORD, active="y")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert editor.get("/").status_code == 302, "the session ended"
    assert app.test_client().get("/api/v1/drills", headers=bearer(token)).status_code == 401, "the token ended"
    assert app.test_client().get(feed_path).status_code == 404, "the feed address ended"
    reread(db)
    entry = db.exec(select(AuditEvent).where(AuditEvent.action == "user_changed")).all()[-1]
    assert json.loads(entry.after)["tokens_revoked"] == 1


def test_v2_2_1_the_password_re_entered_to_sign_shares_the_sign_in_limit(app, db, users, demo):
    """It could be guessed without limit or a trace."""
    approver = app.test_client()
    Auth(approver).login_as(Role.APPROVER)
    for _ in range(5):
        response = approver.post(
            f"/drills/{demo.id}/sign",
            data={"csrf_token": csrf_token(approver, "/"), "password": "guess guess guess", "statement": "ok"},
        )
        assert response.status_code == 422
    response = approver.post(
        f"/drills/{demo.id}/sign",
        data={"csrf_token": csrf_token(approver, "/"), "password": PASSWORD, "statement": "A true account."},
    )
    assert response.status_code == 429 and "Too many failed sign-ins" in response.get_data(as_text=True)
    reread(db)
    assert db.get(Drill, demo.id).status != "signed"
    actions = [e.action for e in db.exec(select(AuditEvent).where(AuditEvent.actor == "approver@example.test"))]
    assert "sign_password_failed" in actions and "login_locked" in actions
    assert Auth(app.test_client()).login("approver@example.test").status_code == 429, "one limit for both"


def test_v2_2_sign_in_takes_the_same_time_whatever_the_account(db, monkeypatch):
    """About 213 ms for an unknown e-mail against 6 ms for an account without a password: enumerable."""
    from argon2 import PasswordHasher

    import models.people.users as people

    monkeypatch.setattr(people, "password_hasher", PasswordHasher(time_cost=3, memory_cost=16 * 1024))
    people._dummy_hash.cache_clear()
    db.add(people.User(email="nopassword@example.test", name="On record only", role=Role.AUDITOR))
    people.add_user(db, "active@example.test", "Active", Role.EDITOR, PASSWORD)
    people.add_user(db, "left@example.test", "Left", Role.EDITOR, PASSWORD).active = False
    db.commit()

    emails = ("nobody@example.test", "nopassword@example.test", "active@example.test", "left@example.test")
    times = {email: [] for email in emails}
    for _ in range(7):  # in turns, so a busy moment of the machine slows every account alike
        for email in emails:
            began = time.perf_counter()
            assert people.authenticate(db, email, "a wrong password") is None
            times[email].append(time.perf_counter() - began)
    unknown = statistics.median(times["nobody@example.test"])
    for email in emails[1:]:
        assert 0.5 < statistics.median(times[email]) / unknown < 2, email


def test_v3_4_cookies_are_httponly_samesite_and_there_is_no_remember_me(client, auth):
    response = auth.login_as(Role.EDITOR)
    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 1 and cookies[0].startswith("drillbook_session=")
    assert "HttpOnly" in cookies[0] and "SameSite=Lax" in cookies[0]
    assert "Expires" not in cookies[0], "the session cookie ends with the browser"


def test_v3_4_1_cookies_are_secure_when_served_over_https(tmp_path, database_url, users):
    from app import create_app

    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / "i"),
            "DATABASE_URL": database_url,
            "BASE_URL": "https://drillbook.example.org/",
        }
    )
    client = app.test_client()
    response = client.post(
        "/login",
        base_url="https://localhost",
        data={"email": "editor@example.test", "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert "Secure" in response.headers["Set-Cookie"]
    app.extensions["drillbook.engine"].dispose()


# V4.2.1: nobody reaches someone else's private things by changing an id -----------------------


def test_v4_2_1_people_and_their_secrets_are_for_administrators_only(app, client, auth, users):
    auth.login_as(Role.EDITOR)
    other = users[Role.APPROVER].id
    assert client.get(f"/people/{other}").status_code == 403
    response = client.post(
        f"/people/{other}",
        data={
            "csrf_token": csrf_token(client, "/"),
            "email": "x@example.test",
            "name": "x",
            "role": "admin",
            "password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 403


def test_v4_2_1_the_audit_trail_never_holds_password_hashes_or_nonces(client, auth, users, db):
    auth.login_as(Role.ADMIN)
    client.post(
        "/people/new",
        data={
            "csrf_token": csrf_token(client, "/people/new"),
            "email": "new@example.test",
            "name": "New Person",
            "role": "auditor",
            "active": "on",
            "password": NEW_PASSWORD,
        },
    )
    texts = " ".join((e.before or "") + (e.after or "") for e in db.exec(select(AuditEvent)).all())
    assert "new@example.test" in texts
    assert "argon2" not in texts and "session_nonce" not in texts and "password_hash" not in texts


# V14.4: security headers on every kind of response ---------------------------------------------


@pytest.mark.parametrize(
    "url, accept",
    [
        ("/login", "text/html"),
        ("/", "text/html"),
        ("/nothing-here", "text/html"),
        ("/nothing-here", "application/json"),
        ("/static/style.css", "*/*"),
        ("/actions/export.csv", "*/*"),
    ],
)
def test_v14_4_security_headers_on_every_response(client, auth, demo, url, accept):
    auth.login_as(Role.AUDITOR)
    response = client.get(url, headers={"Accept": accept})
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
    assert "object-src 'none'" in csp and "base-uri 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers, "HSTS only over HTTPS"


def test_v14_4_5_hsts_over_https_and_behind_a_trusted_proxy(tmp_path, database_url):
    from app import create_app

    app = create_app(
        {"TESTING": True, "INSTANCE_PATH": str(tmp_path / "i"), "DATABASE_URL": database_url, "PROXY_HOPS": 1}
    )
    client = app.test_client()
    assert "max-age=31536000" in client.get("/login", base_url="https://localhost").headers["Strict-Transport-Security"]
    behind_proxy = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in behind_proxy.headers
    app.extensions["drillbook.engine"].dispose()


def test_v14_4_forwarded_headers_are_ignored_without_a_trusted_proxy(client):
    response = client.get("/login", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.9.9.9"})
    assert "Strict-Transport-Security" not in response.headers


# V5.3: no script survives any Markdown field, in pages or PDFs ----------------------------------


class _ActiveContent(html.parser.HTMLParser):
    """Collects anything in a page that could run script, and any tag in user prose that is not allowed."""

    URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "background", "poster", "xlink:href", "srcdoc"}
    FORBIDDEN = {"script", "iframe", "object", "embed", "base", "frame", "frameset", "applet", "link", "meta", "style"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.prose_depth = 0
        self.open: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and attributes.get("src", "").startswith("/static/") and len(attrs) <= 2:
            pass  # the app's own script files
        elif tag in self.FORBIDDEN and not (tag in {"link", "meta"} and self.prose_depth == 0):
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{tag} {name}=")
            if name in self.URL_ATTRIBUTES and value:
                scheme = "".join(value.split()).lower().split(":", 1)
                if (
                    len(scheme) == 2
                    and scheme[0] in {"javascript", "vbscript", "data", "file"}
                    and not value.startswith("data:,")
                ):
                    self.problems.append(f"{tag} {name}={value}")
        if self.prose_depth:
            if tag not in ALLOWED_TAGS:
                self.problems.append(f"prose holds <{tag}>")
            for name, value in attrs:
                if name not in ALLOWED_ATTRIBUTES.get(tag, set()) | {"rel"}:
                    self.problems.append(f"prose holds {tag} {name}=")
                if name == "href" and ":" in (value or "") and value.split(":", 1)[0].lower() not in ALLOWED_SCHEMES:
                    self.problems.append(f"prose link to {value}")
            self.prose_depth += 1
        elif "prose" in (attributes.get("class") or "").split():
            self.prose_depth = 1
        if tag not in {"br", "hr", "img", "input", "meta", "link"}:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if tag in self.open:
            while self.open and self.open.pop() != tag:
                pass
            if self.prose_depth:
                self.prose_depth -= 1


def active_content(page: str) -> list[str]:
    parser = _ActiveContent()
    parser.feed(page)
    return parser.problems


def test_the_checker_itself_sees_active_content():
    assert active_content('<p onclick="x()">a</p><a href=" JavaScript:alert(1)">b</a><script>x</script>') == [
        "p onclick=",
        "a href= JavaScript:alert(1)",
        "<script>",
    ]
    assert active_content('<div class="prose"><p>fine <img src="https://x/y.png"></p></div>') == [
        "prose holds <img>",
        "prose holds img src=",
    ]
    assert (
        active_content(
            '<script src="/static/cockpit.js" defer></script><div class="prose"><p><a href="https://x" rel="noopener">ok</a></p></div>'
        )
        == []
    )


def _drill_with_payload(db, users, payload: str) -> tuple[Drill, Finding, Action]:
    """A drill where every Markdown field, in the drill and everything hanging off it, holds `payload`."""
    drill = Drill(
        title="XSS probe", kind=DrillKind.FUNCTIONAL, scenario=payload, out_of_scope=payload, record_notes=payload
    )
    db.add(drill)
    db.flush()
    db.add(Objective(drill_id=drill.id, text="Objective", rating_notes=payload))
    db.add(Step(drill_id=drill.id, phase=Phase.FAILOVER, title="Step", notes=payload))
    finding = Finding(
        drill_id=drill.id,
        kind=FindingKind.IMPROVEMENT,
        title="Finding",
        description=payload,
        contributing_factors=payload,
        root_cause=payload,
        relation_rationale=payload,
    )
    db.add(finding)
    db.flush()
    action = Action(
        finding_id=finding.id,
        drill_id=drill.id,
        title="Action",
        description=payload,
        completion_note=payload,
        owner_id=users[Role.EDITOR].id,
        status=ActionStatus.DONE,
    )
    db.add(action)
    db.flush()
    db.add(
        ActionTransition(
            action_id=action.id,
            from_status=ActionStatus.OPEN,
            to_status=ActionStatus.DONE,
            actor_id=users[Role.EDITOR].id,
            note=payload,
        )
    )
    db.commit()
    return drill, finding, action


@pytest.mark.parametrize("payload", XSS_PAYLOADS, ids=range(len(XSS_PAYLOADS)))
def test_v5_3_3_no_markdown_field_lets_script_into_a_page_or_report(app, client, auth, db, users, payload):
    drill, finding, action = _drill_with_payload(db, users, payload)
    auth.login_as(Role.AUDITOR)
    for url in (f"/drills/{drill.id}", f"/findings/{finding.id}", f"/actions/{action.id}"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert active_content(response.get_data(as_text=True)) == [], url
    with app.test_request_context():
        report = render_template(
            "reports/pdf/drill.html",
            r=assemble(db, ReportKind.DRILL, {"drill_id": drill.id}, "auditor"),
            classification="Confidential",
            embedded_ids=set(),
        )
    assert active_content(report) == []


def _pdf_actions(pdf: bytes) -> list[str]:
    """Every JavaScript, launch, form-submit or non-web link action anywhere in the PDF's object graph."""
    found, seen = [], set()

    def walk(node):
        if isinstance(node, IndirectObject):
            if node.idnum in seen:
                return
            seen.add(node.idnum)
            node = node.get_object()
        if isinstance(node, DictionaryObject):
            for key in ("/JS", "/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/RichMedia"):
                if key in node or node.get("/S") == key:
                    found.append(key)
            uri = node.get("/URI")
            if uri is not None and str(uri).split(":", 1)[0].lower() not in ALLOWED_SCHEMES:
                found.append(f"/URI {uri}")
            for value in node.values():
                walk(value)
        elif isinstance(node, ArrayObject):
            for value in node:
                walk(value)

    reader = PdfReader(io.BytesIO(pdf))
    walk(reader.trailer)
    return found


def test_v5_3_3_no_payload_puts_script_or_actions_into_a_pdf(app, db, users):
    drill, _, _ = _drill_with_payload(db, users, "\n\n".join(XSS_PAYLOADS))
    for number, payload in enumerate(XSS_PAYLOADS):
        db.add(Step(drill_id=drill.id, phase=Phase.VALIDATION, title=f"Payload {number}", notes=payload))
    db.add(
        Step(
            drill_id=drill.id, phase=Phase.VALIDATION, title="Safe link", notes="[runbook](https://example.org/runbook)"
        )
    )
    db.commit()
    with app.test_request_context():
        html = render_template(
            "reports/pdf/drill.html",
            r=assemble(db, ReportKind.DRILL, {"drill_id": drill.id}, "auditor"),
            classification="Confidential",
            embedded_ids=set(),
        )
    assert active_content(html) == []
    rendered = render_pdf(html, CSS_PATH.read_text())
    assert rendered.refused_urls == []
    assert _pdf_actions(rendered.pdf) == []
    links = [
        str(a.get_object()["/A"]["/URI"])
        for page in PdfReader(io.BytesIO(rendered.pdf)).pages
        for a in page.get("/Annots", [])
        if "/A" in a.get_object()
    ]
    assert "https://example.org/runbook" in links, "the checker would see a link if there were one"


# V7.4 and V14.3: friendly errors that leak nothing ------------------------------------------------


LEAKS = ("Traceback", "sqlalchemy", "SELECT ", "/work/", "site-packages", '.py"', "Werkzeug")


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_v7_4_1_an_unexpected_error_is_a_plain_500_without_details(app, accept):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/explode")
    def explode():
        raise RuntimeError(f'SELECT password_hash FROM "user" failed in {__file__}')

    explode._drillbook_access = "public"
    response = app.test_client().get("/explode", headers={"Accept": accept})
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Something went wrong on our side" in body
    assert not [leak for leak in LEAKS if leak in body]
    if accept == "application/json":
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.get_json()["status"] == 500


@pytest.mark.parametrize(
    "method, url, data, status, message",
    [
        ("POST", "/drills/new", {}, 400, "did not come from this site"),
        ("GET", "/people", None, 403, "Your role does not allow this"),
        ("GET", "/drills/424242", None, 404, "There is nothing at this address"),
        ("DELETE", "/drills", None, 405, "does not accept that kind of request"),
    ],
)
def test_v7_4_1_error_pages_say_what_happened_in_plain_words(client, auth, method, url, data, status, message):
    auth.login_as(Role.EDITOR)
    for accept in ("text/html", "application/json"):
        response = client.open(url, method=method, data=data, headers={"Accept": accept})
        assert response.status_code == status
        body = response.get_data(as_text=True).replace("&#39;", "'")
        assert message in body and not [leak for leak in LEAKS if leak in body]


def test_v7_4_1_an_upload_over_the_limit_is_a_413_page(app, client, auth, demo):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    auth.login_as(Role.EDITOR)
    response = client.post("/evidence/upload", data={"csrf_token": "x", "file": (io.BytesIO(b"x" * 4096), "big.log")})
    assert response.status_code == 413
    assert "more than the server accepts" in response.get_data(as_text=True)


def test_v14_3_2_debug_mode_is_off_unless_asked_for(tmp_path, database_url):
    from app import create_app

    app = create_app({"INSTANCE_PATH": str(tmp_path / "i"), "DATABASE_URL": database_url})
    assert app.debug is False and app.testing is False
    app.extensions["drillbook.engine"].dispose()


# V5.1.4: a NUL character never reaches the database ----------------------------------------------


@pytest.mark.parametrize("where", ["query", "form", "json"])
def test_v5_1_4_a_nul_character_anywhere_is_a_400_and_writes_nothing(client, auth, db, users, demo, where):
    """PostgreSQL refuses NUL in text, so it is stopped before any view, even in fields no model checks."""
    from tests.test_api import bearer, make_token

    auth.login_as(Role.EDITOR)
    before = db.exec(select(Drill)).all()
    if where == "query":
        response = client.get("/evidence/upload?control=A.5.30%00")
    elif where == "form":
        response = client.post(
            "/drills/new",
            data={
                "csrf_token": csrf_token(client, "/drills/new"),
                "title": "Night\x00 drill",
                "kind": "tabletop",
                "controls": "A.5.30\x00",
            },
        )
    else:
        token = make_token(db, users[Role.EDITOR])
        response = client.post(
            "/api/v1/drills",
            json={"title": "Night drill", "kind": "tabletop", "notes": {"x": ["\x00"]}},
            headers=bearer(token),
        )
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)
    reread(db)
    assert len(db.exec(select(Drill)).all()) == len(before)


@pytest.mark.parametrize(
    "url", ["/actions/export.csv", "/audit/export.csv", "/api/v1/drills", "/drills/1/timeline.csv"]
)
def test_answers_holding_personal_data_are_never_cached(app, client, auth, demo, db, users, url):
    auth.login_as(Role.ADMIN)
    headers = {}
    if url.startswith("/api/"):
        headers = bearer(make_token(db, users[Role.ADMIN]))
    with client.get(
        url.replace("/1/", f"/{demo.id}/"), headers=headers
    ) as response:  # a stream gives its connection back
        assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    assert "no-store" not in client.get("/static/style.css").headers.get("Cache-Control", ""), (
        "static files may be cached"
    )


def test_v3_3_2_a_password_change_does_not_restart_the_twelve_hours(client, auth):
    auth.login_as(Role.EDITOR)
    _age_session(client, signed_in_at=11 * 3600)
    assert _change_password(client, PASSWORD, NEW_PASSWORD).status_code == 302
    _age_session(client, signed_in_at=3600 + 1)
    assert client.get("/").status_code == 302

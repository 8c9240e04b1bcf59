"""What the tests share besides fixtures: signing in the way a browser does, CSRF tokens, re-reading, signing the demo, API tokens."""

import os
import re
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

from sqlalchemy import text
from sqlmodel import select
from werkzeug.datastructures import MultiDict

from models.audit import GENESIS, HASHED, AuditEvent, entry_hash
from models.people.tokens import Scope, issue
from models.people.users import Role
from models.signoff.workflow import sign, submit_for_review

#: set by tests/with-postgres.sh: the suite then runs against PostgreSQL instead of SQLite
POSTGRES = os.environ.get("DRILLBOOK_TEST_DATABASE_URL")

#: every user the `users` fixture creates signs in with this password
PASSWORD = "a long test password"


TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def page_token(web, url: str) -> str:
    """The CSRF token from a form on `url`, for a `requests` session against a real server."""
    return TOKEN.search(web.get(url).text).group(1)


def web_sign_in(web, base: str, email: str, password: str = PASSWORD):
    """Sign a `requests` session in against a real server, as a browser would; returns the answer."""
    return web.post(
        base + "/login", data={"email": email, "password": password, "csrf_token": page_token(web, base + "/login")}
    )


class _FormReader(HTMLParser):
    """The fields of a page's forms as a browser submits them untouched: text, checked boxes, chosen options."""

    def __init__(self):
        super().__init__()
        self.fields, self._select, self._textarea = MultiDict(), None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and (a.get("type") not in ("checkbox", "radio") or "checked" in a):
            self.fields.add(name, a.get("value", "on" if a.get("type") == "checkbox" else ""))
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.fields.add(self._select, a.get("value", ""))
        elif tag == "textarea":
            self._textarea = name
            self.fields.add(name, "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.fields.setlist(self._textarea, [self.fields.get(self._textarea, "") + data])


def form_fields(page: str) -> MultiDict:
    """What a browser sends back for the page's form left as shown, without its CSRF token."""
    reader = _FormReader()
    reader.feed(page)
    reader.fields.poplist("csrf_token")
    return reader.fields


def csrf_token(client, url: str = "/login") -> str:
    """The CSRF token from a form on `url`."""
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


class Auth:
    """Signs the test client in and out the way a browser would, CSRF token included."""

    def __init__(self, client):
        self.client = client

    def login(self, email: str, password: str = PASSWORD):
        return self.client.post(
            "/login", data={"email": email, "password": password, "csrf_token": csrf_token(self.client)}
        )

    def login_as(self, role: Role):
        response = self.login(f"{role.value}@example.test")
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": csrf_token(self.client, "/")})


def reread(db) -> None:
    """End the session's read snapshot and forget loaded values, to see what the app has committed since."""
    db.rollback()
    db.expire_all()


#: an approver's reason for signing the reference drill, whose write-up sets no recovery targets
OVERRIDE = "The write-up sets no recovery targets; they are set for the next drill."


def sign_demo(db, demo, users):
    """Submit the reference drill as it stands now and sign it as the approver, the way the pages do."""
    submit_for_review(db, demo, users[Role.EDITOR])
    sign(db, demo, users[Role.APPROVER], PASSWORD, "True account of the exercise.", True, OVERRIDE)
    db.commit()


def make_token(db, user, scope=Scope.WRITE, expires_on=None) -> str:
    """A personal access token for `user`, committed; returns the secret."""
    _, secret = issue(db, user, "test", scope, expires_on or date.today() + timedelta(days=30))
    db.commit()
    return secret


def bearer(secret: str) -> dict:
    """The Authorization header for an API token."""
    return {"Authorization": f"Bearer {secret}"}


def without_audit_guards(db, sql: str, **params) -> None:
    """Run `sql` as an attacker holding the database would: with the audit trail's append-only triggers out of the way."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
        db.execute(text(sql), params)
        db.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))
    else:
        db.execute(text("DROP TRIGGER IF EXISTS audit_event_no_update"))
        db.execute(text("DROP TRIGGER IF EXISTS audit_event_no_delete"))
        db.execute(text(sql), params)
    db.commit()


def rewrite_trail_from(db, seq: int) -> None:
    """Recompute every link and hash from entry `seq` on, as an attacker covering up a rewritten entry would."""
    db.expire_all()
    events = db.exec(select(AuditEvent).where(AuditEvent.seq >= seq - 1).order_by(AuditEvent.seq)).all()
    prev = events[0].hash if events[0].seq < seq else GENESIS
    rows = [
        (e.seq, e.occurred_at.isoformat(), *(getattr(e, name) for name in HASHED[2:-1])) for e in events if e.seq >= seq
    ]
    db.rollback()
    for row in rows:
        link, prev = prev, entry_hash(*row, prev)
        without_audit_guards(
            db, "UPDATE audit_event SET prev_hash = :p, hash = :h WHERE seq = :s", p=link, h=prev, s=row[0]
        )
    db.expire_all()


@contextmanager
def gunicorn(env: dict, workers: int = 2):
    """The app served by gunicorn, as in production, with DRILLBOOK_* settings from `env`; yields its base URL."""
    import requests

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "app:create_app()",
        ],
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                if requests.get(base + "/login", timeout=10).ok:
                    break
            except requests.RequestException:  # not listening yet, or its workers still starting
                if time.time() > deadline or server.poll() is not None:
                    raise AssertionError(server.stderr.read().decode()[-2000:]) from None
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)

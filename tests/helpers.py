"""What the tests share besides fixtures: signing in the way a browser does, CSRF tokens, re-reading, signing the demo, API tokens."""

import os
import re
from datetime import date, timedelta

from models.people.tokens import Scope, issue
from models.people.users import Role
from models.signoff.workflow import sign, submit_for_review

#: set by tests/with-postgres.sh: the suite then runs against PostgreSQL instead of SQLite
POSTGRES = os.environ.get("DRILLBOOK_TEST_DATABASE_URL")

#: every user the `users` fixture creates signs in with this password
PASSWORD = "a long test password"


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


def sign_demo(db, demo, users):
    """Submit the reference drill as it stands now and sign it as the approver, the way the pages do."""
    submit_for_review(db, demo, users[Role.EDITOR])
    sign(db, demo, users[Role.APPROVER], PASSWORD, "True account of the exercise.", require_independent=True)
    db.commit()


def make_token(db, user, scope=Scope.WRITE, expires_on=None) -> str:
    """A personal access token for `user`, committed; returns the secret."""
    _, secret = issue(db, user, "test", scope, expires_on or date.today() + timedelta(days=30))
    db.commit()
    return secret


def bearer(secret: str) -> dict:
    """The Authorization header for an API token."""
    return {"Authorization": f"Bearer {secret}"}

"""Signing in and out: one message for every failure, CSRF everywhere, sessions that really end."""

import pytest
from sqlmodel import select

from models.audit import AuditEvent
from models.people.users import Role
from tests.helpers import PASSWORD, csrf_token
from views.auth import BAD_LOGIN


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b'name="csrf_token"' in response.data


def test_login_and_logout(client, auth):
    response = auth.login_as(Role.EDITOR)
    assert response.headers["Location"] == "/"
    assert b"Editor" in client.get("/").data
    response = auth.logout()
    assert response.status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    "email, password", [("editor@example.test", "wrong password!"), ("nobody@example.test", PASSWORD)]
)
def test_wrong_password_and_unknown_user_get_the_same_answer(client, auth, email, password):
    response = auth.login(email, password)
    assert response.status_code == 401
    assert BAD_LOGIN.encode() in response.data.replace(b"&#39;", b"'")


def test_failed_and_successful_logins_are_audited(client, auth, db):
    auth.login("editor@example.test", "wrong password!")
    auth.login_as(Role.EDITOR)
    actions = [e.action for e in db.exec(select(AuditEvent).order_by(AuditEvent.seq)).all()]
    assert actions == ["login_failed", "login"]


def test_empty_login_form_is_a_400_with_messages(client):
    response = client.post("/login", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 400
    assert b"This field is required" in response.data


def test_login_without_csrf_token_is_refused(client, users):
    response = client.post("/login", data={"email": "editor@example.test", "password": PASSWORD})
    assert response.status_code == 400
    assert b"did not come from this site" in response.data


def test_logout_needs_post_and_csrf(client, auth):
    auth.login_as(Role.AUDITOR)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200, "a forged logout must not end the session"


def test_session_cookie_captured_before_logout_is_useless_after(app, client, auth):
    auth.login_as(Role.APPROVER)
    stolen = client.get_cookie("drillbook_session").value
    auth.logout()
    other = app.test_client()
    other.set_cookie("drillbook_session", stolen)
    assert other.get("/").status_code == 302


def test_login_redirects_only_to_this_site(client, users):
    token = csrf_token(client)
    data = {"email": "editor@example.test", "password": PASSWORD, "csrf_token": token}
    assert client.post("/login?next=/drills", data=data).headers["Location"] == "/drills"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    for target in ("//evil.example/", "https://evil.example/", "javascript:alert(1)"):
        data["csrf_token"] = csrf_token(client)
        assert client.post(f"/login?next={target}", data=data).headers["Location"] == "/"
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def test_deactivated_user_is_signed_out(client, auth, users, db):
    auth.login_as(Role.EDITOR)
    user = users[Role.EDITOR]
    user.active = False
    db.add(user)
    db.commit()
    assert client.get("/").status_code == 302


def test_session_cookie_flags(client, auth):
    response = auth.login_as(Role.EDITOR)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie

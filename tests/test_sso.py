"""Single sign-on against a real OpenID provider on loopback (tests/oidc_provider.mjs): sign-in, roles from
groups, every refusal with a clear page and an audit entry, sign-off re-authentication, sign-out."""

import json
import socket
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from sqlmodel import select

from app import StartupError
from models.audit import AuditEvent
from models.people.sign_in import PROVIDER_FAILURES
from models.people.sso import ProviderIdentity, ProviderSignIn, parse_role_map, role_for, sign_in_with_provider
from models.people.throttle import SignInFailure
from models.people.users import Role, User, add_user
from models.signoff.tables import SignOff, SignRequest
from models.signoff.workflow import submit_for_review
from tests.conftest import close_app, make_app
from tests.helpers import OVERRIDE, PASSWORD, Auth, csrf_token, reread
from tests.oidc import ROLE_MAP

CALLBACK = "http://localhost/auth/oidc/callback"


@pytest.fixture
def extra_settings():
    """Settings a test adds to the provider's; parametrize to change them."""
    return {}


@pytest.fixture
def app(tmp_path, database_url, oidc_provider, extra_settings):
    """The app signing people in through the suite's provider as the client "drillbook"."""
    app = make_app(tmp_path, database_url, **{**oidc_provider.settings(), **extra_settings})
    yield app
    close_app(app)


@pytest.fixture
def browser():
    """The person's browser at the provider: it keeps the provider's own session cookie."""
    with requests.Session() as session:
        yield session


def authorize(client, oidc_provider, browser, login, start="/auth/oidc/login"):
    """Start at Drillbook, sign in at the provider as `login`, and return the callback address it sends back."""
    started = client.get(start)
    assert started.status_code == 302 and started.headers["Location"].startswith(oidc_provider.issuer)
    return oidc_provider.sign_in(browser, started.headers["Location"], login, CALLBACK)


def sso_sign_in(client, oidc_provider, browser, login):
    """The whole sign-in through the provider; returns Drillbook's answer to the callback."""
    return client.get(authorize(client, oidc_provider, browser, login).removeprefix("http://localhost"))


def events(db, action):
    return [json.loads(e.after or "null") for e in db.exec(select(AuditEvent).where(AuditEvent.action == action))]


def person(db, email):
    reread(db)
    return db.exec(select(User).where(User.email == email)).first()


@pytest.mark.parametrize(
    ("login", "email", "role"),
    [
        ("engineer", "jan.peeters@example.test", Role.EDITOR),
        ("cto", "claire.dupont@example.test", Role.APPROVER),
        ("auditor", "auditor@example.test", Role.AUDITOR),
        ("admin", "it-admin@example.test", Role.ADMIN),
    ],
)
def test_the_first_sign_in_creates_the_person_with_the_role_their_groups_give(
    client, db, oidc_provider, browser, login, email, role
):
    answer = sso_sign_in(client, oidc_provider, browser, login)
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    user = person(db, email)
    assert user.role == role and user.sso_subject == login and user.sso_issuer == oidc_provider.issuer
    assert user.password_hash is None and user.is_active
    assert events(db, "user_created")[-1] == {"role": role.value, "issuer": oidc_provider.issuer, "by": "sso"}
    assert events(db, "login")[-1]["method"] == "sso"


def test_the_sign_in_page_offers_the_provider_beside_the_password_form(client):
    page = client.get("/login").get_data(as_text=True)
    assert "Sign in with Test IdP" in page and 'name="password"' in page


def test_someone_whose_groups_give_no_role_is_told_to_ask_an_administrator(client, db, oidc_provider, browser):
    answer = sso_sign_in(client, oidc_provider, browser, "visitor")
    assert answer.status_code == 403
    assert "ask an administrator" in answer.get_data(as_text=True).lower()
    assert person(db, "visitor@example.test") is None
    assert client.get("/").status_code == 302
    assert events(db, "login_refused")[-1]["reason"] == "no role"


def test_roles_follow_the_groups_at_every_sign_in_and_losing_them_ends_access(client, db, oidc_provider, browser):
    oidc_provider.change_account("mover", email="mover@example.test", name="Max Mover", groups=["dr-it"])
    assert sso_sign_in(client, oidc_provider, browser, "mover").status_code == 302
    assert person(db, "mover@example.test").role == Role.EDITOR
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})

    oidc_provider.change_account("mover", groups=["dr-cto", "dr-it"])
    assert sso_sign_in(client, oidc_provider, browser, "mover").status_code == 302
    assert person(db, "mover@example.test").role == Role.APPROVER
    change = events(db, "user_changed")[-1]
    assert change["role"] == "approver" and change["by"] == "sso"

    other = client.application.test_client()  # a second browser, still signed in as an approver
    oidc_provider.change_account("mover", groups=["marketing"])
    assert sso_sign_in(other, oidc_provider, requests.Session(), "mover").status_code == 403
    assert person(db, "mover@example.test").role == Role.APPROVER
    assert client.get("/").status_code == 302, "losing every group ends the sessions already open"


def test_a_tampered_state_is_refused_and_audited_once_per_window(client, db, oidc_provider, browser):
    back = authorize(client, oidc_provider, browser, "engineer")
    parts = urlsplit(back)
    query = parse_qs(parts.query)
    query["state"] = ["forged" + query["state"][0][6:]]
    forged = urlunsplit(("", "", parts.path, urlencode(query, doseq=True), ""))
    for _ in range(3):
        answer = client.get(forged)
        assert answer.status_code == 400
        assert "not started here" in answer.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert person(db, "jan.peeters@example.test") is None
    failures = events(db, "login_failed")
    assert [f["reason"] for f in failures] == ["state"], "three forgeries from one address, one entry"


def test_a_replayed_code_is_refused(client, db, oidc_provider, browser):
    back = authorize(client, oidc_provider, browser, "engineer")
    assert client.get(back.removeprefix("http://localhost")).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})

    again = client.get(back.removeprefix("http://localhost"))
    assert again.status_code == 400, "the same answer twice"

    # The old code with the state of a new sign-in: the provider refuses a code used once already.
    started = client.get("/auth/oidc/login")
    state = parse_qs(urlsplit(started.headers["Location"]).query)["state"][0]
    code = parse_qs(urlsplit(back).query)["code"][0]
    replay = client.get("/auth/oidc/callback?" + urlencode({"code": code, "state": state}))
    assert replay.status_code == 400 and "refused to complete" in replay.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert [f["reason"] for f in events(db, "login_failed")] == ["state"], "one entry per address and window"
    reread(db)
    counted = db.exec(select(SignInFailure).where(SignInFailure.email == PROVIDER_FAILURES)).all()
    assert len(counted) == 2, "each failure counts against the address's limit"


def test_an_id_token_for_another_client_is_refused(app, client, db, oidc_provider, browser):
    """A token endpoint answer swapped for one issued to another client (say, by a man in the middle)."""
    stolen = {}
    intruder_app = make_app(
        Path(app.instance_path).parent / "intruder", app.config["DATABASE_URL"], **oidc_provider.settings("intruder")
    )
    provider = intruder_app.extensions["drillbook.oidc"]
    real_fetch = provider.client.fetch_access_token

    def keep(**params):
        stolen.update(real_fetch(**params))
        return stolen

    provider.client.fetch_access_token = keep
    other = intruder_app.test_client()
    other.get(authorize(other, oidc_provider, browser, "engineer").removeprefix("http://localhost"))
    close_app(intruder_app)
    assert stolen.get("id_token")

    mine = app.extensions["drillbook.oidc"].client
    mine.fetch_access_token = lambda **params: dict(stolen)
    answer = client.get(authorize(client, oidc_provider, browser, "engineer").removeprefix("http://localhost"))
    assert answer.status_code == 400 and "did not pass its checks" in answer.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert events(db, "login_failed")[-1]["reason"].startswith("id token")


@pytest.mark.parametrize(
    "extra_settings",
    [
        {
            "OIDC_CLIENT_ID": "drillbook-expired",
            "OIDC_CLIENT_SECRET": "drillbook-expired-secret",
            "OIDC_LEEWAY_SECONDS": 0,
        }
    ],
)
def test_an_expired_id_token_is_refused(app, client, db, oidc_provider, browser):
    """The provider issues this client's ID tokens for one second; one that arrives late is refused."""
    provider = app.extensions["drillbook.oidc"]
    real_fetch = provider.client.fetch_access_token

    def late(**params):
        token = real_fetch(**params)
        time.sleep(2.1)  # a slow network between the provider and Drillbook
        return token

    provider.client.fetch_access_token = late
    answer = sso_sign_in(client, oidc_provider, browser, "engineer")
    assert answer.status_code == 400 and "expired" in answer.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert events(db, "login_failed")[-1]["reason"] == "expired token"


def test_someone_disabled_at_the_provider_cannot_sign_in(client, db, oidc_provider, browser):
    with pytest.raises(AssertionError):
        sso_sign_in(client, oidc_provider, browser, "leaver")
    assert client.get("/").status_code == 302
    assert person(db, "leaver@example.test") is None


def test_a_deactivated_person_is_refused_and_their_api_tokens_stop(client, db, oidc_provider, browser, users):
    assert sso_sign_in(client, oidc_provider, browser, "engineer").status_code == 302
    token_page = client.post(
        "/account/tokens",
        data={
            "name": "ci",
            "scope": "read",
            "expires_on": (date.today() + timedelta(days=30)).isoformat(),
            "csrf_token": csrf_token(client, "/account/tokens"),
        },
    )
    secret = (
        token_page.get_data(as_text=True).split('id="new-token" type="text" readonly value="dbk_', 1)[1].split('"')[0]
    )
    api = client.application.test_client()
    assert api.get("/api/v1/drills", headers={"Authorization": f"Bearer dbk_{secret}"}).status_code == 200

    engineer = person(db, "jan.peeters@example.test")
    admin = Auth(client.application.test_client())
    admin.login_as(Role.ADMIN)
    changed = admin.client.post(
        f"/people/{engineer.id}",
        data={
            "email": engineer.email,
            "name": engineer.name,
            "role": "editor",
            "title": "",
            "csrf_token": csrf_token(admin.client, f"/people/{engineer.id}"),
        },
    )
    assert changed.status_code == 302
    assert not person(db, "jan.peeters@example.test").active
    assert api.get("/api/v1/drills", headers={"Authorization": f"Bearer dbk_{secret}"}).status_code == 401
    assert client.get("/").status_code == 302
    refused = sso_sign_in(client.application.test_client(), oidc_provider, requests.Session(), "engineer")
    assert refused.status_code == 403 and "deactivated" in refused.get_data(as_text=True)


def test_an_existing_account_is_taken_over_only_with_a_verified_address(client, db, oidc_provider, browser):
    add_user(db, "claire.dupont@example.test", "Claire", Role.APPROVER, PASSWORD, title="CTO")
    db.commit()
    assert sso_sign_in(client, oidc_provider, browser, "cto").status_code == 302
    claire = person(db, "claire.dupont@example.test")
    assert claire.sso_subject == "cto" and claire.password_hash is None and claire.title == "CTO"
    assert events(db, "sso_linked")
    assert Auth(client.application.test_client()).login("claire.dupont@example.test").status_code == 401


def test_an_address_the_provider_has_not_verified_takes_over_no_account(db, oidc_provider):
    add_user(db, "claire.dupont@example.test", "Claire", Role.ADMIN, PASSWORD)
    claims = {
        "iss": oidc_provider.issuer,
        "sub": "impostor",
        "email": "Claire.Dupont@example.test",
        "groups": ["dr-it"],
    }
    identity = ProviderIdentity.from_claims(claims, "groups")
    outcome = sign_in_with_provider(db, identity, parse_role_map(ROLE_MAP), "127.0.0.1")
    assert outcome.user is None and outcome.refused == ProviderSignIn.TAKEN
    claire = db.exec(select(User).where(User.email == "claire.dupont@example.test")).one()
    assert claire.sso_subject is None and claire.password_hash is not None and claire.role == Role.ADMIN


def test_groups_map_to_the_highest_role_and_nothing_else():
    mapping = parse_role_map(ROLE_MAP)
    assert role_for(["dr-it", "dr-cto", "other"], mapping) == Role.APPROVER
    assert role_for("dr-it auditors", mapping) == Role.EDITOR
    assert role_for(["DR-ADMINS"], mapping) is None and role_for(None, mapping) is None
    assert role_for({"dr-admins": True}, mapping) is None


@pytest.mark.parametrize("extra_settings", [{"LOCAL_SIGN_IN": False, "BREAK_GLASS_ADMIN": "admin@example.test"}])
def test_with_password_sign_in_off_only_the_break_glass_administrator_uses_a_password(client, db, users, auth):
    page = client.get("/login").get_data(as_text=True)
    assert "Sign in with Test IdP" in page and "Emergency access" in page
    assert auth.login("editor@example.test").status_code == 401
    assert client.get("/").status_code == 302
    assert auth.login("admin@example.test").status_code == 302
    assert events(db, "login")[-1] == {"address": "127.0.0.1", "method": "password", "break_glass": True}


def test_a_person_signed_in_by_the_provider_has_no_password_to_set(client, db, oidc_provider, browser):
    sso_sign_in(client, oidc_provider, browser, "engineer")
    page = client.get("/account").get_data(as_text=True)
    assert "Change your password" not in page
    answer = client.post(
        "/account/password",
        data={
            "current_password": "",
            "new_password": "correct horse battery staple",
            "confirm_password": "correct horse battery staple",
            "csrf_token": csrf_token(client, "/account"),
        },
    )
    assert answer.status_code in (403, 422)
    assert person(db, "jan.peeters@example.test").password_hash is None


def ask_to_sign(client, drill):
    """Press Sign on the review page with a statement and an override: an SSO approver is sent to the provider."""
    return client.post(
        f"/drills/{drill.id}/sign",
        data={
            "statement": "True account.",
            "override": OVERRIDE,
            "csrf_token": csrf_token(client, f"/drills/{drill.id}/review"),
        },
    )


def _submitted(db, users, demo):
    submit_for_review(db, demo, users[Role.EDITOR])
    db.commit()
    return demo


def test_signing_sends_the_approver_to_sign_in_again_and_records_the_proof(
    client, db, oidc_provider, browser, users, demo
):
    drill = _submitted(db, users, demo)
    assert sso_sign_in(client, oidc_provider, browser, "cto").status_code == 302
    review = client.get(f"/drills/{drill.id}/review").get_data(as_text=True)
    assert "sign in again at Test IdP" in review and 'name="password"' not in review
    time.sleep(1.1)  # the sign-in above is at least a second older than the request below
    asked = ask_to_sign(client, drill)
    assert asked.status_code == 302
    query = parse_qs(urlsplit(asked.headers["Location"]).query)
    assert query["prompt"] == ["login"] and query["max_age"] == ["0"]
    requested = time.time()
    back = oidc_provider.sign_in(browser, asked.headers["Location"], "cto", CALLBACK)  # asked again, though signed in
    answer = client.get(back.removeprefix("http://localhost"))
    assert answer.status_code == 302 and answer.headers["Location"] == f"/drills/{drill.id}"
    reread(db)
    signoff = db.exec(select(SignOff).where(SignOff.drill_id == drill.id)).one()
    assert signoff.identity_check == "provider" and signoff.identity_subject == "cto"
    assert signoff.identity_issuer == oidc_provider.issuer
    assert signoff.identity_auth_time.timestamp() >= int(requested) - 1
    assert events(db, "sign")[-1]["identity_auth_time"] == signoff.identity_auth_time.isoformat()
    page = client.get(f"/drills/{drill.id}").get_data(as_text=True)
    assert f"Signed in again at {oidc_provider.issuer} as cto" in page
    verified = client.application.test_cli_runner().invoke(args=["verify"])
    assert "proof of identity" not in verified.output and "sign-off 1" not in verified.output


def test_a_sign_in_that_is_not_fresh_does_not_sign(client, db, oidc_provider, browser, users, demo):
    """The request's prompt=login and max_age=0 stripped: the provider's open session answers without a sign-in."""
    drill = _submitted(db, users, demo)
    sso_sign_in(client, oidc_provider, browser, "cto")
    time.sleep(1.1)
    asked = ask_to_sign(client, drill)
    parts = urlsplit(asked.headers["Location"])
    query = {k: v for k, v in parse_qs(parts.query).items() if k not in ("prompt", "max_age")}
    stripped = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, doseq=True), ""))
    back = oidc_provider.sign_in(browser, stripped, None, CALLBACK)  # no sign-in asked for: the old session
    answer = client.get(back.removeprefix("http://localhost"))
    assert answer.status_code == 422
    assert "did not ask you to sign in again" in answer.get_data(as_text=True)
    reread(db)
    assert db.exec(select(SignOff).where(SignOff.drill_id == drill.id)).first() is None
    assert db.exec(select(SignRequest)).one().used_at is None
    assert events(db, "sign_reauth_failed")


def test_signing_out_ends_the_session_here_and_at_the_provider(client, db, oidc_provider, browser):
    sso_sign_in(client, oidc_provider, browser, "engineer")
    out = client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert out.status_code == 302 and out.headers["Location"].startswith(f"{oidc_provider.issuer}/session/end")
    query = parse_qs(urlsplit(out.headers["Location"]).query)
    assert query["client_id"] == ["drillbook"] and query["post_logout_redirect_uri"] == ["http://localhost/login"]
    assert query["id_token_hint"]
    assert client.get("/").status_code == 302
    confirm = browser.get(out.headers["Location"], timeout=10)
    xsrf = confirm.text.split('name="xsrf" value="', 1)[1].split('"', 1)[0]
    action = confirm.text.split('action="', 1)[1].split('"', 1)[0]
    done = browser.post(
        requests.compat.urljoin(out.headers["Location"], action),
        data={"xsrf": xsrf, "logout": "yes"},
        allow_redirects=False,
        timeout=10,
    )
    assert done.headers["Location"] == "http://localhost/login"
    with pytest.raises(AssertionError, match="asked for a sign-in"):
        authorize(client, oidc_provider, browser, None)  # the provider's session is gone too


def test_an_unreachable_provider_gives_a_clear_page(tmp_path, database_url):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = make_app(
        tmp_path, database_url, OIDC_ISSUER=f"http://127.0.0.1:{port}", OIDC_CLIENT_ID="x", OIDC_ROLE_MAP="g=editor"
    )
    answer = app.test_client().get("/auth/oidc/login")
    close_app(app)
    assert answer.status_code == 502 and "cannot be reached" in answer.get_data(as_text=True)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"OIDC_ISSUER": "http://127.0.0.1:9", "OIDC_ROLE_MAP": "g=editor"}, "without DRILLBOOK_OIDC_CLIENT_ID"),
        ({"OIDC_ISSUER": "http://127.0.0.1:9", "OIDC_CLIENT_ID": "x", "OIDC_ROLE_MAP": "g=boss"}, "is not a role"),
        ({"OIDC_ISSUER": "http://127.0.0.1:9", "OIDC_CLIENT_ID": "x"}, "gives no group a role"),
        ({"LOCAL_SIGN_IN": False}, "nobody could sign in"),
    ],
)
def test_an_incomplete_configuration_stops_the_start_with_a_reason(tmp_path, database_url, settings, message):
    with pytest.raises(StartupError, match=message):
        make_app(tmp_path, database_url, **settings)


def test_callbacks_at_the_same_moment_never_fail(app, oidc_provider):
    """Each callback writes (throttle, trail, accounts): at once, they must wait their turn, not give a 500."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.conftest import serving

    with serving(app) as base:

        def forged(n):
            return requests.get(f"{base}/auth/oidc/callback?state=s{n}&code=c{n}", timeout=30).status_code

        def real(login):
            with requests.Session() as web:
                started = web.get(f"{base}/auth/oidc/login", allow_redirects=False, timeout=10)
                back = oidc_provider.sign_in(web, started.headers["Location"], login, f"{base}/auth/oidc/callback")
                return web.get(back, allow_redirects=False, timeout=30).status_code

        people = []
        for n in range(6):
            oidc_provider.change_account(
                f"crowd{n}", email=f"crowd{n}@example.test", name=f"Crowd {n}", groups=["dr-it"]
            )
            people.append(f"crowd{n}")
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(forged, range(16))) + list(pool.map(real, people))
    assert 500 not in statuses, statuses
    assert statuses[16:] == [302] * 6


def test_a_fresh_sign_in_that_no_longer_makes_an_approver_does_not_sign(
    client, db, oidc_provider, browser, users, demo
):
    drill = _submitted(db, users, demo)
    oidc_provider.change_account("cto2", email="cto2@example.test", name="Second CTO", groups=["dr-cto"])
    sso_sign_in(client, oidc_provider, browser, "cto2")
    asked = ask_to_sign(client, drill)
    oidc_provider.change_account("cto2", groups=["marketing"])  # moved out while at the provider
    back = oidc_provider.sign_in(browser, asked.headers["Location"], "cto2", CALLBACK)
    answer = client.get(back.removeprefix("http://localhost"))
    assert answer.status_code in (403, 422)
    reread(db)
    assert db.exec(select(SignOff).where(SignOff.drill_id == drill.id)).first() is None
    assert client.get("/").status_code == 302, "their sessions ended with their role"


def test_only_a_verified_email_claim_takes_over_an_account(db, oidc_provider):
    add_user(db, "boss@example.test", "Boss", Role.ADMIN, PASSWORD)
    claims = {
        "iss": oidc_provider.issuer,
        "sub": "mallory",
        "email_verified": True,  # says nothing of preferred_username
        "preferred_username": "boss@example.test",
        "groups": ["dr-admins"],
    }
    outcome = sign_in_with_provider(db, ProviderIdentity.from_claims(claims, "groups"), parse_role_map(ROLE_MAP), "a")
    assert outcome.user is None and outcome.refused == ProviderSignIn.TAKEN
    boss = db.exec(select(User).where(User.email == "boss@example.test")).one()
    assert boss.sso_subject is None and boss.password_hash is not None


def test_odd_claims_give_no_500_and_no_odd_address(db, oidc_provider):
    claims = {"iss": oidc_provider.issuer, "sub": "odd", "email": ["a@b.test"], "auth_time": 1e20, "groups": ["dr-it"]}
    identity = ProviderIdentity.from_claims(claims, "groups")
    assert identity.email == "" and identity.auth_time is None
    outcome = sign_in_with_provider(db, identity, parse_role_map(ROLE_MAP), "a")
    assert outcome.refused == ProviderSignIn.NO_EMAIL


def test_an_unverified_address_change_is_not_taken(db, oidc_provider):
    mapping = parse_role_map(ROLE_MAP)
    first = {"iss": oidc_provider.issuer, "sub": "sam", "email": "sam@example.test", "name": "Sam", "groups": ["dr-it"]}
    assert sign_in_with_provider(db, ProviderIdentity.from_claims(first, "groups"), mapping, "a").user is not None
    squat = {**first, "email": "ceo@example.test", "email_verified": False, "name": "The CEO"}
    user = sign_in_with_provider(db, ProviderIdentity.from_claims(squat, "groups"), mapping, "a").user
    assert user.email == "sam@example.test"
    verified = {**first, "email": "sam.new@example.test", "email_verified": True}
    assert sign_in_with_provider(db, ProviderIdentity.from_claims(verified, "groups"), mapping, "a").user.email == (
        "sam.new@example.test"
    )


def test_losing_every_group_revokes_tokens_and_the_calendar(db, oidc_provider):
    from models.people import tokens

    mapping = parse_role_map(ROLE_MAP)
    claims = {"iss": oidc_provider.issuer, "sub": "lee", "email": "lee@example.test", "groups": ["dr-it"]}
    user = sign_in_with_provider(db, ProviderIdentity.from_claims(claims, "groups"), mapping, "a").user
    _, secret = tokens.issue(db, user, "ci", tokens.Scope.READ, date.today() + timedelta(days=30))
    user.issue_calendar_token()
    gone = {**claims, "groups": ["marketing"]}
    assert sign_in_with_provider(db, ProviderIdentity.from_claims(gone, "groups"), mapping, "a").user is None
    assert tokens.authenticate(db, secret, date.today()) is None and user.calendar_token_hash is None


def test_groups_never_remove_the_last_administrator_nor_link_a_deactivated_account(db, oidc_provider):
    mapping = parse_role_map(ROLE_MAP)
    add_user(db, "only-admin@example.test", "Only admin", Role.ADMIN, PASSWORD)
    claims = {"iss": oidc_provider.issuer, "sub": "oa", "email": "only-admin@example.test", "email_verified": True}
    user = sign_in_with_provider(
        db, ProviderIdentity.from_claims({**claims, "groups": ["auditors"]}, "groups"), mapping, "a"
    ).user
    assert user.role == Role.ADMIN, "the last active administrator stays one"

    gone = add_user(db, "gone@example.test", "Gone", Role.EDITOR, PASSWORD)
    gone.active = False
    claims = {"iss": oidc_provider.issuer, "sub": "gone", "email": "gone@example.test", "email_verified": True}
    outcome = sign_in_with_provider(
        db, ProviderIdentity.from_claims({**claims, "groups": ["dr-it"]}, "groups"), mapping, "a"
    )
    assert outcome.refused == ProviderSignIn.DEACTIVATED
    assert gone.sso_subject is None and gone.password_hash is not None


def test_someone_without_a_role_signing_in_again_and_again_leaves_one_entry(client, db, oidc_provider, browser):
    for _ in range(5):
        assert sso_sign_in(client, oidc_provider, browser, "visitor").status_code == 403
    assert len(events(db, "login_refused")) == 1


def test_abandoned_sign_ins_do_not_grow_the_session_cookie(client):
    for _ in range(20):
        client.get("/auth/oidc/login")
    cookie = client.get_cookie("drillbook_session")
    assert len(cookie.value) < 1500

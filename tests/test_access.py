"""Who may do what: every route × every role, generated from the app's own URL map.

A route missing from EXPECTED fails the suite, so no page ships without a decided rule.
"""

import pytest

from models.people.users import Role
from models.reports import ReportJob, ReportKind
from tests.helpers import Auth, csrf_token
from views.support.access import check_every_route_has_a_rule

READ = frozenset(Role)
WRITE = frozenset({Role.ADMIN, Role.EDITOR})
PUBLIC = "public"
#: API routes: never reached with a session cookie; roles and scopes per token are checked in test_api.py
TOKEN = "token"
#: pages that answer an allowed user with a redirect
REDIRECTS = {"actions.mine"}

EXPECTED = {
    "auth.login": PUBLIC,
    "auth.logout": READ,
    "sso.login": PUBLIC,
    "sso.callback": PUBLIC,
    "dashboard.index": READ,
    "drills.index": READ,
    "drills.detail": READ,
    "drills.plan_next": WRITE,
    "programme.index": READ,
    "reports.programme": READ,
    "drills.export_csv": READ,
    "drills.new": WRITE,
    "drills.edit": WRITE,
    "drills.import_csv": WRITE,
    "drill_parts.new": WRITE,
    "drill_parts.edit": WRITE,
    "drill_parts.delete": WRITE,
    "drill_parts.last_data": WRITE,
    "live.cockpit": WRITE,
    "live.start": WRITE,
    "live.end": WRITE,
    "live.start_step": WRITE,
    "live.finish_step": WRITE,
    "live.mark": WRITE,
    "live.finding": WRITE,
    "live.hotwash": WRITE,
    "systems.index": READ,
    "systems.detail": READ,
    "systems.new": WRITE,
    "systems.edit": WRITE,
    "actions.index": READ,
    "actions.mine": READ,
    "actions.export_csv": READ,
    "actions.detail": READ,
    "actions.new": WRITE,
    "actions.edit": WRITE,
    "actions.transition": WRITE,  # filled with move=start: the owner, editors and admins
    "findings.index": READ,
    "findings.detail": READ,
    "findings.new": WRITE,
    "findings.edit": WRITE,
    "account.index": READ,
    "account.issue_calendar": READ,
    "account.revoke_calendar": READ,
    "account.calendar": PUBLIC,
    "controls.index": READ,
    "controls.detail": READ,
    "signoff.review": READ,
    "signoff.submit": WRITE,
    "signoff.sign_drill": frozenset({Role.APPROVER}),
    "signoff.send_back": frozenset({Role.APPROVER}),
    "signoff.amend_drill": WRITE,
    "signoff.revision_list": READ,
    "signoff.signed_snapshot": READ,
    "audit_trail.index": frozenset({Role.ADMIN, Role.AUDITOR, Role.APPROVER}),
    "audit_trail.export_csv": frozenset({Role.ADMIN, Role.AUDITOR, Role.APPROVER}),
    "reports.index": READ,
    "reports.drill": READ,
    "reports.controls": READ,
    "reports.actions": READ,
    "reports.job": READ,  # and only the person who asked for it, or an admin
    "reports.download": READ,
    "reports.verify": READ,
    "reports.certificate": READ,
    "evidence.index": READ,
    "evidence.detail": READ,
    "evidence.download": READ,
    "evidence.upload": WRITE,
    "evidence.upload_raw": WRITE,
    "evidence.supersede": WRITE,
    "controls.applicability": frozenset({Role.ADMIN}),
    "controls.soa": READ,
    "controls.soa_csv": READ,
    "controls.coverage_page": READ,
    "frameworks.index": READ,
    "oscal.assessment_results": READ,
    "oscal.poam": READ,
    "frameworks.detail": READ,
    "frameworks.detail_csv": READ,
    "account.change_password": READ,
    "people.index": frozenset({Role.ADMIN}),
    "webhooks.index": frozenset({Role.ADMIN}),
    "webhooks.remove": frozenset({Role.ADMIN}),
    "account.notifications": READ,
    "account.language": READ,
    "comments.add": READ,
    "people.new": frozenset({Role.ADMIN}),
    "people.edit": frozenset({Role.ADMIN}),
    "account.access_tokens": READ,
    "account.revoke_token": READ,  # and only one's own token: test_api.py
    "openapi.openapi_json": PUBLIC,
    **{
        f"api.{name}": TOKEN
        for name in (
            "drills",
            "create_drill",
            "drill",
            "drill_assessment_results",
            "actions_poam",
            "start_step",
            "finish_step",
            "mark_system",
            "systems",
            "findings",
            "finding",
            "create_finding",
            "actions",
            "action",
            "create_action",
            "move_action",
            "controls",
            "control",
            "evidence_list",
            "evidence_item",
            "upload_evidence",
        )
    },
}


def _routes(app, demo, evidence_item, signoff, job_id=None, report_id=None):
    """(endpoint, method, url) for every route, parameters taken from the reference drill."""
    step = demo.steps[0]
    fill = {
        "drill_id": demo.id,
        "kind": "steps",
        "record_id": step.id,
        "step_id": step.id,
        "system_id": demo.systems[0].id,
        "state": "down",
        "code": "A.5.30",
        "finding_id": demo.findings[0].id,
        "action_id": demo.actions[0].id,
        "move": "start",
        "token": "not-a-token",
        "evidence_id": evidence_item.id,
        "signoff_id": signoff.id,
        "job_id": job_id,
        "report_id": report_id,
        "user_id": signoff.signer_id,
        "token_id": 1,
        "webhook_id": 1,
        "subject": "drills",
        "framework": "dora",
    }
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        values = {**fill, "drill_id": signoff.drill_id} if "signoff_id" in rule.arguments else fill
        url = rule.build({arg: values[arg] for arg in rule.arguments})[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url


def test_every_route_has_an_expected_rule(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    assert endpoints - EXPECTED.keys() == set(), "add new routes to EXPECTED"
    assert EXPECTED.keys() - endpoints == set(), "EXPECTED names routes that no longer exist"


def test_anonymous_users_are_sent_to_sign_in(app, client, demo, evidence_item, signoff, issued):
    for endpoint, method, url in _routes(app, demo, evidence_item, signoff, 1, issued.id):
        if EXPECTED[endpoint] == PUBLIC:
            continue
        data = {"csrf_token": csrf_token(client)} if method == "POST" else None
        if EXPECTED[endpoint] == TOKEN:
            assert client.open(url, method=method, data=data).status_code == 401, (method, url)
            continue
        response = client.open(url, method=method, data=data)
        assert response.status_code == 302, (method, url)
        assert response.headers["Location"].startswith("/login?next="), (method, url)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_gets_exactly_its_rights(app, client, auth, db, users, demo, evidence_item, signoff, issued, role):
    auth.login_as(role)
    token = csrf_token(client, "/")
    job = ReportJob(kind=ReportKind.ACTIONS, requested_by_id=users[role].id)
    db.add(job)
    db.commit()
    for endpoint, method, url in _routes(app, demo, evidence_item, signoff, job.id, issued.id):
        if endpoint in ("auth.logout", "account.issue_calendar", "account.revoke_calendar") and method == "POST":
            continue  # allowed to all, and they change the session or the token under test
        if EXPECTED[endpoint] in (PUBLIC, TOKEN):
            if EXPECTED[endpoint] == TOKEN:
                assert client.open(url, method=method).status_code == 401, "a session cookie must not open the API"
            continue
        allowed = role in EXPECTED[endpoint]
        if method == "POST":
            if not allowed:
                assert client.post(url, data={"csrf_token": token}).status_code == 403, (role, method, url)
            continue
        with client.get(url) as response:  # closed, so a streamed export gives back its connection now, not in GC
            status = response.status_code
        expected = (302 if endpoint in REDIRECTS else 200) if allowed else 403
        assert status == expected, (role, method, url, status)


@pytest.mark.parametrize(
    "url", ["/drills/999", "/controls/A.99.1", "/nothing-here", "/systems/999", "/drills/1/widgets/new"]
)
def test_unknown_ids_get_a_404_page(client, auth, demo, url):
    auth.login_as(Role.EDITOR)
    response = client.get(url)
    assert response.status_code == 404
    assert b"There is nothing at this address" in response.data


def test_a_route_without_an_access_rule_stops_the_app(app):
    @app.route("/unguarded")
    def unguarded():
        return "secret"

    with pytest.raises(RuntimeError, match="without an access rule: unguarded"):
        check_every_route_has_a_rule(app)


def test_security_headers_on_every_response(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers
    assert "Strict-Transport-Security" in client.get("/login", base_url="https://localhost").headers


def test_a_render_job_is_private_to_whoever_asked(app, db, users):
    job = ReportJob(kind=ReportKind.ACTIONS, requested_by_id=users[Role.AUDITOR].id)
    db.add(job)
    db.commit()
    for role, status in ((Role.AUDITOR, 200), (Role.ADMIN, 200), (Role.EDITOR, 404), (Role.APPROVER, 404)):
        client = app.test_client()
        Auth(client).login_as(role)
        assert client.get(f"/reports/jobs/{job.id}").status_code == status, role


HUGE = "9" * 25


@pytest.mark.parametrize(
    "url",
    [
        f"/drills/{HUGE}",
        f"/systems/{HUGE}",
        f"/findings/{HUGE}",
        f"/actions/{HUGE}",
        f"/evidence/{HUGE}",
        f"/reports/jobs/{HUGE}",
        f"/drills/1/steps/{HUGE}",
        f"/drills/1/systems/{HUGE}/last-data",
        f"/actions/new?finding={HUGE}",
        f"/findings/new?drill={HUGE}",
        f"/evidence/upload?drill={HUGE}",
        "/drills/0",
        "/drills/-1",
    ],
)
def test_ids_the_database_cannot_hold_are_a_404_not_a_500(client, auth, demo, url):
    auth.login_as(Role.ADMIN)
    assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("url", [f"/actions?owner={HUGE}&drill={HUGE}", f"/audit?before={HUGE}"])
def test_unusable_ids_in_filters_are_ignored(client, auth, demo, url):
    auth.login_as(Role.ADMIN)
    assert client.get(url).status_code == 200


def test_unusable_ids_in_forms_are_refused_clearly(client, auth, demo):
    auth.login_as(Role.ADMIN)
    response = client.post(
        "/actions/new",
        data={
            "csrf_token": csrf_token(client, "/"),
            "title": "x",
            "priority": "low",
            "kind": "corrective",
            "owner_id": HUGE,
            "finding_id": "0",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Must be at most" in page and "Must be at least 1." in page

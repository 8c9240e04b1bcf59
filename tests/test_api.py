"""The JSON API: tokens (scope, expiry, revocation, ownership), the probe's journey, problem JSON, and the OpenAPI document."""

import os
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import select

from models.actions.tables import Action, ActionStatus
from models.audit import AuditEvent
from models.drills.tables import Outage, Phase, Step
from models.people.tokens import AccessToken, Scope
from models.people.users import Role
from models.signoff.snapshot import content_hash, drill_snapshot
from tests.helpers import Auth, bearer, csrf_token, make_token, reread, sign_demo
from views.api.openapi import document

TODAY = date.today()


@pytest.fixture
def editor_token(db, users):
    return make_token(db, users[Role.EDITOR])


# Tokens: made and revoked in the UI, shown once, stored hashed ------------------------------------


def test_a_token_is_shown_once_and_only_its_hash_is_stored(client, auth, db):
    auth.login_as(Role.EDITOR)
    response = client.post(
        "/account/tokens",
        data={
            "csrf_token": csrf_token(client, "/account/tokens"),
            "name": "Zabbix probe",
            "scope": "write",
            "expires_on": (TODAY + timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 201
    secret = re.search(r'value="(dbk_[^"]+)"', response.get_data(as_text=True)).group(1)
    stored = db.exec(select(AccessToken)).one()
    assert secret not in (stored.token_hash, stored.hint) and len(stored.token_hash) == 64
    assert secret not in client.get("/account/tokens").get_data(as_text=True), "never shown again"
    assert client.get("/api/v1/drills", headers=bearer(secret)).status_code == 200


@pytest.mark.parametrize(
    "expires_on, message", [(TODAY, "after today"), (TODAY + timedelta(days=400), "at most 366 days"), ("", "required")]
)
def test_token_expiry_must_be_within_a_year(client, auth, db, expires_on, message):
    auth.login_as(Role.EDITOR)
    response = client.post(
        "/account/tokens",
        data={
            "csrf_token": csrf_token(client, "/account/tokens"),
            "name": "x",
            "scope": "read",
            "expires_on": str(expires_on),
        },
    )
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.exec(select(AccessToken)).all() == []


def test_a_revoked_token_stops_at_once(client, auth, db, users):
    auth.login_as(Role.EDITOR)
    secret = make_token(db, users[Role.EDITOR])
    token = db.exec(select(AccessToken)).one()
    assert (
        client.post(
            f"/account/tokens/{token.id}/revoke", data={"csrf_token": csrf_token(client, "/account/tokens")}
        ).status_code
        == 302
    )
    response = client.get("/api/v1/drills", headers=bearer(secret))
    assert response.status_code == 401 and response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    reread(db)
    actions = [e.action for e in db.exec(select(AuditEvent)).all()]
    assert "token_revoked" in actions


def test_nobody_revokes_someone_elses_token_by_changing_the_id(app, db, users):
    secret = make_token(db, users[Role.APPROVER])
    token = db.exec(select(AccessToken)).one()
    other = app.test_client()
    Auth(other).login_as(Role.ADMIN)
    assert (
        other.post(
            f"/account/tokens/{token.id}/revoke", data={"csrf_token": csrf_token(other, "/account/tokens")}
        ).status_code
        == 404
    )
    assert app.test_client().get("/api/v1/drills", headers=bearer(secret)).status_code == 200


def test_an_expired_token_and_a_deactivated_owner_are_refused(client, db, users):
    expired = make_token(db, users[Role.EDITOR], expires_on=TODAY + timedelta(days=1))
    record = db.exec(select(AccessToken)).one()
    record.expires_on = TODAY - timedelta(days=1)
    db.commit()
    assert client.get("/api/v1/drills", headers=bearer(expired)).status_code == 401
    secret = make_token(db, users[Role.AUDITOR])
    assert client.get("/api/v1/drills", headers=bearer(secret)).status_code == 200
    users[Role.AUDITOR].active = False
    db.commit()
    assert client.get("/api/v1/drills", headers=bearer(secret)).status_code == 401


@pytest.mark.parametrize(
    "header", [None, "Bearer ", "Bearer dbk_not-a-real-token", "Basic ZWRpdG9yOnB3", "Bearer " + "x" * 5000]
)
def test_missing_or_bad_credentials_are_a_401_problem(client, users, header):
    response = client.get("/api/v1/drills", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert "access token" in response.get_json()["detail"]


def test_a_session_cookie_does_not_open_the_api(client, auth):
    auth.login_as(Role.ADMIN)
    assert client.get("/api/v1/drills").status_code == 401
    assert client.post("/api/v1/drills", json={"title": "x", "kind": "tabletop"}).status_code == 401


def test_read_scope_reads_and_cannot_write(client, db, users, demo):
    secret = make_token(db, users[Role.EDITOR], Scope.READ)
    assert client.get(f"/api/v1/drills/{demo.id}", headers=bearer(secret)).status_code == 200
    response = client.post("/api/v1/drills", json={"title": "x", "kind": "tabletop"}, headers=bearer(secret))
    assert response.status_code == 403 and "read-only" in response.get_json()["detail"]


def test_a_token_has_its_owners_role_never_more(client, db, users):
    secret = make_token(db, users[Role.AUDITOR], Scope.WRITE)
    response = client.post("/api/v1/drills", json={"title": "x", "kind": "tabletop"}, headers=bearer(secret))
    assert response.status_code == 403 and "auditor role may not" in response.get_json()["detail"]


def test_last_use_is_recorded(client, db, users, editor_token):
    client.get("/api/v1/systems", headers=bearer(editor_token))
    reread(db)
    assert db.exec(select(AccessToken)).one().last_used_at is not None


# The probe's journey, and writes with the same rules as the pages --------------------------------


def test_a_probe_marks_a_system_down_and_up_during_a_drill(client, db, demo, editor_token):
    demo.actual_end = None  # under way: once a drill has ended, its cockpit and probes are refused
    db.commit()
    systems = client.get("/api/v1/systems", headers=bearer(editor_token)).get_json()["items"]
    system = next(s for s in systems if s["name"] == demo.systems[0].name)
    down = client.post(f"/api/v1/drills/{demo.id}/systems/{system['id']}/down", headers=bearer(editor_token))
    assert (
        down.status_code == 200 and down.get_json()["changed"] is True and down.get_json()["outage"]["ended_at"] is None
    )
    again = client.post(f"/api/v1/drills/{demo.id}/systems/{system['id']}/down", headers=bearer(editor_token))
    assert again.get_json()["changed"] is False, "a probe repeating itself does not open a second outage"
    up = client.post(f"/api/v1/drills/{demo.id}/systems/{system['id']}/up", headers=bearer(editor_token))
    assert up.get_json() == {"system_id": system["id"], "state": "up", "changed": True, "outage": None}
    reread(db)
    outages = db.exec(select(Outage).where(Outage.drill_id == demo.id, Outage.system_id == system["id"])).all()
    assert len([o for o in outages if o.ended_at is None]) == 0 and len(outages) >= 1
    audited = db.exec(select(AuditEvent).where(AuditEvent.entity_type == "outage")).all()
    assert {e.actor for e in audited} == {"editor@example.test"}


def test_steps_are_started_and_finished_with_the_servers_clock(client, db, editor_token):
    drill = client.post(
        "/api/v1/drills", json={"title": "API drill", "kind": "functional"}, headers=bearer(editor_token)
    ).get_json()
    step = client.post(f"/api/v1/drills/{drill['id']}/steps/1/start", headers=bearer(editor_token))
    assert step.status_code == 404, "a step of another drill is not found through this one"
    db.add(Step(drill_id=drill["id"], phase=Phase.FAILOVER, title="Switch DNS"))
    db.commit()
    step_id = client.get(f"/api/v1/drills/{drill['id']}", headers=bearer(editor_token)).get_json()["steps"][0]["id"]
    started = client.post(
        f"/api/v1/drills/{drill['id']}/steps/{step_id}/start", headers=bearer(editor_token)
    ).get_json()
    assert started["started_at"] and started["changed"] is True
    finished = client.post(
        f"/api/v1/drills/{drill['id']}/steps/{step_id}/finish", json={"outcome": "issues"}, headers=bearer(editor_token)
    )
    assert finished.get_json()["outcome"] == "issues" and finished.get_json()["ended_at"]
    bad = client.post(
        f"/api/v1/drills/{drill['id']}/steps/{step_id}/finish", json={"outcome": "great"}, headers=bearer(editor_token)
    )
    assert bad.status_code == 422 and "outcome" in bad.get_json()["errors"]


def test_validation_errors_name_each_field(client, editor_token):
    response = client.post(
        "/api/v1/drills",
        json={"title": "", "kind": "picnic", "planned_start": "2026-06-13T05:00", "colour": "red"},
        headers=bearer(editor_token),
    )
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert set(errors) == {"colour"}, "unknown fields are named before anything else"
    response = client.post("/api/v1/drills", json={"title": "", "kind": "picnic"}, headers=bearer(editor_token))
    assert set(response.get_json()["errors"]) == {"title", "kind"}
    naive = client.post(
        "/api/v1/drills",
        json={"title": "x", "kind": "tabletop", "planned_start": "2026-06-13T05:00"},
        headers=bearer(editor_token),
    )
    assert naive.status_code == 422 and "UTC offset" in naive.get_json()["errors"]["planned_start"]
    for body in (b"not json", b"[1, 2]"):
        response = client.post(
            "/api/v1/drills", data=body, content_type="application/json", headers=bearer(editor_token)
        )
        assert response.status_code == 400 and response.headers["Content-Type"] == "application/problem+json"


def test_a_signed_drill_stays_read_only_through_the_api(client, db, users, signoff, editor_token):
    response = client.post(f"/api/v1/drills/{signoff.drill_id}/steps/1/start", headers=bearer(editor_token))
    assert response.status_code == 404
    finding = client.post(
        "/api/v1/findings",
        json={"drill_id": signoff.drill_id, "title": "late", "kind": "observation"},
        headers=bearer(editor_token),
    )
    assert finding.status_code == 422 and "signed" in finding.get_json()["detail"]


def test_no_api_route_changes_a_signed_drill(client, db, users, demo, editor_token):
    sign_demo(db, demo, users)
    reread(db)
    frozen = content_hash(drill_snapshot(demo))
    step, system = demo.steps[-1], demo.systems[0]
    for url in (
        f"/api/v1/drills/{demo.id}/steps/{step.id}/start",
        f"/api/v1/drills/{demo.id}/steps/{step.id}/finish",
        f"/api/v1/drills/{demo.id}/systems/{system.id}/down",
        f"/api/v1/drills/{demo.id}/systems/{system.id}/up",
    ):
        response = client.post(url, headers=bearer(editor_token))
        assert response.status_code == 422 and "signed" in response.get_json()["detail"], url
    reread(db)
    assert content_hash(drill_snapshot(demo)) == frozen


def test_findings_and_actions_are_created_and_moved_on(client, db, users, demo, editor_token):
    finding = client.post(
        "/api/v1/findings",
        json={"drill_id": demo.id, "title": "Partner kept the old IP", "kind": "improvement", "severity": "high"},
        headers=bearer(editor_token),
    )
    assert finding.status_code == 201, finding.get_json()
    action = client.post(
        "/api/v1/actions",
        json={
            "finding_id": finding.get_json()["id"],
            "title": "Register the backup IP",
            "owner_id": users[Role.EDITOR].id,
            "priority": "high",
            "kind": "corrective",
            "controls": "A.5.30",
        },
        headers=bearer(editor_token),
    )
    assert action.status_code == 201, action.get_json()
    action_id = action.get_json()["id"]
    assert action.get_json()["controls"] == ["A.5.30"]
    done = client.post(
        f"/api/v1/actions/{action_id}/complete",
        json={"completion_note": "Both partners confirmed."},
        headers=bearer(editor_token),
    )
    assert done.status_code == 200 and done.get_json()["status"] == "done"
    own_check = client.post(
        f"/api/v1/actions/{action_id}/verify", json={"verification_result": "effective"}, headers=bearer(editor_token)
    )
    assert own_check.status_code in (403, 422)
    approver = make_token(db, users[Role.APPROVER])
    verified = client.post(
        f"/api/v1/actions/{action_id}/verify",
        json={
            "verification_result": "effective",
            "verification_method": "test",
            "effectiveness_checked_on": TODAY.isoformat(),
        },
        headers=bearer(approver),
    )
    assert verified.status_code == 200, verified.get_json()
    assert verified.get_json()["status"] == "verified"


def test_evidence_is_uploaded_and_described(client, demo, editor_token):
    response = client.post(
        f"/api/v1/evidence?filename=failover.log&drill_id={demo.id}&controls=A.5.30",
        data=b"05:00 switch\n",
        headers={**bearer(editor_token), "Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 201, response.get_json()
    item = client.get(response.headers["Location"], headers=bearer(editor_token)).get_json()
    assert item["original_name"] == "failover.log" and item["controls"] == ["A.5.30"] and item["size"] == 13
    refused = client.post(
        "/api/v1/evidence?filename=page.html", data=b"<html><script>x</script></html>", headers=bearer(editor_token)
    )
    assert refused.status_code == 422


def test_lists_are_paged(client, editor_token):
    page = client.get("/api/v1/controls?limit=5&offset=10", headers=bearer(editor_token)).get_json()
    assert len(page["items"]) == 5 and page["total"] > 90 and page["offset"] == 10
    assert client.get("/api/v1/controls?limit=0", headers=bearer(editor_token)).status_code == 400
    assert client.get("/api/v1/controls?limit=abc", headers=bearer(editor_token)).status_code == 400


# The OpenAPI document ---------------------------------------------------------------------------


def test_the_document_describes_every_api_route_and_nothing_else(app):
    described = {(path, method) for path, ops in document()["paths"].items() for method in ops}
    actual = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1")), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert described == actual


def test_the_document_is_served_and_valid_openapi_3_1(client):
    import schemathesis

    body = client.get("/api/v1/openapi.json").get_json()
    assert body["openapi"] == "3.1.0"
    schema = schemathesis.openapi.from_dict(body)
    assert len(list(schema.get_all_operations())) == sum(len(ops) for ops in body["paths"].values())


def test_the_readme_probe_works_as_written(live_server, db, demo, editor_token, tmp_path):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    script = readme.split("<!-- probe -->\n```python\n", 1)[1].split("```", 1)[0]
    (tmp_path / "probe.py").write_text(script)
    env = {**os.environ, "DRILLBOOK_URL": live_server, "DRILLBOOK_TOKEN": editor_token}
    demo.actual_end = None  # a probe reports during a drill under way
    db.commit()
    system = demo.systems[0]
    for state in ("down", "up"):
        run = subprocess.run(
            [sys.executable, str(tmp_path / "probe.py"), str(demo.id), system.name, state],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == 0, run.stderr
        assert f"'state': '{state}'" in run.stdout
    reread(db)
    last = db.exec(select(Outage).where(Outage.system_id == system.id).order_by(Outage.id.desc())).first()
    assert last.ended_at is not None and (last.ended_at - last.started_at).total_seconds() < 60


@pytest.mark.parametrize("path", ["/findings", "/actions", "/evidence", "/drills", "/systems", "/controls"])
def test_a_list_costs_the_same_queries_for_few_or_many_records(app, client, db, users, demo, editor_token, path):
    from sqlalchemy import event

    from models.actions.tables import Action
    from models.findings.tables import Finding, FindingKind

    client.get(
        "/api/v1/systems", headers=bearer(editor_token)
    )  # the token's first use is recorded once; leave that out
    statements = []
    engine = app.extensions["drillbook.engine"]
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(1))
    counts = []
    for _ in range(2):
        statements.clear()
        assert client.get(f"/api/v1{path}?limit=500", headers=bearer(editor_token)).status_code == 200
        counts.append(len(statements))
        for number in range(15):
            finding = Finding(kind=FindingKind.OBSERVATION, title=f"Extra {number}", drill_id=demo.id)
            db.add(finding)
            db.flush()
            db.add(Action(title=f"Extra {number}", finding_id=finding.id, owner_id=users[Role.EDITOR].id))
        db.commit()
    assert counts[0] == counts[1], counts


def test_an_edit_that_lost_a_race_is_a_409_problem_not_a_500(client, db, users, editor_token):
    """Someone else's write lands between this request's read and its write: the row version no longer matches."""
    action = Action(title="Register the backup IP", owner_id=users[Role.EDITOR].id, kind="corrective", priority="high")
    db.add(action)
    db.commit()

    def someone_else_saves_first(session, flush_context, instances):
        if any(isinstance(obj, Action) for obj in session.dirty):
            session.connection().execute(
                text("UPDATE action SET version = version + 1 WHERE id = :id"), {"id": action.id}
            )

    event.listen(OrmSession, "before_flush", someone_else_saves_first)
    try:
        response = client.post(f"/api/v1/actions/{action.id}/start", json={}, headers=bearer(editor_token))
    finally:
        event.remove(OrmSession, "before_flush", someone_else_saves_first)
    assert response.status_code == 409 and response.mimetype == "application/problem+json", response.get_data(
        as_text=True
    )
    reread(db)
    assert db.get(Action, action.id).status == ActionStatus.OPEN


def test_a_probe_after_the_drill_ended_is_refused_with_a_problem(client, db, demo, editor_token):
    """Like the cockpit: an ended drill's record no longer takes outages from a probe."""
    system = demo.systems[0]
    refused = client.post(f"/api/v1/drills/{demo.id}/systems/{system.id}/down", headers=bearer(editor_token))
    assert refused.status_code == 422 and "The drill has ended" in refused.get_json()["detail"]
    reread(db)
    assert all(o.ended_at is not None for o in db.exec(select(Outage)).all())

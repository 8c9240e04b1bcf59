"""Findings and actions followed to verified: every transition, who may make it, and the lists people work from."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from models.actions.tables import Action, ActionStatus
from models.findings.tables import DrillRelation, Finding
from models.people.users import Role
from tests.helpers import Auth, csrf_token, reread, sign_demo


def post(client, url, **data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/")})


def fresh(db, model, ident):
    reread(db)
    return db.get(model, ident)


@pytest.fixture
def owned(db, users, demo):
    """The reference drill's partner-test action, owned by the editor, due in the past."""
    action = next(a for a in demo.actions if a.finding_id)
    action.owner_id = users[Role.EDITOR].id
    action.due_date = date.today() - timedelta(days=3)
    db.add(action)
    db.commit()
    return action


def as_role(app, role):
    client = app.test_client()
    Auth(client).login_as(role)
    return client


def test_action_walks_every_transition_including_a_not_effective_reopen(app, db, users, owned):
    owner, approver = as_role(app, Role.EDITOR), as_role(app, Role.APPROVER)
    url = f"/actions/{owned.id}"
    assert post(owner, url + "/start").status_code == 302
    missing_note = post(owner, url + "/complete", completion_note="  ")
    assert missing_note.status_code == 422 and "This field is required." in missing_note.get_data(as_text=True)
    assert post(owner, url + "/complete", completion_note="Tested with TSO A; TSO B pending").status_code == 302
    no_reason = post(
        approver,
        url + "/verify",
        verification_method="Repeat test",
        verification_result="not_effective",
        effectiveness_checked_on=date.today().isoformat(),
    )
    assert no_reason.status_code == 422 and "say why it was not effective" in no_reason.get_data(as_text=True).lower()
    assert (
        post(
            approver,
            url + "/verify",
            verification_method="Repeat test from Brussels",
            verification_result="not_effective",
            effectiveness_checked_on=date.today().isoformat(),
            verification_notes="TSO B still rejects the backup IP",
        ).status_code
        == 302
    )
    reopened = fresh(db, Action, owned.id)
    assert reopened.status == ActionStatus.OPEN and reopened.completed_at is None
    post(owner, url + "/start")
    post(owner, url + "/complete", completion_note="TSO B registered the address; confirmed by e-mail")
    future = post(
        approver,
        url + "/verify",
        verification_method="x",
        verification_result="effective",
        effectiveness_checked_on=(date.today() + timedelta(days=2)).isoformat(),
    )
    assert future.status_code == 422 and "cannot be dated in the future" in future.get_data(as_text=True)
    before_it_existed = post(
        approver,
        url + "/verify",
        verification_method="x",
        verification_result="effective",
        effectiveness_checked_on=(owned.created_at.date() - timedelta(days=1)).isoformat(),
    )
    assert before_it_existed.status_code == 422
    assert "before the action was recorded" in before_it_existed.get_data(as_text=True)
    assert (
        post(
            approver,
            url + "/verify",
            verification_method="Messages sent from Brussels to every partner",
            verification_result="effective",
            effectiveness_checked_on=date.today().isoformat(),
            verification_evidence="Test report AS2-2020-07",
        ).status_code
        == 302
    )
    done = fresh(db, Action, owned.id)
    assert done.status == ActionStatus.VERIFIED and done.verified_by_id == users[Role.APPROVER].id
    moves = [(t.from_status, t.to_status, t.actor_id) for t in done.transitions]
    e, a = users[Role.EDITOR].id, users[Role.APPROVER].id
    assert moves == [
        ("open", "in_progress", e),
        ("in_progress", "done", e),
        ("done", "open", a),
        ("open", "in_progress", e),
        ("in_progress", "done", e),
        ("done", "verified", a),
    ]
    assert "TSO B still rejects the backup IP" in done.transitions[2].note
    page = approver.get(url).get_data(as_text=True)
    assert "Verified effective" in page and "Test report AS2-2020-07" in page
    assert (
        post(
            owner,
            f"/actions/{owned.id}/edit",
            title="rewrite",
            priority="low",
            kind="corrective",
            version=str(done.version),
        ).status_code
        == 422
    )


def test_the_owner_cannot_verify_their_own_action(app, db, users, owned):
    owned.owner_id = users[Role.APPROVER].id
    owned.status = ActionStatus.DONE
    db.add(owned)
    db.commit()
    approver = as_role(app, Role.APPROVER)
    response = post(
        approver,
        f"/actions/{owned.id}/verify",
        verification_method="self",
        verification_result="effective",
        effectiveness_checked_on=date.today().isoformat(),
    )
    assert response.status_code == 403 and "cannot verify it" in response.get_data(as_text=True)
    assert fresh(db, Action, owned.id).status == ActionStatus.DONE


@pytest.mark.parametrize(
    "role, move", [(Role.AUDITOR, "start"), (Role.AUDITOR, "cancel"), (Role.APPROVER, "start"), (Role.EDITOR, "verify")]
)
def test_roles_that_may_not_move_an_action(app, db, users, owned, role, move):
    response = post(
        as_role(app, role),
        f"/actions/{owned.id}/{move}",
        cancelled_reason="x",
        verification_method="x",
        verification_result="effective",
        effectiveness_checked_on=date.today().isoformat(),
    )
    assert response.status_code == 403
    assert fresh(db, Action, owned.id).status == ActionStatus.OPEN


def test_cancel_needs_a_reason(app, db, owned):
    editor = as_role(app, Role.EDITOR)
    assert post(editor, f"/actions/{owned.id}/cancel", cancelled_reason="").status_code == 422
    assert (
        post(
            editor, f"/actions/{owned.id}/cancel", cancelled_reason="Superseded by the DNS provider change"
        ).status_code
        == 302
    )
    assert fresh(db, Action, owned.id).status == ActionStatus.CANCELLED
    assert post(editor, f"/actions/{owned.id}/cancel", cancelled_reason="again").status_code == 422


def test_actions_stay_followable_after_sign_off_while_findings_freeze(app, db, owned, demo, users):
    sign_demo(db, demo, users)
    editor = as_role(app, Role.EDITOR)
    assert post(editor, f"/actions/{owned.id}/start").status_code == 302
    assert fresh(db, Action, owned.id).status == ActionStatus.IN_PROGRESS
    finding = demo.findings[0]
    assert editor.get(f"/findings/{finding.id}/edit").status_code == 302
    before = fresh(db, Finding, finding.id).title
    post(editor, f"/findings/{finding.id}/edit", title="rewritten", kind="incident", version=str(finding.version))
    assert fresh(db, Finding, finding.id).title == before


def test_standalone_incident_records_who_decided(app, db, users):
    editor = as_role(app, Role.EDITOR)
    response = post(
        editor,
        "/findings/new",
        title="Storage array failed at night",
        kind="incident",
        severity="high",
        detected_at="2026-02-01T02:10",
        resolved_at="2026-02-01T03:05",
        related_to_drill="no",
        relation_rationale="No drill was running.",
        controls="A.5.26 A.8.14",
    )
    assert response.status_code == 302
    reread(db)
    finding = db.exec(select(Finding).where(Finding.title == "Storage array failed at night")).one()
    assert finding.drill_id is None and finding.related_to_drill == DrillRelation.NO
    assert finding.relation_decided_by_id == users[Role.EDITOR].id
    assert sorted(c.code for c in finding.controls) == ["A.5.26", "A.8.14"]
    bad = post(
        editor,
        "/findings/new",
        title="x",
        kind="incident",
        detected_at="2026-02-01T03:00",
        resolved_at="2026-02-01T02:00",
    )
    assert bad.status_code == 422 and "Resolved before it was detected" in bad.get_data(as_text=True)


def test_create_action_validates_owner_and_links(app, db, users, demo):
    editor = as_role(app, Role.EDITOR)
    users[Role.AUDITOR].active = False
    db.add(users[Role.AUDITOR])
    db.commit()
    for data, message in [
        ({"owner_id": str(users[Role.AUDITOR].id)}, "Choose an active user"),
        ({"finding_id": "999"}, "does not exist"),
        ({"due_date": "31/12/2026"}, "valid date"),
        ({"controls": "A.0.0"}, "Unknown control code"),
    ]:
        response = post(editor, "/actions/new", title="Rotate DNS TTLs", priority="high", kind="preventive", **data)
        assert response.status_code == 422 and message in response.get_data(as_text=True), data
    finding = demo.findings[0]
    ok = post(
        editor,
        "/actions/new",
        title="Rotate DNS TTLs",
        priority="high",
        kind="preventive",
        finding_id=str(finding.id),
        owner_id=str(users[Role.EDITOR].id),
        due_date="2030-01-31",
    )
    assert ok.status_code == 302
    reread(db)
    action = db.exec(select(Action).where(Action.title == "Rotate DNS TTLs")).one()
    assert action.drill_id == demo.id, "an action from a finding belongs to the finding's drill"


def test_filters_and_my_actions(app, db, users, owned, demo):
    editor = as_role(app, Role.EDITOR)
    mine = editor.get("/actions/mine", follow_redirects=True).get_data(as_text=True)
    assert owned.title in mine and "Update the backup configuration" not in mine
    overdue = editor.get("/actions?due=overdue").get_data(as_text=True)
    assert owned.title in overdue and "Update the backup configuration" in overdue  # due 2020-09-30, still open
    by_control = editor.get("/actions?control=A.8.13").get_data(as_text=True)
    assert "Update the backup configuration" in by_control and owned.title not in by_control
    assert "No actions match" in editor.get("/actions?drill=999").get_data(as_text=True)
    assert editor.get("/actions?owner=abc&due=never&status=zzz").status_code == 200


def test_csv_export_opens_cleanly_with_formulas_neutralised(app, db, owned):
    owned.title = "=cmd|' /C calc'!A0"
    db.add(owned)
    db.commit()
    response = as_role(app, Role.AUDITOR).get("/actions/export.csv?status=")
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff") and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["id", "title", "status"] and len(rows) == 5
    titles = [r[1] for r in rows[1:]]
    assert "'=cmd|' /C calc'!A0" in titles
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_improvement_plan_matrix_on_the_drill_page(app, users, demo):
    page = as_role(app, Role.AUDITOR).get(f"/drills/{demo.id}").get_data(as_text=True)
    assert "Improvement plan" in page and "Area for improvement" in page and "Capability" in page
    assert "Two TSOs had not registered" in page.replace("&#39;", "'")


@pytest.mark.parametrize(
    "status, due, overdue",
    [
        (ActionStatus.OPEN, date(2026, 1, 1), True),
        (ActionStatus.IN_PROGRESS, date(2026, 1, 1), True),
        (ActionStatus.OPEN, date(2026, 1, 2), False),
        (ActionStatus.DONE, date(2025, 1, 1), False),
        (ActionStatus.VERIFIED, date(2025, 1, 1), False),
        (ActionStatus.OPEN, None, False),
    ],
)
def test_action_is_overdue_only_while_work_is_outstanding(status, due, overdue):
    assert Action(title="a", status=status, due_date=due).is_overdue(date(2026, 1, 2)) is overdue


def test_days_open_stops_at_verification():
    created = datetime(2026, 1, 1, 12, tzinfo=UTC)
    action = Action(title="a", created_at=created)
    assert action.days_open(date(2026, 1, 11)) == 10
    action.status, action.verified_at = ActionStatus.VERIFIED, datetime(2026, 1, 5, 9, tzinfo=UTC)
    assert action.days_open(date(2026, 3, 1)) == 4


def test_whoever_completed_an_action_cannot_verify_it_and_a_done_action_keeps_its_owner(app, db, users, owned):
    """The attack: complete, have the action reassigned, verify your own work."""
    admin = as_role(app, Role.ADMIN)
    assert (
        post(admin, f"/actions/{owned.id}/complete", completion_note="Both partners registered the IP.").status_code
        == 302
    )
    done = fresh(db, Action, owned.id)
    reassigned = post(
        admin,
        f"/actions/{owned.id}/edit",
        title=done.title,
        owner_id=str(users[Role.APPROVER].id),
        priority=done.priority.value,
        kind=done.kind.value,
        version=str(done.version),
    )
    assert reassigned.status_code == 422 and "keeps its owner" in reassigned.get_data(as_text=True)
    response = post(
        admin,
        f"/actions/{owned.id}/verify",
        verification_method="repeated the partner test",
        verification_result="effective",
        effectiveness_checked_on=date.today().isoformat(),
    )
    assert response.status_code == 403 and "cannot verify it" in response.get_data(as_text=True)
    assert fresh(db, Action, owned.id).status == ActionStatus.DONE
    approver = as_role(app, Role.APPROVER)
    assert (
        post(
            approver,
            f"/actions/{owned.id}/verify",
            verification_method="repeated the partner test",
            verification_result="effective",
            effectiveness_checked_on=date.today().isoformat(),
        ).status_code
        == 302
    )
    assert fresh(db, Action, owned.id).status == ActionStatus.VERIFIED


def test_the_action_form_sets_the_planned_start_the_plan_shows(app, db, users, demo):
    from tests.helpers import form_fields

    editor = as_role(app, Role.EDITOR)
    action = db.exec(select(Action).where(Action.drill_id == demo.id).order_by(Action.id)).first()
    page = editor.get(f"/actions/{action.id}/edit").get_data(as_text=True)
    fields = form_fields(page)
    assert "start_date" in fields, "the planned start is on the form"
    fields["start_date"] = "2020-08-01"
    saved = editor.post(f"/actions/{action.id}/edit", data={**fields.to_dict(), "csrf_token": csrf_token(editor, "/")})
    assert saved.status_code == 302
    reread(db)
    assert db.get(Action, action.id).start_date.isoformat() == "2020-08-01"
    assert "2020-08-01" in editor.get(f"/drills/{demo.id}").get_data(as_text=True)
    assert "Planned start" in editor.get(f"/actions/{action.id}").get_data(as_text=True)

"""Sign-off freezes the record: below the pages the database refuses, and the audit trail shows any tampering."""

import csv
import hashlib
import io
import json
import subprocess
import threading
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from evidence.reports.drill import drill_report
from models import audit
from models.audit import AuditEvent
from models.core.database import open_session
from models.core.errors import NotAllowed, RecordError
from models.core.types import utcnow
from models.drills.tables import Drill, DrillKind, DrillStatus
from models.people.users import Role
from models.signoff.snapshot import content_hash, differences, drill_snapshot
from models.signoff.workflow import sign, submit_for_review
from models.systems import System
from tests.helpers import OVERRIDE, PASSWORD, Auth, bearer, csrf_token, make_token, reread, sign_demo


def as_role(app, role):
    client = app.test_client()
    Auth(client).login_as(role)
    return client


def post(client, url, **data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/")})


def test_approver_signs_with_password_and_statement(app, db, users, demo):
    approver = as_role(app, Role.APPROVER)
    page = approver.get(f"/drills/{demo.id}/review").get_data(as_text=True)
    assert "unchanged since submission" in page and "Sign revision 1" in page
    wrong = post(approver, f"/drills/{demo.id}/sign", password="not my password", statement="A true account.")
    assert wrong.status_code == 422 and "re-enter your own password" in wrong.get_data(as_text=True)
    empty = post(approver, f"/drills/{demo.id}/sign", password=PASSWORD, statement="  ")
    assert empty.status_code == 422 and "Write the statement" in empty.get_data(as_text=True)
    signing = {"password": PASSWORD, "statement": "A true account.", "override": OVERRIDE}
    assert post(approver, f"/drills/{demo.id}/sign", **signing).status_code == 302
    reread(db)
    drill = db.get(Drill, demo.id)
    assert drill.status == DrillStatus.SIGNED
    signoff = drill.signoffs[0]
    assert signoff.signer_id == users[Role.APPROVER].id and signoff.content_sha256 == drill.reviews[-1].content_sha256
    detail = approver.get(f"/drills/{demo.id}").get_data(as_text=True)
    assert signoff.content_sha256 in detail and signoff.audit_head in detail and "A true account." in detail
    exported = approver.get(f"/drills/{demo.id}/signoffs/{signoff.id}.json")
    assert hashlib.sha256(exported.data).hexdigest() == signoff.content_sha256


def test_a_record_changed_after_submission_cannot_be_signed(db, users, demo):
    demo.steps[0].notes = "edited after submission"
    db.add(demo.steps[0])
    db.flush()
    with pytest.raises(RecordError, match="changed after it was submitted"):
        sign(db, demo, users[Role.APPROVER], PASSWORD, "A true account.", require_independent=True)


def test_the_submitter_may_not_sign_when_independence_is_required(db, users, demo):
    submit_for_review(db, demo, users[Role.APPROVER])
    with pytest.raises(NotAllowed, match="another approver must sign"):
        sign(db, demo, users[Role.APPROVER], PASSWORD, "A true account.", require_independent=True)
    assert sign(db, demo, users[Role.APPROVER], PASSWORD, "A true account.", False, OVERRIDE).revision == 1


def test_only_approvers_sign(db, users, demo):
    with pytest.raises(NotAllowed):
        sign(db, demo, users[Role.ADMIN], PASSWORD, "A true account.", require_independent=True)


RAW_CHANGES = [
    "UPDATE drill SET title = 'rewritten' WHERE id = :d",
    "DELETE FROM drill WHERE id = :d",
    "UPDATE step SET notes = 'rewritten' WHERE drill_id = :d",
    "DELETE FROM step WHERE drill_id = :d",
    "INSERT INTO step (drill_id, position, phase, title, outcome, notes, version) VALUES (:d, 99, 'failover', 'added', 'pending', '', 1)",
    "UPDATE outage SET ended_at = NULL WHERE drill_id = :d",
    "DELETE FROM objective WHERE drill_id = :d",
    "UPDATE participant SET headcount = 99 WHERE drill_id = :d",
    "UPDATE finding SET relation_rationale = 'rewritten' WHERE drill_id = :d",
    "DELETE FROM finding_control WHERE finding_id IN (SELECT id FROM finding WHERE drill_id = :d)",
    "DELETE FROM drill_control WHERE drill_id = :d",
    "UPDATE drill_system SET last_data_at = '2020-01-01 00:00:00' WHERE drill_id = :d",
    "UPDATE sign_off SET statement = 'rewritten'",
    "DELETE FROM sign_off",
    "UPDATE audit_event SET actor = 'someone else'",
    "DELETE FROM audit_event",
]


@pytest.mark.parametrize("statement", RAW_CHANGES)
def test_raw_sql_cannot_change_a_signed_drill_or_the_trail(db, users, demo, statement):
    sign_demo(db, demo, users)
    with pytest.raises(IntegrityError, match="signed and frozen|append-only|never changes"):
        db.exec(text(statement).bindparams(d=demo.id) if ":d" in statement else text(statement))
        db.flush()
    db.rollback()


def test_evidence_records_are_immutable_but_verification_times_move(db, evidence_item):
    with pytest.raises(IntegrityError, match="evidence is immutable"):
        db.exec(text("UPDATE evidence SET sha256 = 'x' WHERE id = :i").bindparams(i=evidence_item.id))
    db.rollback()
    db.exec(
        text("UPDATE evidence SET last_verified_at = '2026-01-01 00:00:00' WHERE id = :i").bindparams(
            i=evidence_item.id
        )
    )
    db.commit()


def test_actions_of_a_signed_drill_stay_live_in_the_database(db, users, demo):
    sign_demo(db, demo, users)
    result = db.exec(text("UPDATE action SET status = 'in_progress' WHERE drill_id = :d").bindparams(d=demo.id))
    assert result.rowcount == 4
    db.commit()


def test_verify_names_the_first_altered_audit_entry(app, runner, db, users, demo):
    for n in range(3):
        audit.record(db, "test", actor="tester", entity_id=n, after={"note": "entry"})
    db.commit()
    target = audit.event_count(db) - 1
    if db.get_bind().dialect.name == "postgresql":
        db.exec(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
    else:
        db.exec(text("DROP TRIGGER audit_event_no_update"))
    db.exec(text("UPDATE audit_event SET after = replace(after, 'e', 'E') WHERE seq = :s").bindparams(s=target))
    db.commit()
    result = runner.invoke(args=["verify"])
    assert result.exit_code == 1
    assert f"BROKEN   audit trail entry {target}" in result.output


def test_verify_reports_an_intact_chain(runner, users, demo):
    result = runner.invoke(args=["verify"])
    assert result.exit_code == 0 and "chain intact" in result.output


def test_twenty_concurrent_writers_leave_one_unbroken_chain(app, db):
    engine = app.extensions["drillbook.engine"]
    errors = []

    def writer(n):
        try:
            for i in range(10):
                with open_session(engine, write=True) as session:
                    audit.record(session, "test", actor=f"writer-{n}", entity_id=i)
                    session.commit()
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    reread(db)
    assert audit.event_count(db) == 200
    assert audit.first_broken(db) is None


def test_sign_off_hash_covers_every_evidence_hash(db, users, demo, evidence_item):
    reread(db)
    drill = db.get(Drill, demo.id)
    assert [e.sha256 for e in drill.evidence] == [evidence_item.sha256]
    before = content_hash(drill_snapshot(drill))
    with db.no_autoflush:
        drill.evidence[0].sha256 = "0" * 64
        after = content_hash(drill_snapshot(drill))
    db.rollback()
    assert before != after


#: every POST route that acts on a drill; the test below fails when a new one is not listed here
MUTATING = [
    "drills.edit",
    "drills.import_csv",
    "drills.plan_next",
    "drill_parts.new",
    "drill_parts.edit",
    "drill_parts.delete",
    "drill_parts.last_data",
    "live.start",
    "live.end",
    "live.start_step",
    "live.finish_step",
    "live.mark",
    "live.finding",
    "live.hotwash",
    "signoff.submit",
    "signoff.sign_drill",
    "signoff.send_back",
    "signoff.amend_drill",
    "reports.drill",
]
#: the API's routes that act on a drill, refused on a signed one in test_api.py
API_MUTATING = {"api.start_step", "api.finish_step", "api.mark_system"}
#: of those, the ones that do not change the drill they are given
NOT_CHANGING = {
    "signoff.amend_drill": "opens a new revision",
    "reports.drill": "issues a report",
    "drills.plan_next": "plans a new drill from it",
}


def test_every_route_that_acts_on_a_drill_is_listed(app):
    acting = {r.endpoint for r in app.url_map.iter_rules() if "POST" in r.methods and "drill_id" in r.arguments}
    assert acting - API_MUTATING == set(MUTATING)


@pytest.mark.parametrize("endpoint", [e for e in MUTATING if e not in NOT_CHANGING])
def test_each_mutating_route_refuses_a_signed_drill(app, db, users, demo, endpoint):
    sign_demo(db, demo, users)
    reread(db)
    signed = db.get(Drill, demo.id)
    frozen = content_hash(drill_snapshot(signed))
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint and "POST" in r.methods)
    fill = {
        "drill_id": demo.id,
        "kind": "steps",
        "record_id": signed.steps[0].id,
        "step_id": signed.steps[0].id,
        "system_id": signed.systems[0].id,
        "state": "down",
    }
    client = as_role(app, Role.APPROVER if endpoint.startswith("signoff.s") else Role.ADMIN)
    data = {
        "title": "rewritten",
        "kind": "tabletop",
        "phase": "failover",
        "outcome": "success",
        "version": "1",
        "text": "x",
        "team": "x",
        "organisation": "x",
        "system_id": str(signed.systems[0].id),
        "started_at": "2020-06-13T05:00",
        "password": PASSWORD,
        "statement": "again",
        "reason": "again",
        "last_data_at": "2020-06-13T04:00",
        "went_well": "rewritten",
    }
    if endpoint == "drills.import_csv":
        data["file"] = (io.BytesIO(b"phase,title\nfailover,added\n"), "t.csv")
    response = client.post(
        rule.build({a: fill[a] for a in rule.arguments})[1],
        data={**data, "csrf_token": csrf_token(client, "/")},
        content_type="multipart/form-data",
    )
    assert response.status_code in (302, 403, 422), response.status_code
    reread(db)
    after = db.get(Drill, demo.id)
    assert after.status == DrillStatus.SIGNED and content_hash(drill_snapshot(after)) == frozen


def test_amend_opens_a_new_revision_and_the_signed_one_stays(app, db, users, demo):
    sign_demo(db, demo, users)
    editor = as_role(app, Role.EDITOR)
    response = post(editor, f"/drills/{demo.id}/amend")
    assert response.status_code == 302
    reread(db)
    new = db.exec(select(Drill).where(Drill.previous_revision_id == demo.id)).one()
    old = db.get(Drill, demo.id)
    assert (new.revision, new.status, old.status) == (2, DrillStatus.RUNNING, DrillStatus.SIGNED)
    signed_snapshot = json.loads(old.signoffs[0].snapshot)
    new_snapshot = drill_snapshot(new)
    assert {k: v for k, v in signed_snapshot.items() if k != "revision"} == {
        k: v for k, v in new_snapshot.items() if k != "revision"
    }
    assert old.actions == [] and len(new.actions) == 4, "live actions move on with the record"
    post(
        editor,
        f"/drills/{new.id}/steps/{new.steps[0].id}",
        phase="failover",
        title="Fail over, corrected",
        outcome="success",
        version=str(new.steps[0].version),
        started_at="2020-06-13T05:00",
        ended_at="2020-06-13T05:16",
    )
    revisions = editor.get(f"/drills/{new.id}/revisions").get_data(as_text=True).replace("&#34;", '"')
    assert (
        "Revision 1" in revisions and "Revision 2" in revisions and "Steps: added “Fail over, corrected”" in revisions
    )
    assert "Full datacenter failover" in editor.get("/drills").get_data(as_text=True)
    assert editor.get("/drills").get_data(as_text=True).count(f'href="/drills/{demo.id}"') == 0, (
        "the list shows the latest revision"
    )
    assert post(editor, f"/drills/{demo.id}/amend").status_code == 302
    assert db.exec(select(Drill).where(Drill.previous_revision_id == demo.id)).all() == [new]


def test_audit_trail_page_and_export(app, users, demo):
    auditor = as_role(app, Role.AUDITOR)
    page = auditor.get("/audit?action=login").get_data(as_text=True)
    assert "auditor@example.test" in page and "Head of the chain" in page
    export = auditor.get("/audit/export.csv")
    assert export.status_code == 200 and "seq,time (UTC)" in export.get_data(as_text=True)
    assert "export" in auditor.get("/audit?action=export").get_data(as_text=True)


def test_the_audit_export_streams_the_whole_trail_as_it_stood(app, db, users):
    for n in range(2_500):  # more than two of the export's chunks
        audit.record(
            db,
            "update",
            actor="editor@example.test",
            entity_type="step",
            entity_id=n,
            after={"title": f'Step, "{n}"\n=1+1'},
        )
    db.commit()
    auditor = as_role(app, Role.AUDITOR)
    export = auditor.get("/audit/export.csv")
    assert export.is_streamed
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).removeprefix("\ufeff"))))[1:]
    reread(db)
    newest, *older = audit.list_events(db, limit=10_000)
    assert newest.action == "export" and json.loads(newest.after)["entries"] == len(older) == len(rows)
    expected = list(reversed(older))
    assert [int(r[0]) for r in rows] == [e.seq for e in expected], (
        "every entry up to the request, oldest first, and not the export's own"
    )
    assert [(r[-2], r[-1]) for r in rows] == [(e.prev_hash, e.hash) for e in expected]
    assert [r[8] for r in rows if r[5:7] == ["step", "2499"]] == [
        json.dumps({"title": 'Step, "2499"\n=1+1'}, separators=(",", ":"))
    ]
    steps = list(
        csv.reader(
            io.StringIO(auditor.get("/audit/export.csv?entity_type=step").get_data(as_text=True).removeprefix("\ufeff"))
        )
    )[1:]
    assert len(steps) == 2_500 and {r[5] for r in steps} == {"step"}


@pytest.mark.parametrize(
    "url, entity",
    [
        ("/actions/export.csv", "action"),
        ("/controls/soa.csv", "control"),
        ("/drills/{drill}/timeline.csv", "drill"),
        ("/audit/export.csv", "audit_event"),
        ("/reports/{report}/download", "issued_report"),
    ],
)
def test_every_export_is_in_the_audit_trail(app, db, users, demo, issued, url, entity):
    client = as_role(app, Role.AUDITOR)
    with client.get(url.format(drill=demo.id, report=issued.id)) as response:  # a stream gives its connection back
        assert response.status_code == 200
    reread(db)
    assert [e.entity_type for e in audit.list_events(db, action="export")] == [entity]


SECTIONS = ("scope", "controls", "objectives", "participants", "steps", "outages", "findings", "actions", "evidence")
WORDS = st.text(alphabet="abcdefghij ", min_size=1, max_size=12)
ITEM = st.fixed_dictionaries({"title": WORDS, "minutes": st.integers(0, 999)})


@st.composite
def snapshots(draw):
    drill = draw(st.dictionaries(st.sampled_from(["title", "scenario", "kind", "primary_site"]), WORDS, min_size=1))
    sections = {name: draw(st.lists(ITEM, max_size=3, unique_by=lambda i: i["title"])) for name in SECTIONS}
    return {"drill": drill, **sections}


@given(snapshots())
def test_a_snapshot_compared_with_itself_shows_no_change(snap):
    assert differences(snap, json.loads(json.dumps(snap))) == []
    assert content_hash(snap) == content_hash(json.loads(json.dumps(snap)))


@given(snapshots(), st.data())
def test_each_kind_of_change_is_listed_once_by_name(snap, data):
    field = data.draw(st.sampled_from(sorted(snap["drill"])))
    section = data.draw(st.sampled_from(SECTIONS))
    new_item = {"title": "zz " + data.draw(WORDS), "minutes": 1}
    changed = json.loads(json.dumps(snap))
    changed["drill"][field] += " (edited)"
    changed[section].append(new_item)
    lines = differences(snap, changed)
    assert sum(f"Drill {field.replace('_', ' ')}" in line for line in lines) == 1
    assert lines.count(f"{section.capitalize()}: added “{new_item['title']}”") == 1
    assert len(lines) == 2 and content_hash(changed) != content_hash(snap)


def test_a_signed_verdict_never_follows_later_edits_of_systems_or_people(app, client, auth, db, users, demo):
    """Editing a system's RTO or name, or renaming the signer, after signing changes no figure of the signed revision."""
    cosmos = db.exec(select(System).where(System.name == "COSMOS platform")).one()
    cosmos.rto_minutes = 120  # achieved 2 h 17 min: missed
    db.commit()
    sign_demo(db, demo, users)

    def report():
        with app.app_context():
            data = drill_report(db, demo.id, utcnow(), ZoneInfo("Europe/Brussels"), "Org", "auditor")
        return {s["name"]: (s["rto"], s["rto_met"]) for s in data["systems"]}, data["signoff"]["signer"], data["draft"]

    before = report()
    assert before[0]["COSMOS platform"] == ("2 h 00 min", "Missed") and before[2] is False
    cosmos.rto_minutes, cosmos.name = 180, "COSMOS (renamed)"
    users[Role.APPROVER].name = "Someone Else"
    db.commit()
    reread(db)
    assert report() == before
    auth.login_as(Role.AUDITOR)
    page = client.get(f"/drills/{demo.id}").get_data(as_text=True)
    row = page[page.index("<td>COSMOS platform") :][:600]
    assert (
        "Missed" in row and "2 h 00 min" in row and "COSMOS (renamed)" not in page.split("Figures are those signed")[0]
    )
    assert "COSMOS platform has since been renamed" in page
    assert users[Role.APPROVER].name not in page.split("Revision 1 signed")[1][:200]


#: POST routes that reach a drill through one of its records or a form field naming it; every one must refuse a signed drill
THROUGH_RECORDS = {
    "findings.new": ("/findings/new?drill={drill}", {"kind": "observation", "title": "late finding"}),
    "findings.edit": ("/findings/{finding}/edit", {"kind": "observation", "title": "rewritten", "version": "1"}),
    "evidence.upload": ("/evidence/upload", {"drill_id": "{drill}", "file": b"late log\n"}),
    "evidence.upload_raw": ("/evidence/upload-raw?drill_id={drill}&filename=late.log", None),
    "evidence.supersede": ("/evidence/{evidence}/supersede", {"file": b"rewritten log\n"}),
}


def test_every_route_that_reaches_a_drill_through_its_records_is_tried(app):
    reaching = {
        r.endpoint
        for r in app.url_map.iter_rules()
        if "POST" in r.methods
        and (
            {"finding_id", "evidence_id"} & set(r.arguments)
            or r.endpoint.endswith(("upload", "upload_raw", "findings.new"))
        )
    }
    assert reaching == set(THROUGH_RECORDS)


@pytest.mark.parametrize("endpoint", sorted(THROUGH_RECORDS))
def test_no_route_adds_or_changes_anything_of_a_signed_drill_through_its_records(
    app, db, users, demo, evidence_item, endpoint
):
    sign_demo(db, demo, users)
    reread(db)
    signed = db.get(Drill, demo.id)
    frozen = content_hash(drill_snapshot(signed))
    counts = {
        table: db.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()
        for table in ("evidence", "finding", "evidence_control")
    }
    ids = {"drill": demo.id, "finding": signed.findings[0].id, "evidence": evidence_item.id}
    url, fields = THROUGH_RECORDS[endpoint]
    client = as_role(app, Role.ADMIN)
    url = url.format(**ids)
    if fields is None:
        response = client.post(
            url, data=b"late log\n", headers={"X-CSRFToken": csrf_token(client, "/"), "X-Filename": "late.log"}
        )
    else:
        data = {k: (io.BytesIO(v), "late.log") if isinstance(v, bytes) else v.format(**ids) for k, v in fields.items()}
        response = client.post(
            url, data={**data, "csrf_token": csrf_token(client, "/")}, content_type="multipart/form-data"
        )
    assert response.status_code in (302, 403, 422), (response.status_code, response.get_data(as_text=True)[:300])
    reread(db)
    assert content_hash(drill_snapshot(db.get(Drill, demo.id))) == frozen
    assert counts == {t: db.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar() for t in counts}


def test_a_signed_snapshot_altered_in_the_database_is_shown_as_altered_and_never_reissued(
    app, client, auth, runner, db, users, demo, tmp_path
):
    sign_demo(db, demo, users)
    snapshot = json.loads(demo.signoffs[-1].snapshot)
    snapshot["scope"][0]["rto_minutes"] = 240
    sql = "UPDATE sign_off SET snapshot = :s, signer_name = 'Forged Name' WHERE drill_id = :d"
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("ALTER TABLE sign_off DISABLE TRIGGER USER"))
        db.execute(text(sql), {"s": json.dumps(snapshot), "d": demo.id})
        db.execute(text("ALTER TABLE sign_off ENABLE TRIGGER USER"))
    else:
        db.execute(text("DROP TRIGGER sign_off_no_update"))
        db.execute(text(sql), {"s": json.dumps(snapshot), "d": demo.id})
    db.commit()
    auth.login_as(Role.AUDITOR)
    page = client.get(f"/drills/{demo.id}").get_data(as_text=True)
    assert "no longer matches its hash" in page
    result = runner.invoke(args=["report", "drill", str(demo.id), "-o", str(tmp_path / "r.pdf")])
    assert result.exit_code == 1 and "no longer matches its hash" in result.output and not (tmp_path / "r.pdf").exists()
    result = runner.invoke(args=["verify"])
    assert result.exit_code == 1 and "its content no longer matches its hash" in result.output
    assert "its signer, statement, override reason or proof of identity differs from the audit trail" in result.output


def test_a_signed_drills_figures_stand_as_they_were_when_signed_not_as_the_clock_moves(app, db, users, demo):
    """A system still down at signing: its elapsed downtime must not keep growing in the signed revision."""
    outage = demo.outages[0]
    db.execute(text("UPDATE outage SET ended_at = NULL WHERE id = :i"), {"i": outage.id})
    db.commit()
    reread(db)
    sign_demo(db, demo, users)
    reread(db)
    zone = ZoneInfo("Europe/Brussels")
    with app.app_context():
        now = drill_report(db, demo.id, utcnow(), zone, "Org", "auditor")["systems"]
        later = drill_report(db, demo.id, utcnow() + timedelta(days=30), zone, "Org", "auditor")["systems"]
    assert now == later


def test_a_signed_drill_takes_no_new_action_through_the_form_or_the_api(app, db, users, demo):
    sign_demo(db, demo, users)
    secret = make_token(db, users[Role.EDITOR])
    before = db.execute(text("SELECT COUNT(*) FROM action")).scalar()
    db.rollback()
    client = as_role(app, Role.EDITOR)
    response = client.post(
        "/actions/new",
        data={"csrf_token": csrf_token(client, "/"), "title": "late", "drill_id": str(demo.id), "kind": "corrective"},
    )
    assert response.status_code == 422 and "signed" in response.get_data(as_text=True)
    response = client.post("/api/v1/actions", json={"title": "late", "drill_id": demo.id}, headers=bearer(secret))
    assert response.status_code == 422 and "signed" in response.get_json()["detail"]
    reread(db)
    assert db.execute(text("SELECT COUNT(*) FROM action")).scalar() == before


def test_changes_read_in_the_organisations_zone_in_plain_words():
    """Change lists showed raw UTC with microseconds: '2020-06-13T04:28:20+00:00' → '2020-06-13T04:28:00.123456+00:00'."""
    from zoneinfo import ZoneInfo

    before = {"drill": {"actual_start": "2020-06-13T04:28:20+00:00", "title": "Failover", "actual_end": None}}
    after = {
        "drill": {
            "actual_start": "2020-06-13T04:28:00.123456+00:00",
            "title": "Failover 2020",
            "actual_end": "2020-06-13T07:00:00+00:00",
        }
    }
    lines = differences(before, after, ZoneInfo("Europe/Brussels"))
    assert "Drill actual start: 13 Jun 2020 06:28:20 → 13 Jun 2020 06:28:00" in lines
    assert "Drill actual end: not set → 13 Jun 2020 09:00" in lines
    assert "Drill title: “Failover” → “Failover 2020”" in lines
    assert not any("+00:00" in line or "'" in line for line in lines)


def test_an_empty_drill_is_not_signed_without_a_reason_the_report_then_prints(app, db, users):
    """An empty, contradictory drill could be submitted and signed with one click each, then counted for A.5.30."""
    from datetime import datetime, timezone

    from evidence.reports.issuing import render_report
    from models.reports import ReportKind
    from models.signoff.readiness import open_items, readiness

    empty = Drill(
        title="Empty",
        kind=DrillKind.TABLETOP,
        disaster_declared_at=datetime(1999, 1, 1, tzinfo=timezone.utc),
        planned_start=datetime(2199, 12, 31, tzinfo=timezone.utc),
        planned_end=datetime(2199, 12, 30, tzinfo=timezone.utc),
        actual_start=datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc),
    )
    db.add(empty)
    db.flush()
    submit_for_review(db, empty, users[Role.EDITOR])
    db.commit()
    still_open = {item.label: item.open for item in open_items(readiness(empty, 0, datetime.now(timezone.utc)))}
    assert still_open["Consistency checks: the record adds up"] == [
        "The planned end is before the planned start.",
        "The disaster is declared more than a day before the drill's actual start.",
    ]
    assert still_open["Systems in scope and a timeline of steps"] == ["No system is in scope.", "No step is recorded."]
    assert "Evidence attached" in still_open and "Objectives recorded and rated" in still_open
    approver = as_role(app, Role.APPROVER)
    page = approver.get(f"/drills/{empty.id}/review").get_data(as_text=True)
    assert "Readiness for sign-off" in page and "No system is in scope." in page and "4 open" in page
    refused = post(approver, f"/drills/{empty.id}/sign", password=PASSWORD, statement="A true account.")
    assert refused.status_code == 422 and "4 items of the readiness checklist still open" in refused.get_data(
        as_text=True
    )
    reread(db)
    assert db.get(Drill, empty.id).status == DrillStatus.REVIEW
    reason = "Tabletop held to test the call tree only; no system was failed over."
    assert (
        post(
            approver, f"/drills/{empty.id}/sign", password=PASSWORD, statement="A true account.", override=reason
        ).status_code
        == 302
    )
    reread(db)
    signed = db.get(Drill, empty.id)
    assert signed.status == DrillStatus.SIGNED and signed.signoffs[0].override_reason == reason
    assert reason in approver.get(f"/drills/{empty.id}").get_data(as_text=True), "the drill page says so too"
    entry = db.exec(select(AuditEvent).where(AuditEvent.action == "sign")).one()
    assert reason in entry.after and "No system is in scope." in entry.after
    with app.app_context():
        pdf = render_report(db, ReportKind.DRILL, {"drill_id": empty.id}, "tester").pdf
    text = " ".join(
        subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode().split()
    )
    assert f"Signed with items of the readiness checklist open, because: “{reason}”" in text


def test_a_complete_drill_is_signed_without_a_reason(db, users, demo, evidence_item):
    """The checklist is not a formality to override every time: a drill that holds everything signs as before."""
    from datetime import date

    from models.drills.tables import ObjectiveRating
    from models.findings.tables import DrillRelation
    from models.signoff.readiness import readiness

    for system in demo.systems:
        system.rto_minutes = system.rpo_minutes = system.mtd_minutes = 600
    for link in demo.scope:
        link.last_data_at = demo.actual_start
    for objective in demo.objectives:
        objective.rating = ObjectiveRating.PERFORMED
    for finding in demo.findings:
        finding.related_to_drill, finding.relation_rationale = DrillRelation.YES, "Caused by the failover."
    for action in demo.actions:
        action.owner_id, action.due_date = (
            action.owner_id or users[Role.EDITOR].id,
            action.due_date or date(2020, 9, 30),
        )
    db.commit()
    reread(db)
    open_lines = [line for item in readiness(demo, len(demo.evidence), demo.actual_end) for line in item.open]
    assert open_lines == []
    submit_for_review(db, demo, users[Role.EDITOR])
    assert sign(db, demo, users[Role.APPROVER], PASSWORD, "A true account.", True).override_reason == "", open_lines


def test_the_editor_reads_why_the_drill_was_sent_back(app, db, users, demo):
    """The send-back reason was stored only in the audit trail, which editors cannot read; the drill just showed "Running"."""
    approver = as_role(app, Role.APPROVER)
    assert (
        post(approver, f"/drills/{demo.id}/return", reason="Add the AS2 partner list as evidence.").status_code == 302
    )
    editor = as_role(app, Role.EDITOR)
    page = editor.get(f"/drills/{demo.id}").get_data(as_text=True)
    assert "Sent back for changes" in page and "Add the AS2 partner list as evidence." in page
    assert users[Role.APPROVER].name in page


def test_a_review_page_never_offers_to_sign_what_changed_since_submission(app, db, users, demo):
    """It showed "changed since submission: resubmit before signing" beside an active Sign button."""
    demo.steps[0].notes = "edited after submission"
    db.commit()
    approver = as_role(app, Role.APPROVER)
    page = approver.get(f"/drills/{demo.id}/review").get_data(as_text=True)
    assert "changed since submission" in page and "must be submitted again" in page
    assert "Sign revision" not in page and "Send it back for changes" in page
    assert "Steps: changed" in page


def test_after_amend_each_record_is_listed_once_in_the_state_it_is_in(app, db, users, demo, evidence_item):
    """After Amend the 2020 drill showed as "Running", each finding twice, and the next drill's report
    said the previous drill had no actions when it has four."""
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from markupsafe import escape

    sign_demo(db, demo, users)
    editor = as_role(app, Role.EDITOR)
    assert post(editor, f"/drills/{demo.id}/amend").status_code == 302
    reread(db)
    new = db.exec(select(Drill).where(Drill.previous_revision_id == demo.id)).one()
    drills = editor.get("/drills").get_data(as_text=True)
    row = drills[drills.index(f'href="/drills/{new.id}"') :].split("</tr>")[0]
    assert "Ended" in row and "Running" not in row
    findings = editor.get("/findings").get_data(as_text=True)
    title = demo.findings[0].title
    assert findings.count(f">{escape(title)}<") == 1, "a finding of a superseded revision is not listed beside its copy"
    evidence = editor.get("/evidence").get_data(as_text=True)
    assert evidence.count(">failover.log<") == 1
    old_page = editor.get(f"/drills/{demo.id}").get_data(as_text=True)
    assert "Amended" in old_page and "Revision 2 amends it" in old_page
    later = Drill(
        title="Failover 2021", kind=DrillKind.FUNCTIONAL, actual_start=datetime(2021, 6, 12, 3, 0, tzinfo=timezone.utc)
    )
    db.add(later)
    db.commit()
    with app.test_request_context():
        report = drill_report(db, later.id, utcnow(), ZoneInfo("Europe/Brussels"), "", "tester")
    assert report["previous"]["title"] == demo.title and len(report["previous"]["actions"]) == 4


def test_a_drill_reads_planned_running_ended_in_review_sent_back_and_signed(app, db, users, demo):
    from datetime import datetime, timezone

    from models.drills.tables import DrillState

    planned = Drill(title="Next", kind=DrillKind.TABLETOP)
    running = Drill(title="Now", kind=DrillKind.TABLETOP, status=DrillStatus.RUNNING, actual_start=utcnow())
    ended = Drill(
        title="Done",
        kind=DrillKind.TABLETOP,
        status=DrillStatus.RUNNING,
        actual_start=datetime(2026, 1, 1, 9, tzinfo=timezone.utc),
        actual_end=datetime(2026, 1, 1, 10, tzinfo=timezone.utc),
    )
    db.add_all([planned, running, ended])
    db.commit()
    assert [d.state for d in (planned, running, ended, demo)] == [
        DrillState.PLANNED,
        DrillState.RUNNING,
        DrillState.ENDED,
        DrillState.REVIEW,
    ]
    approver = as_role(app, Role.APPROVER)
    post(approver, f"/drills/{demo.id}/return", reason="Rate the objectives.")
    reread(db)
    assert db.get(Drill, demo.id).state == DrillState.SENT_BACK
    assert "Sent back" in as_role(app, Role.AUDITOR).get("/drills").get_data(as_text=True)


@pytest.mark.parametrize("blank", ["\u200b", "\u2060\ufeff", "\x01", "\u200e  \u200e", "ok"])
def test_an_override_reason_must_be_words_a_reader_sees(db, users, demo, blank):
    """An override of a zero-width space or a control character signed a drill with open items."""
    with pytest.raises(RecordError, match="write why you sign it as it is"):
        sign(db, demo, users[Role.APPROVER], PASSWORD, "A true account.", True, blank)
    with pytest.raises(RecordError, match="Write the statement"):
        sign(db, demo, users[Role.APPROVER], PASSWORD, blank, True, OVERRIDE)


def test_verify_sees_an_override_reason_rewritten_in_the_database(app, db, users, demo, runner):
    """`drillbook verify` compared the statement with the audit trail but not the override reason."""
    sign_demo(db, demo, users)
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("ALTER TABLE sign_off DISABLE TRIGGER USER"))
        db.execute(text("UPDATE sign_off SET override_reason = ''"))
        db.execute(text("ALTER TABLE sign_off ENABLE TRIGGER USER"))
    else:
        db.execute(text("DROP TRIGGER sign_off_no_update"))
        db.execute(text("UPDATE sign_off SET override_reason = ''"))
    db.commit()
    result = runner.invoke(args=["verify"])
    assert (
        result.exit_code == 1 and "override reason or proof of identity differs from the audit trail" in result.output
    )


def test_after_amend_every_count_of_a_controls_evidence_agrees(app, db, users, demo, evidence_item):
    """The control page and dashboard counted an amended drill's evidence once, the SoA and the pack twice."""
    from datetime import date

    from models.controls.coverage import Period, control_evidence, evidence_by_control
    from models.controls.queries import control_record_counts, load_control

    sign_demo(db, demo, users)
    post(as_role(app, Role.EDITOR), f"/drills/{demo.id}/amend")
    reread(db)
    control = load_control(db, "A.5.30")
    period = Period(date(2020, 1, 1), date(2020, 12, 31))
    assert len(evidence_by_control(db, control.id)[control.id]) == 1
    assert control_evidence(db, control, period, 1, 20).total == 1
    assert control_record_counts(db)[control.id]["evidence"] == 1

"""The cockpit: one tap stamps once, systems go down and up, findings are logged with their time."""

import pytest
from sqlmodel import select

from models.drills.tables import Drill, DrillKind, Outage, OutageKind, Step, StepOutcome
from models.findings.tables import Finding
from models.people.users import Role
from models.systems import DrillSystem, System
from tests.helpers import csrf_token, reread


@pytest.fixture
def live_drill(db):
    system = System(name="Payments")
    drill = Drill(title="Live one", kind=DrillKind.FUNCTIONAL)
    db.add_all([system, drill])
    db.flush()
    db.add(DrillSystem(drill_id=drill.id, system_id=system.id))
    db.add_all(
        [
            Step(drill_id=drill.id, phase="failover", title="Fail over payments", system_id=system.id, position=1),
            Step(drill_id=drill.id, phase="validation", title="Test payments", position=2),
        ]
    )
    db.commit()
    return drill


@pytest.fixture
def editor(client, auth):
    auth.login_as(Role.EDITOR)
    return client


def tap(client, url, **data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/")}, follow_redirects=True)


def fresh(db, model, ident):
    reread(db)
    return db.get(model, ident)


def test_cockpit_renders_for_phone(editor, live_drill):
    page = editor.get(f"/drills/{live_drill.id}/live").get_data(as_text=True)
    assert "Start drill now" in page and "Fail over payments" in page and 'name="viewport"' in page


def test_double_tap_stamps_once(editor, db, live_drill):
    step = live_drill.steps[0] if live_drill.steps[0].position == 1 else live_drill.steps[1]
    url = f"/drills/{live_drill.id}/live/steps/{step.id}/start"
    first = tap(editor, url)
    assert "Started: Fail over payments" in first.get_data(as_text=True)
    stamped = fresh(db, Step, step.id).started_at
    second = tap(editor, url)
    assert "Already started" in second.get_data(as_text=True)
    assert fresh(db, Step, step.id).started_at == stamped
    drill = fresh(db, Drill, live_drill.id)
    assert drill.actual_start == stamped and drill.status == "running", "the first step starts the drill"


def test_finish_needs_a_start_and_records_the_outcome(editor, db, live_drill):
    step = next(s for s in live_drill.steps if s.position == 2)
    early = tap(editor, f"/drills/{live_drill.id}/live/steps/{step.id}/finish", outcome="success")
    assert "has not started yet" in early.get_data(as_text=True)
    tap(editor, f"/drills/{live_drill.id}/live/steps/{step.id}/start")
    tap(editor, f"/drills/{live_drill.id}/live/steps/{step.id}/finish", outcome="issues")
    done = fresh(db, Step, step.id)
    assert done.ended_at >= done.started_at and done.outcome == StepOutcome.ISSUES
    assert (
        editor.post(
            f"/drills/{live_drill.id}/live/steps/{step.id}/finish",
            data={"outcome": "bogus", "csrf_token": csrf_token(editor, "/")},
        ).status_code
        == 400
    )


def test_system_down_degraded_up(editor, db, live_drill):
    system = live_drill.systems[0]
    base = f"/drills/{live_drill.id}/live/systems/{system.id}"
    tap(editor, base + "/down")
    again = tap(editor, base + "/down")
    assert "was already down" in again.get_data(as_text=True)
    tap(editor, base + "/degraded")
    tap(editor, base + "/up")
    reread(db)
    outages = db.exec(
        select(Outage).where(Outage.drill_id == live_drill.id).order_by(Outage.started_at, Outage.id)
    ).all()
    assert [o.kind for o in outages] == [OutageKind.DOWN, OutageKind.DEGRADED]
    assert all(o.ended_at is not None for o in outages)
    assert outages[0].ended_at == outages[1].started_at
    assert editor.post(base + "/sideways", data={"csrf_token": csrf_token(editor, "/")}).status_code == 404


def test_ending_the_drill_with_a_running_step_is_refused(editor, db, live_drill):
    step = next(s for s in live_drill.steps if s.position == 1)
    tap(editor, f"/drills/{live_drill.id}/live/steps/{step.id}/start")
    refused = tap(editor, f"/drills/{live_drill.id}/live/end")
    assert "Finish these steps before ending the drill: Fail over payments" in refused.get_data(as_text=True)
    assert fresh(db, Drill, live_drill.id).actual_end is None
    tap(editor, f"/drills/{live_drill.id}/live/steps/{step.id}/finish", outcome="success")
    tap(editor, f"/drills/{live_drill.id}/live/end")
    assert fresh(db, Drill, live_drill.id).actual_end is not None


def test_log_a_finding_in_two_taps(editor, db, live_drill):
    tap(
        editor,
        f"/drills/{live_drill.id}/live/findings",
        title="Partner X cannot reach the backup IP",
        kind="improvement",
    )
    reread(db)
    finding = db.exec(select(Finding).where(Finding.drill_id == live_drill.id)).one()
    assert finding.detected_at is not None and finding.kind == "improvement"
    empty = tap(editor, f"/drills/{live_drill.id}/live/findings", title="  ", kind="improvement")
    assert empty.status_code == 422 and "What was found: This field is required." in empty.get_data(as_text=True)
    bad_kind = tap(editor, f"/drills/{live_drill.id}/live/findings", title="x", kind="gossip")
    assert bad_kind.status_code == 422 and "Kind: Choose one of" in bad_kind.get_data(as_text=True)


def test_a_system_outside_the_scope_cannot_be_marked(editor, db, live_drill):
    other = System(name="Not in scope")
    db.add(other)
    db.commit()
    response = editor.post(
        f"/drills/{live_drill.id}/live/systems/{other.id}/down", data={"csrf_token": csrf_token(editor, "/")}
    )
    assert response.status_code == 404


def test_after_end_the_cockpit_refuses_input(editor, db, live_drill):
    """After "End drill" the cockpit still accepted taps and opened outages; there was no Ended state."""
    base = f"/drills/{live_drill.id}/live"
    first, second = sorted(live_drill.steps, key=lambda s: s.position)
    system = live_drill.systems[0]
    tap(editor, f"{base}/start")
    tap(editor, f"{base}/steps/{first.id}/start")
    tap(editor, f"{base}/steps/{first.id}/finish", outcome="success")
    tap(editor, f"{base}/end")
    for url, data in (
        (f"{base}/steps/{second.id}/start", {}),
        (f"{base}/systems/{system.id}/down", {}),
        (f"{base}/findings", {"title": "Late one", "kind": "incident"}),
    ):
        refused = tap(editor, url, **data)
        assert refused.status_code == 422, url
        assert "The drill has ended" in refused.get_data(as_text=True), url
    assert fresh(db, Step, second.id).started_at is None
    assert db.exec(select(Outage)).all() == [] and db.exec(select(Finding)).all() == []
    page = editor.get(base).get_data(as_text=True)
    assert "Ended" in page and f"{base}/steps/{second.id}/start" not in page


def test_the_hot_wash_after_the_end_goes_into_the_record(editor, db, live_drill):
    base = f"/drills/{live_drill.id}/live"
    early = tap(editor, f"{base}/hotwash", went_well="Quick failover")
    assert early.status_code == 422 and "end the drill first" in early.get_data(as_text=True)
    tap(editor, f"{base}/start")
    tap(editor, f"{base}/end")
    page = editor.get(base).get_data(as_text=True)
    assert 'id="hotwash"' in page and "What went well" in page
    assert tap(editor, f"{base}/hotwash").status_code == 422, "nothing written"
    assert (
        tap(editor, f"{base}/hotwash", went_well="Quick failover", to_improve="Call\nthe partner first").status_code
        == 200
    )
    tap(editor, f"{base}/hotwash", other="More coffee")
    text = fresh(db, Drill, live_drill.id).hotwash
    assert "**What went well:** Quick failover" in text and "**What to improve:** Call the partner first" in text
    assert text.index("Quick failover") < text.index("More coffee"), "each round is added, none replaced"
    assert "Editor," in text
    assert "Quick failover" in editor.get(f"/drills/{live_drill.id}").get_data(as_text=True)

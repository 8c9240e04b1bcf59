"""Recording drills through the forms: validation, stale saves, consistency rules, signed drills frozen."""

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import select

from models.actions.tables import Action
from models.audit import AuditEvent
from models.core.errors import RecordError, StaleEdit
from models.drills.planning import check_no_overlap, save_part
from models.drills.tables import Drill, DrillKind, DrillStatus, Outage, Phase, Step
from models.findings.tables import Finding
from models.people.users import Role
from models.systems import System
from tests.helpers import csrf_token, form_fields, reread, sign_demo

UTC = timezone.utc


@pytest.fixture
def editor(client, auth):
    auth.login_as(Role.EDITOR)
    return client


def post(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/")})


def count(db, model):
    reread(db)
    return db.exec(select(func.count()).select_from(model)).one()


def test_create_drill_with_scope_and_controls(editor, db, demo):
    gas = db.exec(select(System).where(System.name == "GAS/POWER platform")).one()
    response = post(
        editor,
        "/drills/new",
        {
            "title": "Yearly failover 2021",
            "kind": "full_scale",
            "actual_start": "2021-06-12T05:00",
            "system_ids": [str(gas.id)],
            "controls": "A.5.30, A.8.14",
        },
    )
    assert response.status_code == 302
    reread(db)
    drill = db.exec(select(Drill).where(Drill.title == "Yearly failover 2021")).one()
    assert drill.actual_start == datetime(2021, 6, 12, 3, 0, tzinfo=UTC)
    assert [s.name for s in drill.systems] == ["GAS/POWER platform"]
    assert sorted(c.code for c in drill.controls) == ["A.5.30", "A.8.14"]


@pytest.mark.parametrize(
    "data, field_message",
    [
        ({"title": "", "kind": "tabletop"}, "This field is required."),
        ({"title": "x", "kind": "party"}, "Choose one of"),
        ({"title": "x" * 301, "kind": "tabletop"}, "At most 300 characters."),
        (
            {"title": "x", "kind": "tabletop", "actual_start": "2021-06-12T09:00", "actual_end": "2021-06-12T08:00"},
            "The actual end is before the actual start.",
        ),
        ({"title": "x", "kind": "tabletop", "actual_start": "2026-03-29T02:30"}, "does not exist in Europe/Brussels"),
        ({"title": "x", "kind": "tabletop", "actual_start": "yesterday"}, "is not a date and time"),
        ({"title": "x", "kind": "tabletop", "controls": "A.5.30 A.99.9"}, "Unknown control code: A.99.9."),
        ({"title": "x", "kind": "tabletop", "system_ids": ["9999"]}, "does not exist"),
    ],
)
def test_bad_drill_input_is_refused_clearly_and_saves_nothing(editor, db, data, field_message):
    before = count(db, Drill)
    response = post(editor, "/drills/new", data)
    assert response.status_code == 422
    assert field_message in response.get_data(as_text=True).replace("&#39;", "'")
    assert "Nothing was saved." in response.get_data(as_text=True)
    assert count(db, Drill) == before


def test_stale_edit_is_refused_with_what_changed(editor, db, demo):
    form = {"title": "Renamed by me", "kind": "full_scale", "version": str(demo.version)}
    demo.title = "Renamed by someone else"
    db.add(demo)
    db.commit()
    response = post(editor, f"/drills/{demo.id}/edit", form)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert (
        "Someone else saved this record first" in page and "Renamed by someone else" in page and "Renamed by me" in page
    )
    reread(db)
    assert db.get(Drill, demo.id).title == "Renamed by someone else"


def test_edit_without_version_is_a_bad_request(editor, demo):
    assert post(editor, f"/drills/{demo.id}/edit", {"title": "x", "kind": "tabletop"}).status_code == 400


def test_add_edit_and_delete_a_step(editor, db, demo):
    dns = db.exec(select(System).where(System.name == "Internal DNS")).one()
    response = post(
        editor,
        f"/drills/{demo.id}/steps/new",
        {
            "phase": "validation",
            "title": "Check DNS from outside",
            "system_id": str(dns.id),
            "position": "7",
            "planned_minutes": "5",
            "started_at": "2020-06-13T07:30",
            "ended_at": "2020-06-13T07:41",
            "outcome": "success",
        },
    )
    assert response.status_code == 302
    db.rollback()
    step = db.exec(select(Step).where(Step.title == "Check DNS from outside")).one()
    assert (step.ended_at - step.started_at).total_seconds() == 660 and step.variance.total_seconds() == 360
    edit = post(
        editor,
        f"/drills/{demo.id}/steps/{step.id}",
        {
            "phase": "validation",
            "title": "Check DNS from outside",
            "outcome": "issues",
            "version": str(step.version),
            "started_at": "2020-06-13T07:30",
            "ended_at": "2020-06-13T07:20",
        },
    )
    assert edit.status_code == 422 and "The step ends before it starts." in edit.get_data(as_text=True)
    assert editor.get(f"/drills/{demo.id}/steps/{step.id}/delete").status_code == 200
    step_id = step.id
    reread(db)
    assert (
        post(
            editor, f"/drills/{demo.id}/steps/{step_id}/delete", {"version": str(db.get(Step, step_id).version)}
        ).status_code
        == 302
    )
    reread(db)
    assert db.get(Step, step_id) is None
    actions = [e.action for e in db.exec(select(AuditEvent).where(AuditEvent.entity_type == "step")).all()]
    assert actions == ["create", "delete"]


def test_a_record_of_another_drill_is_not_reachable_through_this_one(editor, db, demo):
    other = Drill(title="other", kind="tabletop")
    db.add(other)
    db.commit()
    assert editor.get(f"/drills/{other.id}/steps/{demo.steps[0].id}").status_code == 404


def test_overlapping_outages_of_one_system_are_refused(editor, db, demo):
    app_servers = db.exec(select(System).where(System.name == "Application servers")).one()
    before = count(db, Outage)
    response = post(
        editor,
        f"/drills/{demo.id}/outages/new",
        {
            "system_id": str(app_servers.id),
            "kind": "degraded",
            "started_at": "2020-06-13T05:10",
            "ended_at": "2020-06-13T05:20",
        },
    )
    assert response.status_code == 422 and "overlaps another outage" in response.get_data(as_text=True)
    assert count(db, Outage) == before


def test_stale_save_in_the_domain_layer(db, demo, users):
    step = demo.steps[0]
    with pytest.raises(StaleEdit) as caught:
        save_part(
            db,
            demo,
            Step,
            {"phase": "failover", "title": "changed", "outcome": "success"},
            users[Role.EDITOR],
            step,
            step.version - 1,
        )
    assert ("title", step.title, "changed") in caught.value.changes


def test_signed_drill_refuses_every_edit(editor, db, demo, users):
    pending = demo.steps[0]
    pending.started_at = pending.ended_at = None
    db.add(pending)
    db.commit()
    sign_demo(db, demo, users)
    for url in (f"/drills/{demo.id}/edit", f"/drills/{demo.id}/steps/new", f"/drills/{demo.id}/live"):
        assert editor.get(url).status_code == 302, url
    response = post(editor, f"/drills/{demo.id}/live/steps/{pending.id}/start", {})
    assert response.status_code == 302
    assert "signed and can no longer be changed" in editor.get(f"/drills/{demo.id}").get_data(as_text=True)
    reread(db)
    assert db.get(Step, pending.id).started_at is None


def test_system_targets_are_validated(editor, db):
    response = post(editor, "/systems/new", {"name": "ERP", "rto_minutes": "60", "mtd_minutes": "30"})
    assert response.status_code == 422 and "cannot be shorter than the RTO" in response.get_data(as_text=True)
    assert post(editor, "/systems/new", {"name": "ERP", "rto_minutes": "-5"}).status_code == 422
    assert post(editor, "/systems/new", {"name": "ERP", "rto_minutes": "sixty"}).status_code == 422
    assert post(editor, "/systems/new", {"name": "ERP", "rto_minutes": "60", "mtd_minutes": "240"}).status_code == 302
    duplicate = post(editor, "/systems/new", {"name": "ERP"})
    assert duplicate.status_code == 422 and "exists already" in duplicate.get_data(as_text=True)


def test_recovery_point_gives_the_achieved_rpo(editor, db, demo):
    gas = db.exec(select(System).where(System.name == "GAS/POWER platform")).one()
    response = post(editor, f"/drills/{demo.id}/systems/{gas.id}/last-data", {"last_data_at": "2020-06-13T04:45"})
    assert response.status_code == 302
    page = editor.get(f"/drills/{demo.id}").get_data(as_text=True)
    assert "15 min / not set" in page


def test_consistency_problems_are_shown(editor, db, demo):
    step = demo.steps[0]
    step.ended_at = None
    db.add(step)
    db.commit()
    page = editor.get(f"/drills/{demo.id}").get_data(as_text=True).replace("&#34;", '"')
    assert "Consistency checks" in page
    assert "is still open although the drill has ended" in page


def test_system_page_shows_recovery_across_drills(editor, db, demo):
    cosmos = db.exec(select(System).where(System.name == "COSMOS platform")).one()
    page = editor.get(f"/systems/{cosmos.id}").get_data(as_text=True)
    assert "2 h 17 min" in page and "<svg" in page and "2020-06-13" in page


def test_every_problem_is_reported_at_once(editor, db):
    before = count(db, Drill)
    response = post(
        editor,
        "/drills/new",
        {"title": "", "kind": "tabletop", "actual_start": "2026-03-29T02:30", "controls": "A.77.1"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "does not exist in Europe/Brussels" in page and "This field is required." in page
    assert count(db, Drill) == before


@pytest.mark.parametrize("url", ["/drills/new", "/findings/new"])
def test_a_scope_choice_that_is_no_system_is_reported_not_dropped(editor, db, url):
    model = Drill if url.startswith("/drills") else Finding
    before = count(db, model)
    response = post(
        editor,
        url,
        {
            "title": "Night failover",
            "kind": "tabletop" if model is Drill else "observation",
            "severity": "low",
            "related_to_drill": "no",
            "system_ids": "not-a-system",
        },
    )
    assert response.status_code == 422 and "One of the chosen systems does not exist." in response.get_data(
        as_text=True
    )
    assert count(db, model) == before


def test_step_duration_and_variance_are_computed():
    start = datetime(2020, 6, 13, 3, 17, tzinfo=UTC)
    step = Step(
        phase=Phase.RECONFIGURATION,
        title="s",
        planned_minutes=90,
        started_at=start,
        ended_at=start + timedelta(minutes=120),
    )
    assert step.actual_duration == timedelta(minutes=120)
    assert step.variance == timedelta(minutes=30)
    assert Step(phase=Phase.FAILOVER, title="open", started_at=start).actual_duration is None


T0 = datetime(2020, 6, 13, 3, 0, tzinfo=timezone.utc)
MINUTES = st.integers(min_value=0, max_value=600)


@given(
    a_start=MINUTES, a_length=st.none() | st.integers(1, 600), b_start=MINUTES, b_length=st.none() | st.integers(1, 600)
)
def test_two_outages_of_one_system_clash_exactly_when_their_spans_meet(a_start, a_length, b_start, b_length):
    """[start, end) spans, an open end running on; touching spans (one ends as the other starts) do not clash."""

    def span(start, length):
        return T0 + timedelta(minutes=start), None if length is None else T0 + timedelta(minutes=start + length)

    (a0, a1), (b0, b1) = span(a_start, a_length), span(b_start, b_length)
    drill = Drill(title="t", kind=DrillKind.FUNCTIONAL, outages=[Outage(system_id=1, started_at=a0, ended_at=a1)])
    meet = (a1 is None or b0 < a1) and (b1 is None or a0 < b1)
    try:
        check_no_overlap(drill, {"system_id": 1, "started_at": b0, "ended_at": b1}, None)
        clashed = False
    except RecordError:
        clashed = True
    assert clashed == meet
    check_no_overlap(drill, {"system_id": 2, "started_at": b0, "ended_at": b1}, None)  # another system never clashes


def test_pages_tolerate_the_extreme_dates_older_data_may_hold(app, client, auth, db, users):
    far = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)
    drill = Drill(title="far", kind=DrillKind.TABLETOP, actual_start=far, planned_start=far)
    db.add(drill)
    db.add(Action(title="someday", owner_id=users[Role.EDITOR].id, due_date=date(9999, 12, 31)))
    db.commit()
    auth.login_as(Role.EDITOR)
    for url in (
        "/",
        "/drills",
        f"/drills/{drill.id}",
        f"/drills/{drill.id}/live",
        "/actions",
        f"/drills/{drill.id}/timeline.csv",
    ):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    "field, value",
    [
        ("actual_start", "9999-12-31T23:59"),
        ("planned_start", "0001-01-01T00:00+14:00"),
        ("planned_start", "1969-12-31T12:00"),
    ],
)
def test_dates_outside_the_years_a_record_may_hold_are_a_field_error(editor, db, field, value):
    before = count(db, Drill)
    response = post(editor, "/drills/new", {"title": "x", "kind": "tabletop", field: value})
    assert response.status_code == 422 and count(db, Drill) == before


def test_saving_a_form_unchanged_keeps_the_seconds_the_cockpit_stamped(editor, db, demo):
    """The drill form rewrote the cockpit's start 06:28:20 as 06:28:00, changing a recovery figure."""
    stamped = datetime(2020, 6, 13, 4, 28, 20, tzinfo=timezone.utc)
    step = demo.steps[0]
    demo.actual_start, step.ended_at = stamped, stamped + timedelta(minutes=70, seconds=7)
    db.commit()
    for url in (f"/drills/{demo.id}/edit", f"/drills/{demo.id}/steps/{step.id}"):
        page = editor.get(url).get_data(as_text=True)
        assert post(editor, url, form_fields(page).to_dict(flat=False)).status_code == 302, url
    reread(db)
    assert demo.actual_start == stamped and step.ended_at == stamped + timedelta(minutes=70, seconds=7)
    fields = form_fields(editor.get(f"/drills/{demo.id}/edit").get_data(as_text=True)).to_dict(flat=False)
    assert post(editor, f"/drills/{demo.id}/edit", {**fields, "actual_start": "2020-06-13T06:29"}).status_code == 302
    reread(db)
    assert demo.actual_start == stamped + timedelta(seconds=40), "a time the person changed is saved as typed"


def test_every_error_of_the_drill_form_at_once_naming_both_times_and_keeping_what_was_typed(editor, db):
    """The drill form reported errors one stage per submit: field errors first, the order of times only after."""
    form = {
        "title": "",
        "kind": "tabletop",
        "planned_start": "2026-05-02T10:00",
        "planned_end": "2026-05-02T09:00",
        "actual_start": "2026-05-02T10:00",
        "actual_end": "2026-05-02T09:30",
        "primary_site": "Kortrijk",
    }
    response = post(editor, "/drills/new", form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This field is required." in page
    assert "The planned end is before the planned start." in page
    assert "The actual end is before the actual start." in page
    assert 'value="2026-05-02T09:30"' in page and 'value="Kortrijk"' in page


def test_an_end_without_its_start_names_both(editor, db):
    page = post(editor, "/drills/new", {"title": "x", "kind": "tabletop", "actual_end": "2026-05-02T09:30"})
    assert "An actual end needs an actual start." in page.get_data(as_text=True)


def test_impossible_times_are_refused_naming_what_they_contradict(editor, db, demo):
    """A newest-data time after the reference start, and an actual start in the future, were accepted."""
    gas = db.exec(select(System).where(System.name == "GAS/POWER platform")).one()
    later = post(editor, f"/drills/{demo.id}/systems/{gas.id}/last-data", {"last_data_at": "2020-06-13T05:30"})
    assert later.status_code == 422
    assert "after the reference start (13 Jun 2020 05:00)" in later.get_data(as_text=True)
    future = post(editor, "/drills/new", {"title": "x", "kind": "tabletop", "actual_start": "2199-01-01T09:00"})
    assert future.status_code == 422 and "The actual start cannot be in the future" in future.get_data(as_text=True)
    planned = post(
        editor, "/drills/new", {"title": "Next year", "kind": "tabletop", "planned_start": "2199-01-01T09:00"}
    )
    assert planned.status_code == 302, "a planned start may of course be in the future"


def test_an_end_typed_in_the_minute_of_a_stamped_start_is_not_before_it(editor, db, demo):
    """The cockpit stamped 10:00:40; the form shows 10:00; an end typed as 10:00 was refused as before the start."""
    step = demo.steps[0]
    step.started_at, step.ended_at = datetime(2020, 6, 13, 8, 0, 40, tzinfo=timezone.utc), None
    db.commit()
    url = f"/drills/{demo.id}/steps/{step.id}"
    fields = form_fields(editor.get(url).get_data(as_text=True)).to_dict(flat=False)
    assert post(editor, url, {**fields, "ended_at": "2020-06-13T10:00"}).status_code == 302
    reread(db)
    assert step.ended_at == step.started_at


def test_a_stale_edit_lists_its_fields_and_times_in_plain_words(editor, db, demo):
    """Change lists showed raw UTC with microseconds and column names."""
    form = {"title": demo.title, "kind": "full_scale", "version": str(demo.version), "actual_start": "2020-06-13T05:01"}
    demo.actual_start = datetime(2020, 6, 13, 3, 0, 20, 123456, tzinfo=timezone.utc)
    db.commit()
    page = post(editor, f"/drills/{demo.id}/edit", form).get_data(as_text=True)
    assert "Actual start" in page and "13 Jun 2020 05:00:20" in page and "13 Jun 2020 05:01" in page
    assert "+00:00" not in page and "123456" not in page


def test_the_next_drill_is_planned_from_what_this_one_took(editor, db, demo, users):
    sign_demo(db, demo, users)
    answer = editor.post(f"/drills/{demo.id}/plan-next", data={"csrf_token": csrf_token(editor, "/")})
    assert answer.status_code == 302
    reread(db)
    nxt = db.exec(select(Drill).where(Drill.title == f"{demo.title} (next)")).one()
    assert nxt.status == DrillStatus.PLANNED and nxt.actual_start is None
    assert [s.planned_minutes for s in sorted(nxt.steps, key=lambda s: s.position)] == [15, 2, 10, 120, 55, 35]
    assert all(s.started_at is None and s.outcome.value == "pending" for s in nxt.steps)
    assert {s.name for s in nxt.systems} == {s.name for s in demo.systems}
    assert [o.text for o in nxt.objectives] == [o.text for o in sorted(demo.objectives, key=lambda o: o.position)]
    assert all(o.rating.value == "not_rated" for o in nxt.objectives)
    assert sorted(p.team for p in nxt.participants) == sorted(p.team for p in demo.participants)
    assert db.get(Drill, demo.id).status == DrillStatus.SIGNED, "the signed drill it came from is only read"
    page = editor.get(f"/drills/{nxt.id}").get_data(as_text=True)
    assert "To test again: open actions from the previous drill" in page
    assert (
        "Test availability with every AS2/AS4 communication partner"
        in page.split('id="retest"')[1].split("</section>")[0]
    )

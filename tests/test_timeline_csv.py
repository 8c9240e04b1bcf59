"""Timeline CSV: a round trip keeps every step, a bad row stops the whole import, and cells never become formulas."""

import io
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from models.drills.tables import Drill, DrillKind, Step
from models.drills.timeline_csv import CsvErrors, export_timeline, parse_timeline
from models.people.users import Role
from tests.helpers import csrf_token, reread

BRUSSELS = ZoneInfo("Europe/Brussels")


@pytest.fixture
def editor(client, auth):
    auth.login_as(Role.EDITOR)
    return client


def upload(client, drill_id, content: bytes, name="timeline.csv"):
    return client.post(
        f"/drills/{drill_id}/timeline/import",
        data={"csrf_token": csrf_token(client, "/"), "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def steps_of(db, drill_id):
    reread(db)
    return db.exec(select(Step).where(Step.drill_id == drill_id).order_by(Step.position, Step.id)).all()


def test_csv_round_trip(editor, db, demo):
    exported = editor.get(f"/drills/{demo.id}/timeline.csv")
    assert exported.headers["Content-Disposition"].startswith("attachment")
    assert "2020-06-13T05:00+02:00" in exported.get_data(as_text=True)
    target = Drill(title="copy", kind=DrillKind.FULL_SCALE)
    db.add(target)
    db.commit()
    assert upload(editor, target.id, exported.data).status_code == 302

    def shape(steps):
        return [
            (s.position, s.phase, s.title, s.system_id, s.planned_minutes, s.started_at, s.ended_at, s.outcome, s.notes)
            for s in steps
        ]

    assert shape(steps_of(db, target.id)) == shape(steps_of(db, demo.id))


def test_a_bad_row_imports_nothing_and_every_error_is_named(editor, db, demo):
    target = Drill(title="copy", kind=DrillKind.FULL_SCALE)
    db.add(target)
    db.commit()
    content = (
        b"phase,title,system,started_at,ended_at,planned_minutes\n"
        b"failover,Good row,,2021-06-12 05:00,2021-06-12 05:10,10\n"
        b"teleport,Bad phase,,,,\n"
        b"failover,,Nowhere,2021-06-12 05:00,2021-06-12 04:00,-3\n"
        b"failover,DST gap,,2026-03-29 02:30,,\n"
    )
    response = upload(editor, target.id, content)
    assert response.status_code == 422
    page = response.get_data(as_text=True).replace("&#34;", '"').replace("&#39;", "'")
    assert "Nothing was imported." in page
    for row, column, text in [
        (3, "phase", "Choose one of"),
        (4, "system", "no system named"),
        (5, "started_at", "does not exist"),
    ]:
        assert f'<td class="num">{row}</td><td>{column}</td><td>' in page and text in page
    assert steps_of(db, target.id) == []


def test_row_errors_are_reported_per_field(db):
    with pytest.raises(CsvErrors) as caught:
        parse_timeline(
            db,
            "phase,title,started_at,ended_at,planned_minutes\nfailover,,2021-06-12 05:00,2021-06-12 04:00,-3\n",
            BRUSSELS,
        )
    found = {(row, column) for row, column, _ in caught.value.problems}
    assert (2, "title") in found and (2, "planned_minutes") in found


def test_every_error_of_every_row_is_reported(db):
    """A CSV import showed only a row's first error: a bad time hid the missing title and the unknown system."""
    text = (
        "phase,title,system,started_at,ended_at\n"
        "failover,,Nowhere,2021-06-12 05:00,2021-06-12 25:00\n"
        "launch,Fail back,,2021-06-12 06:00,2021-06-12 05:00\n"
    )
    with pytest.raises(CsvErrors) as caught:
        parse_timeline(db, text, BRUSSELS)
    found = {(row, column) for row, column, _ in caught.value.problems}
    assert {(2, "title"), (2, "system"), (2, "ended_at"), (3, "phase"), (3, "ended_at")} <= found


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "the file is empty"),
        (b"phase,title\r\n", "the file has no rows"),
        (b"phase\nfailover\n", "column is missing"),
        (b"phase,title,colour\nfailover,x,red\n", "unknown column"),
        (b"phase,title\nfailover,x,extra\n", "more cells than columns"),
        (b"\xff\xfe\x00p", "not UTF-8"),
        (b"\r\x00", "column is missing"),
    ],
)
def test_malformed_files_are_refused_clearly(editor, db, demo, content, message):
    before = len(steps_of(db, demo.id))
    response = upload(editor, demo.id, content)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert len(steps_of(db, demo.id)) == before


def test_missing_file_is_refused(editor, demo):
    response = editor.post(
        f"/drills/{demo.id}/timeline/import",
        data={"csrf_token": csrf_token(editor, "/")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "Choose a CSV file" in response.get_data(as_text=True)


def test_formula_cells_are_neutralised_and_round_trip(db, demo, users, editor):
    demo.steps[0].title = '=HYPERLINK("http://evil")'
    db.add(demo.steps[0])
    db.commit()
    text = export_timeline(demo, BRUSSELS)
    assert "'=HYPERLINK" in text
    rows = parse_timeline(db, text, BRUSSELS)
    assert rows[0]["title"] == '=HYPERLINK("http://evil")'

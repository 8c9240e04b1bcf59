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
        (b"\xff\xfe\x00\xd8", "not text"),  # UTF-16 by its mark, then half a surrogate pair
        (b"\r\x00", "not text"),
        (b"phase,title\nfailover,\x00\x01\x02\n", "not text"),
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


#: a timeline as Excel in a Belgian French locale saves it as plain "CSV": Windows-1252, semicolons,
#: the team's own column names and words, days first
BELGIAN_EXCEL = (
    "Position;Phase;Étape;Système;Minutes prévues;Début;Fin;Résultat;Remarques\r\n"
    "1;Basculement;Basculer les serveurs d'application;;15;13/06/2020 05:00;13/06/2020 05:15;Réussi;Sans problème\r\n"
    "2;Validation;Tests internes des opérations;;;13/06/2020 07:30;13/06/2020 08:25;Réussi avec problèmes;"
    "Deux GRT n'avaient pas enregistré l'adresse IP\r\n"
).encode("cp1252")


def test_a_semicolon_file_from_a_belgian_excel_imports(editor, db):
    target = Drill(title="Belgian copy", kind=DrillKind.FULL_SCALE)
    db.add(target)
    db.commit()
    response = upload(editor, target.id, BELGIAN_EXCEL)
    assert response.status_code == 302, response.get_data(as_text=True)
    steps = steps_of(db, target.id)
    assert [(s.phase.value, s.outcome.value, s.planned_minutes) for s in steps] == [
        ("failover", "success", 15),
        ("validation", "issues", None),
    ]
    assert steps[0].title == "Basculer les serveurs d'application"
    assert steps[1].notes == "Deux GRT n'avaient pas enregistré l'adresse IP"
    assert steps[0].started_at.isoformat() == "2020-06-13T03:00:00+00:00", "05:00 in Brussels, summer time"


def test_a_tab_separated_dutch_file_imports(db):
    text = "Fase\tStap\tStart\tEinde\tResultaat\nOmschakeling\tServers omschakelen\t2020-06-13 05:00\t2020-06-13 05:15\tGeslaagd\n"
    [row] = parse_timeline(db, text, BRUSSELS)
    assert (row["phase"], row["title"], row["outcome"]) == ("failover", "Servers omschakelen", "success")


@pytest.mark.parametrize(
    "language, query, separator",
    [("fr-BE,fr;q=0.9", "", ";"), ("nl-BE", "", ";"), ("en-GB", "", ","), ("fr-BE", "?separator=comma", ","),
     ("en", "?separator=semicolon", ";")],
)  # fmt: skip
def test_exports_use_the_readers_list_separator(editor, demo, language, query, separator):
    for url in (f"/drills/{demo.id}/timeline.csv", "/actions/export.csv", "/frameworks/dora.csv"):
        response = editor.get(url + query, headers={"Accept-Language": language})
        text = response.get_data(as_text=True)
        assert response.status_code == 200 and text.startswith("\ufeff"), url
        header = text.lstrip("\ufeff").splitlines()[0]
        assert header.count(separator) >= 2 and header.count(";" if separator == "," else ",") == 0, (url, header)
    assert editor.get(f"/drills/{demo.id}/timeline.csv?separator=tab").status_code == 400


def test_a_semicolon_export_imports_back(editor, db, demo):
    exported = editor.get(f"/drills/{demo.id}/timeline.csv", headers={"Accept-Language": "nl-BE"}).data
    target = Drill(title="copy", kind=DrillKind.FULL_SCALE)
    db.add(target)
    db.commit()
    assert upload(editor, target.id, exported).status_code == 302
    assert len(steps_of(db, target.id)) == len(steps_of(db, demo.id))


@pytest.mark.parametrize(
    "content, message",
    [
        ("phase,title,titre\nfailover,English,Français\n".encode(), "given twice (title, titre); keep one"),
        (b"start,begin,phase,title\n2020-06-13 05:00,2020-06-13 06:00,failover,x\n", "given twice"),
        (b"phase,title," + b"x," * 70000 + b"\n", "unknown column"),
        ("phase,title\nfailover,Étape réussie\xe9\n".encode() + b"\xe9", "damaged byte"),
        (b"phase,title\nfailover,\x81\n", "not text"),
    ],
)
def test_ambiguous_or_damaged_files_are_refused_not_guessed(editor, db, demo, content, message):
    """Two columns for one field, a header longer than the csv module reads in one cell (a 500 before), a UTF-8
    file with one bad byte (read as Windows-1252 before, garbling every accent) and a byte no code page has."""
    before = len(steps_of(db, demo.id))
    response = upload(editor, demo.id, content)
    assert response.status_code == 422, response.status_code
    assert message in response.get_data(as_text=True)
    assert len(response.data) < 100_000, "a short page, whatever the header"
    assert len(steps_of(db, demo.id)) == before


@pytest.mark.parametrize("value", ["2020-06-13", "2020W241", "2020-06-13T05", "13/06/2020"])
def test_a_moment_needs_a_day_and_a_time(value):
    from models.core.times import LocalTimeError, parse_local

    with pytest.raises(LocalTimeError):
        parse_local(value, BRUSSELS)

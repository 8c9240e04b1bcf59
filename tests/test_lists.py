"""Long lists (drills, findings, actions, evidence, the register of issued reports) come a page at a time, and the first four
can be searched and filtered, in the pages and in the API, on a data set a few pages long."""

import re
from datetime import date, timedelta

import pytest
from sqlmodel import select

from bench.scale_data import build
from models.drills.tables import Drill
from models.evidence import Evidence
from models.findings.rules import save_finding
from models.findings.tables import Finding, Severity
from models.people.tokens import Scope, issue
from models.people.users import Role, User, password_hasher
from models.reports import IssuedReport, ReportKind
from tests.helpers import PASSWORD, Auth
from views.controls import LINKED_SHOWN
from views.support.paging import PER_PAGE

SIZES = {"drills": 60, "steps": 60, "findings": 120, "actions": 120, "evidence": 120, "audit": 10}


@pytest.fixture
def editor(app, db):
    """A client signed in as an editor of the data set ("person1"), after the data set is built."""
    build(db, app.extensions["drillbook.vault"], password_hasher.hash(PASSWORD), SIZES)
    db.commit()
    client = app.test_client()
    assert Auth(client).login("person1@bench.example").status_code == 302
    return client


def rows(client, url: str) -> list[str]:
    """The link texts of the first column of the page's table, in order."""
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.get_data(as_text=True)
    body = html.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in html else ""
    return re.findall(r"<tr[^>]*>\s*<td><a [^>]*>([^<]+)</a>", body)


def test_the_drill_list_comes_a_page_at_a_time_newest_first(editor):
    first, second = rows(editor, "/drills"), rows(editor, "/drills?page=2")
    assert len(first) == PER_PAGE and len(second) == 60 - PER_PAGE
    assert first[0].startswith("Failover drill 60:") and second[-1].startswith("Failover drill 1:")
    assert rows(editor, "/drills?page=99") == second  # past the end: the last page
    assert rows(editor, "/drills?page=nonsense") == first
    page = editor.get("/drills").get_data(as_text=True)
    assert "1–50 of 60" in page and 'rel="next" href="/drills?q=&amp;status=&amp;kind=&amp;page=2"' in page
    assert 'href="/drills/new"' in page  # editors start a drill from the list


def test_drills_are_found_by_title_and_filtered_by_status_and_type(editor, db):
    assert rows(editor, "/drills?q=DRILL+17:") == ["Failover drill 17: site A to site B"]
    assert rows(editor, "/drills?q=site+a+to") == rows(editor, "/drills")  # case-insensitive, anywhere in the title
    signed = rows(editor, "/drills?status=signed")
    assert len(signed) == 12 and all(int(t.split()[2].rstrip(":")) % 5 == 0 for t in signed)
    kind = db.get(Drill, 3).kind
    assert len(rows(editor, f"/drills?kind={kind.value}")) == 20
    assert len(rows(editor, f"/drills?kind={kind.value}&status=signed")) == 4
    assert rows(editor, "/drills?status=no-such-status") == rows(editor, "/drills")  # an unknown value filters nothing
    page = editor.get("/drills?q=%25").get_data(as_text=True)  # % is a character to find, not a wildcard
    assert "No drill matches this search." in page and "No drills recorded yet." not in page


def test_the_pager_keeps_the_search(editor):
    page = editor.get("/findings?q=finding&severity=medium").get_data(as_text=True)
    assert "1–50 of 60" in page
    assert (
        'rel="next" href="/findings?q=finding&amp;kind=&amp;severity=medium&amp;drill=&amp;control=&amp;page=2"' in page
    )
    second = rows(editor, "/findings?q=finding&severity=medium&page=2")
    assert len(second) == 10 and not set(second) & set(rows(editor, "/findings?q=finding&severity=medium"))
    assert 'id="fl-q" name="q" type="search" value="finding"' in editor.get("/findings?q=finding").get_data(
        as_text=True
    )


def test_findings_are_paged_searched_and_filtered(editor, db):
    assert len(rows(editor, "/findings")) == PER_PAGE and len(rows(editor, "/findings?page=3")) == 120 - 2 * PER_PAGE
    assert sorted(rows(editor, "/findings?q=finding+7")) == sorted(
        ["Finding 7"] + [f"Finding {n}" for n in range(70, 80)]
    )
    medium = db.exec(select(Finding).where(Finding.severity == Severity.MEDIUM)).all()
    shown = []
    for number in (1, 2):
        shown += rows(editor, f"/findings?severity=medium&page={number}")
    assert sorted(shown) == sorted(f.title for f in medium) and medium
    one_drill = rows(editor, "/findings?drill=7")
    assert sorted(one_drill) == sorted(f.title for f in db.exec(select(Finding).where(Finding.drill_id == 7)).all())
    assert editor.get("/findings?drill=99999").status_code == 404
    assert editor.get("/findings?drill=abc").status_code == 404


def test_actions_are_searched_within_the_other_filters(editor):
    assert sorted(rows(editor, "/actions?status=&q=action+12")) == ["Action 12", "Action 120"]
    assert rows(editor, "/actions?status=&q=action+12&drill=60") == ["Action 120"]
    assert "No actions match these filters." in editor.get("/actions?status=&q=nothing+like+this").get_data(
        as_text=True
    )


def test_evidence_is_found_by_name_or_hash_and_an_unknown_drill_is_a_404(editor, db):
    assert sorted(rows(editor, "/evidence?q=LOG-7.")) == ["log-7.txt"]
    record = db.get(Evidence, 42)
    assert rows(editor, f"/evidence?q={record.sha256}") == ["log-42.txt"]
    assert rows(editor, f"/evidence?q={record.sha256[:12].upper()}&drill={record.drill_id}") == ["log-42.txt"]
    assert rows(editor, f"/evidence?q={record.sha256}&drill={record.drill_id + 1}") == []
    assert editor.get("/evidence?drill=99999").status_code == 404
    assert len(rows(editor, "/evidence?page=3")) == 120 - 2 * PER_PAGE


def test_the_api_searches_its_lists(app, editor, db):
    _, secret = issue(db, db.get(User, 1), "lists", Scope.READ, date.today() + timedelta(days=1))
    db.commit()
    client, headers = app.test_client(), {"Authorization": f"Bearer {secret}"}

    def found(url: str) -> list[str]:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.get_json()
        return [item.get("title") or item.get("original_name") for item in response.get_json()["items"]]

    assert found("/api/v1/drills?q=drill+17:") == ["Failover drill 17: site A to site B"]
    assert sorted(found("/api/v1/findings?q=finding+12")) == ["Finding 12", "Finding 120"]
    assert found("/api/v1/actions?q=action+120") == ["Action 120"]
    sha = db.get(Evidence, 5).sha256
    assert found(f"/api/v1/evidence?q={sha}") == ["log-5.txt"]
    assert found("/api/v1/evidence?q=_") == []  # _ is a character to find, not a wildcard
    too_long = client.get("/api/v1/drills?q=" + "x" * 101, headers=headers)
    assert (
        too_long.status_code == 400
        and too_long.mimetype == "application/problem+json"
        and "q is at most 100" in too_long.get_json()["detail"]
    )


def test_the_register_of_issued_reports_keeps_every_report_reachable(client, auth, db):
    for n in range(PER_PAGE + 3):
        db.add(
            IssuedReport(
                sha256=f"{n:064x}",
                kind=ReportKind.ACTIONS,
                title=f"Action follow-up report {n}",
                subject="actions",
                size=1,
                issued_by="auditor@example.test",
            )
        )
    db.commit()
    auth.login_as(Role.AUDITOR)
    first, last = client.get("/reports").get_data(as_text=True), client.get("/reports?page=2").get_data(as_text=True)
    assert f"Action follow-up report {PER_PAGE + 2}<" in first and "Action follow-up report 0<" not in first
    assert "Action follow-up report 0<" in last and "51–53 of 53" in last


def test_a_control_page_shows_the_newest_findings_and_links_to_them_all(client, auth, db, users):
    for n in range(LINKED_SHOWN + 5):
        save_finding(
            db,
            {
                "title": f"Backup site finding {n:02}",
                "kind": "improvement",
                "detected_at": f"2026-01-{n + 1:02}T08:00:00+00:00",
            },
            users[Role.EDITOR],
            control_codes="A.5.30",
        )
    save_finding(db, {"title": "Unrelated finding", "kind": "observation"}, users[Role.EDITOR], control_codes="A.8.13")
    db.commit()
    auth.login_as(Role.AUDITOR)
    page = client.get("/controls/A.5.30").get_data(as_text=True)
    shown = re.findall(r"Backup site finding (\d\d)", page)
    assert shown == [f"{n:02}" for n in range(LINKED_SHOWN + 4, 4, -1)], "the newest, newest first"
    assert f'href="/findings?control=A.5.30">All {LINKED_SHOWN + 5} findings on A.5.30</a>' in page
    listed = rows(client, "/findings?control=A.5.30")
    assert len(listed) == LINKED_SHOWN + 5 and "Unrelated finding" not in listed

"""What people see: the reference drill's facts on its pages, sanitised Markdown, clear empty states."""

import re

import pytest

from app import create_app
from models.core.database import open_session
from models.drills.tables import Drill, DrillKind
from models.people.users import Role, add_user
from tests.helpers import PASSWORD, Auth


def text_of(response) -> str:
    """The page's visible text, tags removed and white space folded."""
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'").replace("&amp;", "&")


@pytest.fixture
def auditor(client, auth):
    auth.login_as(Role.AUDITOR)
    return client


def test_drill_detail_shows_the_reference_drill(auditor, demo):
    page = text_of(auditor.get(f"/drills/{demo.id}"))
    for fact in [
        "Full datacenter failover: Kortrijk to Brussels",
        "Saturday 13 June 2020",
        "Kortrijk (Courtrai), Belgium → Brussels, Belgium",
        "05:00–09:00 (4 h 00 min)",
        "05:00–05:15",
        "UTC 03:00–03:15",
        "05:17–07:17",
        "2 h 00 min",
        "Internal tests by Operations and Business Analysts",
        "11 taking part, 2 on standby",
        "Two TSOs had not registered the backup datacenter's IP address",
        "A server did not restart correctly after the failback",
        "Not related to the drill",
        "The infrastructure partner's analysis found the restart failure unrelated to the exercise.",
        "Move to a DNS provider that allows a shorter time-to-live",
        "Test availability with every AS2/AS4 communication partner",
        "A.5.29 Information security during disruption",
        "A.5.30 ICT readiness for business continuity",
        "A.8.13 Information backup",
        "A.8.14 Redundancy of information processing facilities",
        "10.2 Nonconformity and corrective action",
        "Saturday 13 July",
        "No evidence files attached.",
        "Submitted for review; not signed yet.",
    ]:
        assert fact in page, fact


def test_recovery_table_reconciles_under_an_hour_with_0730(auditor, demo):
    page = text_of(auditor.get(f"/drills/{demo.id}"))
    assert "GAS/POWER platform 05:27 27 min not set" in page
    assert "COSMOS platform 07:17 2 h 17 min not set" in page
    assert "AS2/AS4 messaging 07:30 2 h 30 min not set" in page
    assert "Failover 2 h 30 min" in page and "Failback 35 min" in page
    assert "Achieved recovery time = time the system was back" in page
    html = auditor.get(f"/drills/{demo.id}").get_data(as_text=True)
    assert html.count("<svg") == 2 and "Steps by phase" in html and "Availability of each system" in html


def test_times_follow_the_configured_time_zone(tmp_path, database_url, demo):
    app = create_app(
        {"TESTING": True, "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": database_url, "TIMEZONE": "America/New_York"}
    )
    client = app.test_client()
    with open_session(app.extensions["drillbook.engine"], write=True) as s:
        add_user(s, "ny@example.test", "NY", Role.AUDITOR, PASSWORD)
        s.commit()
    Auth(client).login("ny@example.test")
    page = text_of(client.get(f"/drills/{demo.id}"))
    assert "23:00–23:15" in page and "Friday 12 June 2020" in page


def test_dashboard_lists_drill_actions_and_controls(auditor, demo):
    page = text_of(auditor.get("/"))
    assert "Full datacenter failover" in page
    assert "4 outstanding actions" in page
    assert "A.5.30 ICT readiness for business continuity" in page


def test_dashboard_empty_states(auditor):
    page = text_of(auditor.get("/"))
    assert "No drills recorded yet." in page and "No outstanding actions." in page


def test_actions_filter(auditor, demo):
    assert "Update the backup configuration" in text_of(auditor.get("/actions"))
    assert "No actions match these filters." in text_of(auditor.get("/actions?status=verified"))
    assert "Update the backup configuration" in text_of(auditor.get("/actions?status=bogus"))


def test_controls_catalogue_and_search(auditor, demo):
    page = auditor.get("/controls").get_data(as_text=True)
    assert page.count('href="/controls/A.') == 93
    assert len(re.findall(r'href="/controls/(?:A\.)?\d+\.\d+"', page)) == 93 + 23
    found = text_of(auditor.get("/controls?q=continuity"))
    assert "A.5.30" in found and "A.8.13" not in found
    assert "No control matches" in text_of(auditor.get("/controls?q=zzz"))


def test_control_page_lists_linked_records(auditor, demo):
    page = text_of(auditor.get("/controls/A.5.30"))
    assert "Full datacenter failover" in page
    assert "Two TSOs had not registered" in page
    assert "Test availability with every AS2/AS4 communication partner" in page
    assert "No evidence files support this control yet." in page


def test_markdown_is_sanitised(auditor, db):
    drill = Drill(
        title="XSS probe",
        kind=DrillKind.TABLETOP,
        scenario="**bold** <script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3)) [ok](https://example.org)",
    )
    db.add(drill)
    db.commit()
    html = auditor.get(f"/drills/{drill.id}").get_data(as_text=True)
    assert "<strong>bold</strong>" in html
    assert "<script>alert(1)" not in html and "onerror" not in html and "javascript:" not in html
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">ok</a>' in html

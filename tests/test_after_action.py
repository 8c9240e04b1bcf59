"""The after-action report as a lead auditor reads it: HSEEP's AAR/IP sections in order, honest figures,
every page identified, the draft mark drawn, tagged and dated, no waste. Read with poppler's pdftotext."""

import io
import re
import subprocess
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlmodel import select

from evidence.rendering import charts
from evidence.reports.rows import action_row
from models.actions.tables import Action
from models.core.types import utcnow
from models.drills.metrics import drill_metrics
from models.drills.tables import Drill, DrillKind, Phase, Step
from tests.helpers import sign_demo

pytestmark = pytest.mark.slow

ZONE = ZoneInfo("Europe/Brussels")

#: HSEEP's AAR/IP sections, in the auditor's order
SECTIONS = [
    "Handling instructions",
    "Exercise overview",
    "Executive summary",
    "Major strengths",
    "Main areas for improvement",
    "Analysis of objectives",
    "Recovery by system",
    "Strengths",
    "Areas for improvement and incidents",
    "Conclusion and lessons learned",
    "Improvement plan",
    "Evaluation method, evaluators and hot wash",
    "Previous drills: actions and recovery year over year",
    "Sign-off",
    "Appendices",
    "A. Participants",
    "B. Timeline detail",
    "C. Controls cited and evidence manifest",
    "D. Notes on the record",
]


def pdftotext(path, *args) -> str:
    return subprocess.run(["pdftotext", *args, str(path), "-"], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def report(runner, tmp_path, demo):
    out = tmp_path / "aar.pdf"
    result = runner.invoke(args=["report", "drill", str(demo.id), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_the_report_has_every_hseep_section_in_order(report):
    lines = [line.strip() for line in pdftotext(report).splitlines()]
    found = [lines.index(title) for title in SECTIONS]
    assert found == sorted(found), [SECTIONS[i] for i in range(len(found)) if found[i] != sorted(found)[i]]


def test_the_figures_are_the_records(report):
    text = re.sub(r"\s+", " ", pdftotext(report))
    assert "failover took 2 h 30 min (until the last system was back)" in text
    assert "It held for 3 of 5 systems, not for AS2/AS4 messaging or COSMOS platform." in text
    assert "3 findings (1 incident) and 2 strengths were recorded." in text
    assert "4 follow-up actions were decided for 2 findings; 4 are still open." in text
    assert "Degraded after coming back: AS2/AS4 messaging (55 min)." in text
    overdue = (date.today() - date(2020, 9, 30)).days
    assert f"2020-09-30 overdue {overdue} days" in text or f"2020-09-30 overdue {overdue + 1} days" in text
    assert "resolved 2020-06-13 09:30" in text
    assert "2020-06-15 2020-09-30" in text, "the improvement plan has start and completion dates"
    assert "A.5.24 Information security incident management planning and preparation" in text
    assert "from the drill" not in text


def test_every_page_names_itself_and_no_watermark_letter_is_text(report):
    pages = pdftotext(report).split("\f")[:-1]
    assert len(pages) >= 6
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert "Confidential · generated" in page
        assert "After-action report · Full datacenter failover: Kortrijk to Brussels · revision 1 · DRAFT" in page
        assert not re.search(r"^\s*[DRAFT]\s*$", page, re.M), f"a lone watermark letter on page {number}"


def test_the_pdf_is_tagged_dated_and_lists_each_attachment_once(runner, tmp_path, demo, evidence_item):
    out = tmp_path / "aar.pdf"
    assert runner.invoke(args=["report", "drill", str(demo.id), "-o", str(out)]).exit_code == 0
    info = subprocess.run(["pdfinfo", str(out)], check=True, capture_output=True, text=True).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.M)
    assert re.search(r"^CreationDate:\s+\S", info, re.M) and re.search(r"^ModDate:\s+\S", info, re.M)
    reader = PdfReader(io.BytesIO(out.read_bytes()))
    listed = [ref.idnum for ref in reader.trailer["/Root"]["/AF"]]
    assert len(listed) == len(set(listed)) == 2, "the evidence file and the manifest, each once"
    xmp = reader.xmp_metadata.rdf_root.toxml()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp


def test_a_short_report_has_no_contents_page_and_says_what_is_not_set(runner, tmp_path, db):
    drill = Drill(
        title="Tabletop on supplier loss", kind=DrillKind.TABLETOP, actual_start=utcnow() - timedelta(hours=2)
    )
    db.add(drill)
    db.commit()
    out = tmp_path / "short.pdf"
    assert runner.invoke(args=["report", "drill", str(drill.id), "-o", str(out)]).exit_code == 0
    text = pdftotext(out)
    assert "Contents" not in text
    assert "No systems in scope." in text and "No hot-wash feedback recorded." in text


def test_columns_without_data_become_one_sentence(report):
    text = re.sub(r"\s+", " ", pdftotext(report))
    assert "No RTO, RPO, MTD target is set for these systems, so none is judged." in text
    assert "RTO met" not in text and "not set" not in text
    assert "No planned durations were recorded, so no variance is shown." in text


def test_days_open_count_from_the_drill_not_from_when_it_was_typed(db, demo):
    action = db.exec(select(Action).where(Action.drill_id == demo.id)).first()
    action.start_date, action.created_at = None, utcnow()
    row = action_row(action, date(2020, 7, 13), ZONE, date(2020, 6, 13))
    assert row["days_open"] == 30


def test_step_labels_wrap_and_the_legend_shows_only_what_is_drawn(demo):
    now = utcnow()
    svg = str(charts.swimlane(demo, charts.drill_axis(demo, ZONE, now), now))
    assert "Fail over all application" in svg and "servers to the recovery" in svg
    assert "still running" not in svg and "planned" not in svg.split("</title>", 1)[1]
    demo.steps.append(
        Step(phase=Phase.VALIDATION, title="Still testing", started_at=demo.actual_start, planned_minutes=30)
    )
    svg = str(charts.swimlane(demo, charts.drill_axis(demo, ZONE, now), now))
    assert "still running" in svg and ">planned<" in svg


def test_the_drill_page_says_what_the_report_says(client, auth, users, demo):
    auth.login_as(users and __import__("models.people.users", fromlist=["Role"]).Role.AUDITOR)
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", client.get(f"/drills/{demo.id}").get_data(as_text=True)))
    assert "It held for 3 of 5 systems, not for AS2/AS4 messaging or COSMOS platform." in page
    assert "3 findings (1 incident) and 2 strengths were recorded." in page
    assert "Conclusion and lessons learned" in page and "Being informed is not being ready." in page
    assert drill_metrics(demo, utcnow()).failover.duration == timedelta(minutes=150)


def test_recovery_year_over_year_sets_this_drill_beside_earlier_ones(runner, tmp_path, db, demo):
    from datetime import datetime, timezone

    from models.drills.tables import Outage, OutageKind

    cosmos = next(s for s in demo.systems if s.name == "COSMOS platform")
    start = datetime(2019, 6, 1, 5, 0, tzinfo=timezone.utc)
    earlier = Drill(
        title="Failover 2019", kind=DrillKind.FULL_SCALE, actual_start=start, actual_end=start + timedelta(hours=5)
    )
    earlier.systems = [cosmos]
    earlier.outages = [
        Outage(system=cosmos, kind=OutageKind.DOWN, started_at=start, ended_at=start + timedelta(minutes=200))
    ]
    db.add(earlier)
    db.commit()
    out = tmp_path / "aar.pdf"
    assert runner.invoke(args=["report", "drill", str(demo.id), "-o", str(out)]).exit_code == 0
    text = re.sub(r"\s+", " ", pdftotext(out))
    assert "Achieved recovery per system System 2019-06-01 2020-06-13" in text
    assert "COSMOS platform 3 h 20 min 2 h 17 min" in text
    assert "GAS/POWER platform — 27 min" in text


def test_a_signed_report_carries_no_draft_mark(runner, tmp_path, db, users, demo):
    sign_demo(db, demo, users)
    out = tmp_path / "signed.pdf"
    assert runner.invoke(args=["report", "drill", str(demo.id), "-o", str(out)]).exit_code == 0
    pages = pdftotext(out).split("\f")[:-1]
    assert all("revision 1 · SIGNED" in page and "DRAFT" not in page for page in pages)
    assert "with password re-entered" in re.sub(r"\s+", " ", pdftotext(out))

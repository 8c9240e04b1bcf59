"""The exercise programme: the last failover per system against its target, the next due, the drills
planned and a year's gaps in plain words."""

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select

from models.core.types import utcnow
from models.drills.tables import Drill, DrillKind, DrillStatus
from models.people.users import Role


@pytest.fixture
def reader(client, auth, users):
    auth.login_as(Role.AUDITOR)
    return client


def text(response) -> str:
    import re

    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_the_programme_shows_the_last_failover_of_each_system(reader, demo):
    page = text(reader.get("/programme?year=2020"))
    assert "COSMOS platform 2020-06-13 2 h 17 min no target not judged 2021-06-13 overdue" in page
    assert "GAS/POWER platform 2020-06-13 27 min" in page
    assert "1 drill ran in 2020." in page


def test_the_gaps_of_a_year_are_said_in_plain_words(reader, demo):
    year = utcnow().year
    page = text(reader.get(f"/programme?year={year}"))
    for gap in (
        f"No cyber-attack scenario in {year} (asked for by DORA Art. 11(6)).",
        f"No backup restore with integrity check scenario in {year} (asked for by DORA Art. 12, NIS2 4.2.6).",
        f"No crisis communication scenario in {year}.",
        "COSMOS platform not failed over since 2020-06-13.",
        "4 corrective actions from the last drill not verified.",
    ):
        assert gap in page, gap
    in_2020 = text(reader.get("/programme?year=2020"))
    assert "No failover or switchover scenario in 2020" not in in_2020 and "No cyber-attack scenario in 2020" in in_2020


def test_planned_drills_are_listed_by_date_and_a_bad_year_is_refused(reader, db, demo):
    db.add(
        Drill(
            title="Failover 2027",
            kind=DrillKind.FULL_SCALE,
            status=DrillStatus.PLANNED,
            planned_start=utcnow() + timedelta(days=200),
            scenarios="switchover,cyber_attack",
        )
    )
    db.commit()
    page = text(reader.get("/programme"))
    assert "Failover 2027" in page and "(Failover or switchover, Cyber-attack)" in page
    for odd in ("abc", "0", "2020.5", "²"):
        assert reader.get(f"/programme?year={odd}").status_code == 400, odd
    refused = reader.get("/programme?year=99999")
    assert refused.status_code == 400 and "Choose a year from 1970 to 2200." in refused.get_data(as_text=True)


def test_the_drill_form_records_what_it_exercises(client, auth, users, db, demo):
    from tests.helpers import csrf_token, form_fields, reread

    auth.login_as(Role.EDITOR)
    page = client.get(f"/drills/{demo.id}/edit").get_data(as_text=True)
    fields = form_fields(page)
    assert fields.getlist("exercises") == ["switchover", "failback", "site_loss"]
    fields.setlist("exercises", ["restore", "bogus"])
    refused = client.post(
        f"/drills/{demo.id}/edit", data={**fields.to_dict(flat=False), "csrf_token": csrf_token(client, "/")}
    )
    assert refused.status_code == 422 and "Not a scenario: bogus." in refused.get_data(as_text=True)
    fields.setlist("exercises", ["restore", "switchover"])
    saved = client.post(
        f"/drills/{demo.id}/edit", data={**fields.to_dict(flat=False), "csrf_token": csrf_token(client, "/")}
    )
    assert saved.status_code == 302
    reread(db)
    saved_drill = db.get(Drill, demo.id)
    assert saved_drill.scenarios == "switchover,restore"
    assert saved_drill.scenario.startswith("Total loss of the primary datacenter"), "the scenario text is untouched"


@pytest.mark.slow
def test_the_programme_report_is_a_sealed_pdf_with_the_same_gaps(runner, tmp_path, demo, reader, db):
    import subprocess

    out = tmp_path / "programme.pdf"
    result = runner.invoke(args=["report", "programme", "--year", "2020", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = " ".join(
        subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout.split()
    )
    assert (
        "No cyber-attack scenario in 2020 (asked for by DORA Art. 11(6))." in text
        and "4 corrective actions from the last drill not verified." in text
    )
    assert "COSMOS platform 2020-06-13 2 h 17 min no target not judged 2021-06-13 (overdue)" in text
    assert "Failover or switchover 2020-06-13 1" in text
    signature = subprocess.run(["pdfsig", str(out)], capture_output=True, text=True).stdout
    assert "Signature #1" in signature
    from tests.helpers import csrf_token

    asked = reader.post("/reports/programme", data={"year": "2020", "csrf_token": csrf_token(reader, "/programme")})
    assert asked.status_code == 302 and "/reports/jobs/" in asked.headers["Location"]
    refused = reader.post("/reports/programme", data={"year": "99999", "csrf_token": csrf_token(reader, "/programme")})
    assert refused.status_code == 400


def test_the_calendar_marks_the_days_drills_ran_and_are_planned(reader, db, demo):
    planned = Drill(
        title="Restore test", kind=DrillKind.FUNCTIONAL, status=DrillStatus.PLANNED,
        planned_start=datetime(2020, 11, 3, 8, tzinfo=timezone.utc),
    )  # fmt: skip
    db.add(planned)
    db.commit()
    html = reader.get("/programme?year=2020").get_data(as_text=True)
    assert html.count('<table class="month"') == 12
    ran = re.search(r'<td class="cal-ran"><a href="/drills/(\d+)"[^>]*><time datetime="2020-06-13">13</time>', html)
    assert ran and int(ran.group(1)) == demo.id
    assert re.search(rf'<td class="cal-planned"><a href="/drills/{planned.id}"[^>]*><time datetime="2020-11-03">', html)
    calendar_2021 = reader.get("/programme?year=2021").get_data(as_text=True).split("Calendar 2021")[1]
    assert '<td class="cal-planned">' not in calendar_2021.split("</section>")[0]


def test_a_signed_drill_counts_in_the_programme_as_signed(reader, db, demo, users):
    """After signing, setting COSMOS's RTO to 5 minutes made the signed drill read "Missed": the programme
    judged a signed drill by targets edited since."""
    from models.systems import System
    from tests.helpers import reread, sign_demo

    sign_demo(db, demo, users)
    cosmos = db.exec(select(System).where(System.name == "COSMOS platform")).one()
    cosmos.rto_minutes = 5
    cosmos.name = "COSMOS"
    db.commit()
    reread(db)
    page = text(reader.get("/programme?year=2020"))
    assert "COSMOS 2020-06-13 2 h 17 min no target not judged" in page

"""Frameworks beside ISO 27001: requirements loaded by migration, mapped to controls, evidenced through them."""

import csv
import io
from datetime import date
from zoneinfo import ZoneInfo

from models.controls.coverage import FRESH, NONE, Period
from models.frameworks.coverage import requirement_coverage, requirements
from models.frameworks.tables import Framework
from models.people.users import Role

ZONE = ZoneInfo("Europe/Brussels")


def test_the_migrations_load_the_named_clauses_sections_and_articles(db):
    codes = {f: [r.ref for r in requirements(db, f)] for f in Framework}
    assert codes[Framework.ISO_22301] == ["8.4", "8.5", "8.6", "9.1", "10.1"]
    assert codes[Framework.NIS2] == ["4.1", "4.1.4", "4.2", "4.2.6"]
    assert codes[Framework.DORA] == ["Art. 11", "Art. 11(6)", "Art. 12", "Art. 24", "Art. 25"]
    every = requirements(db)
    assert all(r.controls for r in every), "every requirement is mapped to at least one ISO 27001 control"


def test_evidence_linked_to_a_control_counts_for_the_requirements_mapped_to_it(db, evidence_item):
    """The item is linked to A.5.30 and to the reference drill (A.5.29, A.5.30, A.8.13, A.8.14, 10.2):
    ISO 22301 8.5 and DORA 11(6) are mapped to A.5.30, DORA 12 to A.8.13; ISO 22301 9.1 only to clause 9.1."""
    collected = evidence_item.collected_on or evidence_item.uploaded_at.date()
    period = Period(collected, collected)
    iso = {r.requirement.ref: r for r in requirement_coverage(db, Framework.ISO_22301, period, ZONE)}
    dora = {r.requirement.ref: r for r in requirement_coverage(db, Framework.DORA, period, ZONE)}
    assert iso["8.5"].state == FRESH and iso["8.5"].newest == collected
    assert dora["Art. 11(6)"].state == FRESH
    assert dora["Art. 12"].state == FRESH, "through the drill's link to A.8.13"
    assert iso["9.1"].state == NONE and iso["9.1"].evidence_count == 0
    # one item, counted once, though it reaches 8.5 directly through A.5.30 and again through its drill's controls
    assert iso["8.5"].evidence_count == 1
    later = Period(date(2100, 1, 1), date(2100, 12, 31))
    assert {r.requirement.ref: r.state for r in requirement_coverage(db, Framework.ISO_22301, later, ZONE)}[
        "8.5"
    ] == "stale"


def test_a_drill_linked_to_a_control_counts_for_the_requirements_mapped_to_it(db, demo):
    """The reference drill ran on 2020-06-13 and is linked to A.5.30 among others; it has no evidence files."""
    year = Period(date(2020, 1, 1), date(2020, 12, 31))
    rows = {r.requirement.code: r for f in Framework for r in requirement_coverage(db, f, year, ZONE)}
    for code in ("ISO 22301 8.5", "NIS2 4.1.4", "DORA Art. 11(6)", "DORA Art. 11", "NIS2 4.2"):
        assert rows[code].drills_in_period == 1 and rows[code].last_drill == date(2020, 6, 13), code
    # DORA 12 and NIS2 4.2.6 ask for a restore with an integrity check, which the failover drill was not
    assert rows["DORA Art. 12"].drills_in_period == 0 and rows["NIS2 4.2.6"].last_drill is None
    assert rows["ISO 22301 9.1"].drills_in_period == 0 and rows["ISO 22301 9.1"].last_drill is None
    later = {
        r.requirement.code: r
        for r in requirement_coverage(db, Framework.DORA, Period(date(2021, 1, 1), date(2021, 12, 31)), ZONE)
    }
    assert later["DORA Art. 11(6)"].drills_in_period == 0 and later["DORA Art. 11(6)"].last_drill == date(2020, 6, 13)


def test_the_coverage_page_and_csv_per_framework(client, auth, evidence_item):
    auth.login_as(Role.AUDITOR)
    index = client.get("/frameworks").get_data(as_text=True)
    assert "ISO 22301:2019" in index and "DORA, Regulation (EU) 2022/2554" in index
    assert "0 of 5" in index, "the 2020 evidence is not fresh for the last twelve months"
    page = client.get("/frameworks/nis2").get_data(as_text=True)
    assert "4.2.6" in page and "Recovery from backups" in page and "A.8.13" in page
    response = client.get("/frameworks/dora.csv?from=2020-01-01&to=2020-12-31")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["requirement", "title", "ISO 27001 controls"]
    by_code = {row[0]: row for row in rows[1:]}
    assert by_code["DORA Art. 11(6)"][2] == "A.5.29 A.5.30" and by_code["DORA Art. 11(6)"][5] == FRESH
    assert by_code["DORA Art. 11(6)"][6:] == ["1", "2020-06-13"]
    assert by_code["DORA Art. 25"][2] == "A.5.30 A.8.8 A.8.29"
    assert client.get("/frameworks/sox").status_code == 404
    assert client.get("/frameworks/dora?from=2026-13-01").status_code == 400


def test_a_control_page_names_the_requirements_its_evidence_also_answers(client, auth, demo):
    auth.login_as(Role.EDITOR)
    page = client.get("/controls/A.8.13").get_data(as_text=True)
    assert "Its evidence also counts for" in page and "NIS2 4.2.6" in page and "DORA Art. 12" in page

"""Control coverage: freshness for an audit period, the Statement of Applicability, and the gaps an auditor asks about."""

import csv
import io
from datetime import date

import pytest
from sqlalchemy import func
from sqlmodel import select

from evidence.intake import store_evidence
from models.controls.coverage import FRESH, NONE, STALE, Period, coverage
from models.controls.tables import Control, ControlKind, Theme
from models.people.users import Role
from tests.helpers import csrf_token


@pytest.fixture
def admin(client, auth):
    auth.login_as(Role.ADMIN)
    return client


def states(db, period):
    return {row.control.code: row.state for row in coverage(db, period)}


def test_freshness_follows_the_audit_period(db, evidence_item):
    assert states(db, Period(date(2020, 1, 1), date(2020, 12, 31)))["A.5.30"] == FRESH
    assert states(db, Period(date(2021, 1, 1), date(2021, 12, 31)))["A.5.30"] == STALE
    assert states(db, Period(date(2020, 1, 1), date(2020, 12, 31)))["A.7.4"] == NONE


def test_evidence_reaches_controls_through_the_drill(db, evidence_item):
    # the file is attached to the reference drill, which gives evidence for A.8.13 and 10.2
    result = states(db, Period(date(2020, 1, 1), date(2020, 12, 31)))
    assert result["A.8.13"] == FRESH and result["10.2"] == FRESH


def test_expired_evidence_is_stale(db, vault, users):
    store_evidence(
        db,
        vault,
        [b"visitor log\n"],
        "visitors.txt",
        {"collected_on": "2020-03-01", "valid_until": "2020-09-30"},
        users[Role.EDITOR],
        10_000,
        "A.7.4",
    )
    db.commit()
    assert states(db, Period(date(2020, 1, 1), date(2020, 12, 31)))["A.7.4"] == STALE
    assert states(db, Period(date(2020, 1, 1), date(2020, 6, 30)))["A.7.4"] == FRESH


def test_period_must_not_end_before_it_starts():
    with pytest.raises(ValueError, match="ends before it starts"):
        Period(date(2021, 1, 1), date(2020, 1, 1))


def test_control_page_shows_freshness_for_the_chosen_period(admin, evidence_item):
    page = admin.get("/controls/A.5.30?from=2020-01-01&to=2020-12-31").get_data(as_text=True)
    assert "Fresh" in page and "2020-06-13" in page and "failover.log" in page
    assert "Stale" in admin.get("/controls/A.5.30?from=2022-01-01&to=2022-12-31").get_data(as_text=True)
    bad = admin.get("/controls/A.5.30?from=yesterday")
    assert bad.status_code == 400 and "Dates must be written YYYY-MM-DD." in bad.get_data(as_text=True)
    backwards = admin.get("/controls/A.5.30?from=2022-01-01&to=2021-01-01")
    assert backwards.status_code == 400 and "ends before it starts" in backwards.get_data(as_text=True)


def test_admin_records_applicability_and_the_soa_follows(admin, db):
    page = admin.get("/controls/A.7.4/applicability").get_data(as_text=True)
    version = page.split('name="version" value="')[1].split('"')[0]
    missing = admin.post(
        "/controls/A.7.4/applicability",
        data={"csrf_token": csrf_token(admin, "/"), "version": version, "implementation": "implemented"},
    )
    assert missing.status_code == 422 and "This field is required." in missing.get_data(as_text=True)
    saved = admin.post(
        "/controls/A.7.4/applicability",
        data={
            "csrf_token": csrf_token(admin, "/"),
            "version": version,
            "implementation": "not_started",
            "justification": "No premises of our own: the datacenters are the partner's, covered by its certificate.",
        },
    )
    assert saved.status_code == 302
    soa = admin.get("/controls/soa").get_data(as_text=True)
    assert "No premises of our own" in soa
    assert "0 of 93 Annex A controls applicable; 92 not stated yet" in soa, "unstated is not applicable, nor excluded"
    rows = list(csv.reader(io.StringIO(admin.get("/controls/soa.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 94
    row = next(r for r in rows if r[0] == "A.7.4")
    assert row[3] == "No" and row[4].startswith("No premises")
    other = next(r for r in rows if r[0] == "A.7.5")
    assert other[3] == "Not stated" and other[5] == "Not stated", "never 'Not implemented' for what nobody stated"


def test_the_soa_reads_applicability_from_the_evidence_where_it_is_not_stated(admin, db, demo):
    rows = list(csv.reader(io.StringIO(admin.get("/controls/soa.csv").get_data(as_text=True).lstrip("\ufeff"))))
    a530 = next(r for r in rows if r[0] == "A.5.30")
    assert a530[3] == "Yes, from the evidence" and "records give evidence for it" in a530[4]
    control = db.exec(select(Control).where(Control.code == "A.7.5")).one()
    control.applicable = False  # an exclusion from before justifications were required
    db.commit()
    page = admin.get("/controls/soa").get_data(as_text=True)
    assert "Excluded without a justification; the SoA needs one." in page


def test_coverage_lists_applicable_controls_without_fresh_evidence(admin, evidence_item):
    page = admin.get("/controls/coverage?from=2020-01-01&to=2020-12-31").get_data(as_text=True)
    assert "A.5.30" not in page.split("<tbody>")[1]
    assert "A.7.4" in page
    stale = admin.get("/controls/coverage?from=2023-01-01&to=2023-12-31").get_data(as_text=True)
    assert "A.5.30" in stale.split("<tbody>")[1]


def test_catalogue_holds_all_93_annex_a_controls_by_theme(db):
    rows = db.exec(
        select(Control.theme, func.count()).where(Control.kind == ControlKind.ANNEX_A).group_by(Control.theme)
    ).all()
    assert dict(rows) == {Theme.ORGANIZATIONAL: 37, Theme.PEOPLE: 8, Theme.PHYSICAL: 14, Theme.TECHNOLOGICAL: 34}
    titles = {c.code: c.title for c in db.exec(select(Control)).all()}
    assert titles["A.5.30"] == "ICT readiness for business continuity"
    assert titles["A.8.13"] == "Information backup"
    assert titles["A.8.34"] == "Protection of information systems during audit testing"
    assert titles["9.2"] == "Internal audit"
    assert titles["10.2"] == "Nonconformity and corrective action"
    assert {code for code in titles if not code.startswith("A.")} >= {"4.1", "6.1", "7.5", "9.3", "10.1"}


def test_catalogue_sorts_clauses_first_and_numerically(db):
    codes = [c.code for c in db.exec(select(Control).order_by(Control.sort_key)).all()]
    assert codes[0] == "4.1" and codes[-1] == "A.8.34"
    assert codes.index("A.5.9") < codes.index("A.5.10") < codes.index("A.6.1")
    assert codes.index("9.3") < codes.index("10.1")


def test_a_control_opens_by_its_number_as_auditors_write_it(admin):
    """`/controls/5.30` was a 404; only `/controls/A.5.30` opened."""
    for written in ("5.30", "a.5.30", "A5.30"):
        answer = admin.get(f"/controls/{written}?from=2020-01-01&to=2020-12-31")
        assert answer.status_code == 308, written
        assert answer.headers["Location"] == "/controls/A.5.30?from=2020-01-01&to=2020-12-31"
    # a clause keeps its own number: 5.3 is the clause on roles, A.5.3 the control on segregation of duties
    assert "Organizational roles" in admin.get("/controls/5.3").get_data(as_text=True)
    assert admin.get("/controls/A.5.3").status_code == 200
    assert admin.get("/controls/99.1").status_code == 404
    assert admin.get("/controls/5.30/applicability").headers["Location"] == "/controls/A.5.30/applicability"

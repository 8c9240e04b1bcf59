"""The ISO/IEC 27001:2022 catalogue: each control's records and evidence, the Statement of Applicability, coverage."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from models import permissions
from models.actions.queries import actions_query
from models.controls.applicability import ApplicabilityIn, set_applicability, statement
from models.controls.coverage import FRESH, Period, control_evidence, coverage, is_fresh
from models.controls.queries import canonical_code, control_record_counts, list_controls, load_control
from models.controls.tables import ControlKind, Implementation
from models.core.paging import Page, page_of
from models.evidence import evidence_by_ids
from models.findings.queries import findings_query
from models.frameworks.coverage import requirements_for_control
from models.people.users import Role
from models.permissions import READERS
from views.support.access import allow
from views.support.forms import expected_version, form_values, parse_form
from views.support.paging import PER_PAGE, page_number
from views.support.period import audit_period
from views.support.saving import save, stale_page
from views.support.session import get_db, record_event
from views.support.spreadsheets import csv_download

bp = Blueprint("controls", __name__, url_prefix="/controls")

#: findings and actions shown on a control's page; the findings and actions lists filtered by the control show them all
LINKED_SHOWN = 20


def _load_or_404(code: str):
    """The control with this code; a number written another way ("5.30" for "A.5.30") is sent to its address."""
    control = load_control(get_db(), code)
    if control is None:
        canonical = canonical_code(get_db(), code)
        if canonical is None or canonical == code:
            abort(404)
        address = url_for(request.endpoint, **{**request.view_args, "code": canonical})
        abort(redirect(address + (f"?{request.query_string.decode()}" if request.query_string else ""), 308))
    return control


@bp.route("")
@allow(*READERS)
def index():
    """The catalogue: clauses 4 to 10, then Annex A by theme, with record counts."""
    db = get_db()
    search = request.args.get("q", "")[:100]
    controls = list_controls(db, search)
    return render_template(
        "controls/index.html",
        clauses=[c for c in controls if c.kind == ControlKind.CLAUSE],
        annex=[c for c in controls if c.kind == ControlKind.ANNEX_A],
        counts=control_record_counts(db),
        search=search,
    )


@bp.route("/<code>")
@allow(*READERS)
def detail(code: str):
    """One control: applicability, the drills, findings, actions and evidence that bear on it, and freshness for a period.

    Freshness, the newest date and the page's order are worked out by the database over all of the
    control's evidence; whole records are loaded only for the page shown.
    """
    control = _load_or_404(code)
    period, problem = audit_period()
    db = get_db()
    found = control_evidence(db, control, period, page_number(), PER_PAGE)
    evidence = Page(evidence_by_ids(db, found.page_ids), found.page, PER_PAGE, found.total)
    return render_template(
        "controls/detail.html",
        control=control,
        evidence=evidence,
        period=period,
        problem=problem,
        state=found.state,
        findings=page_of(db, findings_query(control_code=code, lean=True), 1, LINKED_SHOWN),
        actions=page_of(db, actions_query(control_code=code, lean=True), 1, LINKED_SHOWN),
        newest=found.newest,
        is_fresh=is_fresh,
        pager_args={"code": code, **{k: request.args[k] for k in ("from", "to") if k in request.args}},
        requirements=requirements_for_control(db, control.id),
        can_admin=permissions.may_administer(current_user),
        can_upload=permissions.may_record(current_user),
    ), (400 if problem else 200)


@bp.route("/<code>/applicability", methods=["GET", "POST"])
@allow(Role.ADMIN)
def applicability(code: str):
    """Record whether the control applies, why, and its implementation status."""
    control = _load_or_404(code)
    options = [(i.value, i.label) for i in Implementation]
    if request.method == "GET":
        values = {**form_values(control, ApplicabilityIn), "version": str(control.version)}
        return render_template(
            "controls/applicability.html", control=control, values=values, errors={}, options=options
        )
    if (version := expected_version(request.form)) is None:
        abort(400)
    data, errors = parse_form(ApplicabilityIn, request.form)
    result = save(lambda: set_applicability(get_db(), control, data, current_user, version), errors)
    if result.stale:
        return stale_page(result.stale, url_for("controls.applicability", code=code))
    if not result.ok:
        return render_template(
            "controls/applicability.html",
            control=control,
            values=request.form.to_dict(),
            errors=result.errors,
            options=options,
        ), 422
    flash("Applicability recorded.", "success")
    return redirect(url_for("controls.detail", code=code))


def _soa_rows(period: Period):
    """Each Annex A control's coverage with its line of the SoA, read from the records where not stated."""
    counts = control_record_counts(get_db())
    return [
        (row, statement(row.control, sum((counts.get(row.control.id) or {}).values())))
        for row in coverage(get_db(), period)
        if row.control.kind == ControlKind.ANNEX_A
    ]


@bp.route("/soa")
@allow(*READERS)
def soa():
    """The Statement of Applicability: every Annex A control, applicable or not and why, with its evidence state."""
    period, problem = audit_period()
    return render_template("controls/soa.html", rows=_soa_rows(period), period=period, problem=problem), (
        400 if problem else 200
    )


@bp.route("/soa.csv")
@allow(*READERS)
def soa_csv():
    """The Statement of Applicability as CSV."""
    period, problem = audit_period()
    if problem:  # a file for another period than asked would be misread
        abort(400, description=problem)
    header = [
        "control",
        "title",
        "theme",
        "applicable",
        "justification",
        "implementation",
        "newest evidence",
        f"evidence {period.start}..{period.end}",
    ]
    lines = [
        (
            row.control.code,
            row.control.title,
            row.control.theme.label if row.control.theme else "",
            line.applicable,
            " ".join(filter(None, (line.justification, line.problem))),
            line.implementation,
            row.newest or "",
            row.state,
        )
        for row, line in _soa_rows(period)
    ]
    record_event("export", entity_type="control", after={"format": "csv", "report": "statement of applicability"})
    return csv_download(header, lines, f"statement-of-applicability-{period.end}.csv")


@bp.route("/coverage")
@allow(*READERS)
def coverage_page():
    """Applicable controls and clauses without fresh evidence in the audit period: what an auditor will ask about."""
    period, problem = audit_period()
    rows = coverage(get_db(), period, applicable_only=True)
    return render_template(
        "controls/coverage.html",
        gaps=[r for r in rows if r.state != FRESH],
        total=len(rows),
        period=period,
        problem=problem,
    ), (400 if problem else 200)

"""Findings: from a drill or on their own (an incident outside any drill), with the related-to-drill decision."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlmodel import select

from models import permissions
from models.core.paging import page_of
from models.core.revisions import superseded_drills
from models.drills.queries import list_drills
from models.drills.tables import Drill
from models.findings.inputs import FindingIn
from models.findings.queries import findings_query, load_finding
from models.findings.rules import save_finding
from models.findings.tables import DrillRelation, FindingKind, Severity
from models.permissions import EDITORS, READERS
from models.systems import System
from views.support.access import allow
from views.support.forms import chosen_ids, expected_version, form_values, parse_form, record_id, record_ids
from views.support.paging import PER_PAGE, choice_or_none, page_number, search_text
from views.support.saving import get_or_404, save, stale_page
from views.support.session import get_db

bp = Blueprint("findings", __name__, url_prefix="/findings")


def _finding_or_404(finding_id: int):
    finding = load_finding(get_db(), finding_id)
    if finding is None:
        abort(404)
    return finding


def _form(finding, drill, values, errors, status=200):
    systems = get_db().exec(select(System).order_by(System.name)).all()
    return render_template(
        "findings/form.html",
        finding=finding,
        drill=drill,
        values=values,
        errors=errors,
        kinds=[(k.value, k.label) for k in FindingKind],
        severities=[(s.value, s.label) for s in Severity],
        relations=[(r.value, r.label) for r in DrillRelation],
        systems=systems,
        chosen=set(record_ids(values.get("system_ids", []))),
    ), status


def _scope() -> tuple[list[int], str]:
    return chosen_ids(request.form.getlist("system_ids")), request.form.get("controls", "")[:2000]


@bp.route("")
@allow(*READERS)
def index():
    """Every finding, from drills and from incidents outside any drill; searchable, filterable by kind, severity, drill and control, a page at a time."""
    db = get_db()
    drill = get_or_404(Drill, record_id(request.args.get("drill"))) if request.args.get("drill") else None
    kind, severity, control = (
        choice_or_none(FindingKind, "kind"),
        choice_or_none(Severity, "severity"),
        request.args.get("control", "")[:16],
    )
    filters = {
        "q": search_text(),
        "kind": kind.value if kind else "",
        "severity": severity.value if severity else "",
        "drill": str(drill.id) if drill else "",
        "control": control,
    }
    query = findings_query(
        filters["q"], kind, severity, drill.id if drill else None, control, superseded=superseded_drills(get_db())
    )
    return render_template(
        "findings/index.html",
        findings=page_of(db, query, page_number(), PER_PAGE),
        filters=filters,
        kinds=list(FindingKind),
        severities=list(Severity),
        drills=list_drills(db),
        can_edit=permissions.may_record(current_user),
    )


@bp.route("/<id:finding_id>")
@allow(*READERS)
def detail(finding_id: int):
    """One finding with its decision, systems, controls and actions."""
    finding = _finding_or_404(finding_id)
    return render_template(
        "findings/detail.html", finding=finding, can_edit=permissions.may_edit_finding(current_user, finding)
    )


@bp.route("/new", methods=["GET", "POST"])
@allow(*EDITORS)
def new():
    """Record a finding, for the drill named in ?drill= or on its own."""
    drill = get_or_404(Drill, record_id(request.args.get("drill"))) if request.args.get("drill") else None
    if permissions.is_frozen(drill):
        flash("This drill is signed and can no longer be changed.", "error")
        return redirect(url_for("drills.detail", drill_id=drill.id))
    if request.method == "GET":
        return _form(
            None, drill, {"kind": "improvement", "severity": "medium", "related_to_drill": "yes" if drill else "no"}, {}
        )
    data, errors = parse_form(FindingIn, request.form)
    system_ids, controls = _scope()
    result = save(
        lambda: save_finding(get_db(), data, current_user, drill=drill, system_ids=system_ids, control_codes=controls),
        errors,
    )
    if not result.ok:
        return _form(None, drill, {**request.form.to_dict(), "system_ids": system_ids}, result.errors, 422)
    flash("Finding recorded.", "success")
    return redirect(url_for("findings.detail", finding_id=result.value.id))


@bp.route("/<id:finding_id>/edit", methods=["GET", "POST"])
@allow(*EDITORS)
def edit(finding_id: int):
    """Change a finding; one of a signed drill is frozen with it."""
    finding = _finding_or_404(finding_id)
    if permissions.is_frozen(finding.drill):
        flash("This finding belongs to a signed drill and can no longer be changed.", "error")
        return redirect(url_for("findings.detail", finding_id=finding_id))
    if request.method == "GET":
        values = {
            **form_values(finding, FindingIn),
            "version": str(finding.version),
            "system_ids": [s.id for s in finding.systems],
            "controls": " ".join(c.code for c in sorted(finding.controls, key=lambda c: c.sort_key)),
        }
        return _form(finding, finding.drill, values, {})
    if (version := expected_version(request.form)) is None:
        abort(400)
    data, errors = parse_form(FindingIn, request.form, finding)
    system_ids, controls = _scope()
    result = save(
        lambda: save_finding(
            get_db(), data, current_user, finding, version, system_ids=system_ids, control_codes=controls
        ),
        errors,
    )
    if result.stale:
        return stale_page(result.stale, url_for("findings.edit", finding_id=finding_id))
    if not result.ok:
        return _form(finding, finding.drill, {**request.form.to_dict(), "system_ids": system_ids}, result.errors, 422)
    flash("Finding saved.", "success")
    return redirect(url_for("findings.detail", finding_id=finding_id))

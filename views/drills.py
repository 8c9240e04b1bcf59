"""Drill pages: the list, the full record, creating and editing, and the timeline as CSV."""

import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlmodel import select

from evidence.rendering import charts
from evidence.rendering.formatting import org_zone
from evidence.reports import aar
from models import permissions
from models.actions.tables import OUTSTANDING
from models.core import spreadsheet
from models.core.paging import page_of
from models.core.types import utcnow
from models.drills.checks import consistency_problems
from models.drills.inputs import DrillIn
from models.drills.metrics import FORMULAS, drill_metrics
from models.drills.next_drill import plan_next_drill
from models.drills.planning import save_drill
from models.drills.queries import drills_query, load_drill, previous_drill
from models.drills.tables import Drill, DrillKind, DrillStatus, Scenario
from models.drills.timeline_csv import CsvErrors, export_timeline, import_timeline
from models.evidence import evidence_query
from models.permissions import EDITORS, READERS
from models.signoff.frozen import SignedContentAltered, changes_since_signing, frozen_drill, signed_off
from models.signoff.readiness import readiness
from models.systems import System
from views.support.access import allow
from views.support.forms import chosen_ids, expected_version, form_values, parse_form, record_ids
from views.support.input_guard import receives_files
from views.support.paging import PER_PAGE, choice_or_none, page_number, search_text
from views.support.saving import save, stale_page
from views.support.session import get_db, record_event
from views.support.spreadsheets import csv_separator

bp = Blueprint("drills", __name__, url_prefix="/drills")

#: evidence items listed on the drill page; the evidence list shows them all, a page at a time
EVIDENCE_SHOWN = 20
#: largest timeline CSV accepted, in bytes
MAX_CSV_BYTES = 2 * 1024 * 1024


def load_or_404(drill_id: int) -> Drill:
    """The drill with everything its pages show, or a 404 page."""
    drill = load_drill(get_db(), drill_id)
    if drill is None:
        abort(404)
    return drill


def editable_or_redirect(drill: Drill):
    """A redirect with a message when the drill is signed, else None."""
    if permissions.is_frozen(drill):
        flash("This drill is signed and can no longer be changed.", "error")
        return redirect(url_for("drills.detail", drill_id=drill.id))
    return None


@bp.route("")
@allow(*READERS)
def index():
    """All drills, newest first, searchable and filterable by status and kind, a page at a time."""
    filters = {
        "q": search_text(),
        "status": choice_or_none(DrillStatus, "status"),
        "kind": choice_or_none(DrillKind, "kind"),
    }
    query = drills_query(filters["q"], filters["status"], filters["kind"])
    return render_template(
        "drills/index.html",
        drills=page_of(get_db(), query, page_number(), PER_PAGE),
        filters={name: value or "" for name, value in filters.items()},
        statuses=list(DrillStatus),
        kinds=list(DrillKind),
        can_edit=permissions.may_record(current_user),
    )


@bp.route("/<id:drill_id>")
@allow(*READERS)
def detail(drill_id: int):
    """One drill: overview, recovery figures, charts, timeline, findings, actions, controls, the newest evidence."""
    drill = load_drill(get_db(), drill_id, with_evidence=False) or abort(404)
    try:
        signoff, altered = signed_off(drill), None
    except SignedContentAltered as exc:
        signoff, altered = None, exc.errors[""]
    signed = json.loads(signoff.snapshot) if signoff else None
    shown = frozen_drill(signed, drill.id, drill) if signoff else drill
    now = signoff.signed_at if signoff else utcnow()  # a signed drill's figures stand as they were when signed
    metrics = drill_metrics(shown, now)
    axis = charts.drill_axis(shown, org_zone(), now)
    evidence = page_of(get_db(), evidence_query(drill.id), 1, EVIDENCE_SHOWN)
    newer_revision = get_db().exec(select(Drill).where(Drill.previous_revision_id == drill.id)).first()
    return render_template(
        "drills/detail.html",
        drill=drill,
        shown=shown,
        altered=altered,
        since_signing=changes_since_signing(shown, drill, signed) if signoff else [],
        timeline=shown.timeline(),
        metrics=metrics,
        statements=aar.statements(shown, metrics),
        retest=_to_retest(drill) if drill.status != DrillStatus.SIGNED else [],
        can_plan=permissions.may_record(current_user),
        claim=aar.claim_check(shown, metrics),
        formulas=FORMULAS,
        problems=consistency_problems(shown),
        swimlane=charts.swimlane(shown, axis, now) if axis else None,
        availability=charts.availability(metrics.systems, axis, now) if axis else None,
        headcount=sum(p.headcount for p in drill.participants if not p.standby),
        standby=sum(p.headcount for p in drill.participants if p.standby),
        can_edit=permissions.may_edit_drill(current_user, drill),
        can_submit=permissions.may_submit(current_user, drill),
        can_amend=permissions.may_amend(current_user, drill),
        can_review=drill.status == DrillStatus.REVIEW,
        can_decide_action=permissions.may_edit_drill(current_user, drill),
        signed=drill.status == DrillStatus.SIGNED,
        newer_revision=newer_revision,
        state=drill.state_when(newer_revision is not None),
        evidence=evidence,
        checklist=readiness(drill, evidence.total, now, metrics) if not signoff else None,  # unsigned: shown is drill
    )


def _to_retest(drill: Drill) -> list:
    """The previous drill's actions still open: what this drill should test again."""
    previous = previous_drill(get_db(), drill)
    return [a for a in previous.actions if a.status in OUTSTANDING] if previous else []


def _form_page(drill: Drill | None, values: dict, errors: dict, status: int = 200):
    db = get_db()
    return render_template(
        "drills/form.html",
        drill=drill,
        values=values,
        errors=errors,
        kinds=[(k.value, k.label) for k in DrillKind],
        systems=db.exec(select(System).order_by(System.name)).all(),
        chosen=set(record_ids(values.get("system_ids", []))),
        scenarios=[(k.value, k.label) for k in Scenario],
        picked=set(str(values.get("scenarios", "")).split(",")) | set(request.form.getlist("exercises")),
    ), status


def _with_scenarios(data: dict) -> dict:
    """The scenario boxes ticked, as the codes the drill keeps; a form without the boxes leaves them as they are."""
    if "scenarios" in request.form:
        data["scenarios"] = ",".join(request.form.getlist("exercises"))[:300]
    return data


def _scope_and_controls() -> tuple[list[int], str]:
    return chosen_ids(request.form.getlist("system_ids")), request.form.get("controls", "")[:2000]


@bp.route("/new", methods=["GET", "POST"])
@allow(*EDITORS)
def new():
    """Plan or record a new drill."""
    if request.method == "GET":
        return _form_page(None, {"kind": DrillKind.FUNCTIONAL.value}, {})
    data, errors = parse_form(DrillIn, request.form)
    data = _with_scenarios(data)
    system_ids, controls = _scope_and_controls()
    result = save(
        lambda: save_drill(get_db(), data, current_user, system_ids=system_ids, control_codes=controls), errors
    )
    if not result.ok:
        values = {**request.form.to_dict(), "system_ids": system_ids}
        return _form_page(None, values, result.errors, 422)
    flash("Drill created.", "success")
    return redirect(url_for("drills.detail", drill_id=result.value.id))


@bp.route("/<id:drill_id>/edit", methods=["GET", "POST"])
@allow(*EDITORS)
def edit(drill_id: int):
    """Change a drill's overview, scope and controls."""
    drill = load_or_404(drill_id)
    if (refused := editable_or_redirect(drill)) is not None:
        return refused
    if request.method == "GET":
        values = {
            **form_values(drill, DrillIn),
            "version": str(drill.version),
            "system_ids": [s.id for s in drill.systems],
            "controls": " ".join(c.code for c in sorted(drill.controls, key=lambda c: c.sort_key)),
        }
        return _form_page(drill, values, {})
    if (version := expected_version(request.form)) is None:
        abort(400)
    data, errors = parse_form(DrillIn, request.form, drill)
    data = _with_scenarios(data)
    system_ids, controls = _scope_and_controls()
    result = save(lambda: save_drill(get_db(), data, current_user, drill, version, system_ids, controls), errors)
    if result.stale:
        return stale_page(result.stale, url_for("drills.edit", drill_id=drill_id))
    if not result.ok:
        return _form_page(drill, {**request.form.to_dict(), "system_ids": system_ids}, result.errors, 422)
    flash("Drill saved.", "success")
    return redirect(url_for("drills.detail", drill_id=drill_id))


@bp.route("/<id:drill_id>/plan-next", methods=["POST"])
@allow(*EDITORS)
def plan_next(drill_id: int):
    """Open the next drill as a copy of this one's plan, each step planned to take what it took here."""
    drill = load_or_404(drill_id)
    result = save(lambda: plan_next_drill(get_db(), drill, current_user))
    flash(
        f"Planned “{result.value.title}” from this drill: its steps are planned to take what they took here. "
        "Set its dates, then record it.",
        "success",
    )
    return redirect(url_for("drills.detail", drill_id=result.value.id))


@bp.route("/<id:drill_id>/timeline.csv")
@allow(*READERS)
def export_csv(drill_id: int):
    """The timeline as a CSV file for a spreadsheet."""
    drill = load_or_404(drill_id)
    separator = csv_separator()  # a bad choice is a 400 before the export is recorded
    record_event("export", entity_type="drill", entity_id=drill.id, after={"format": "csv", "what": "timeline"})
    return Response(
        export_timeline(drill, org_zone(), separator),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="drill-{drill.id}-timeline.csv"'},
    )


@bp.route("/<id:drill_id>/timeline/import", methods=["GET", "POST"])
@allow(*EDITORS)
@receives_files
def import_csv(drill_id: int):
    """Add steps from a CSV file: every row is checked first, and nothing is added if one is bad."""
    drill = load_or_404(drill_id)
    if (refused := editable_or_redirect(drill)) is not None:
        return refused
    if request.method == "GET":
        return render_template("drills/import.html", drill=drill, problems=[])
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_template(
            "drills/import.html", drill=drill, problems=[(0, "", "Choose a CSV file to import.")]
        ), 422
    raw = upload.stream.read(MAX_CSV_BYTES + 1)
    if len(raw) > MAX_CSV_BYTES:
        return render_template(
            "drills/import.html", drill=drill, problems=[(0, "", "The file is larger than 2 MB.")]
        ), 413
    try:
        text = spreadsheet.decode(raw)  # UTF-8, UTF-16, or the Windows-1252 of Excel's plain "CSV"
    except spreadsheet.NotText as exc:
        return render_template("drills/import.html", drill=drill, problems=[(0, "", str(exc))]), 422
    try:
        steps = import_timeline(get_db(), drill, text, org_zone(), current_user)
    except CsvErrors as exc:
        get_db().rollback()
        return render_template("drills/import.html", drill=drill, problems=exc.problems), 422
    get_db().commit()
    flash(f"Imported {len(steps)} steps.", "success")
    return redirect(url_for("drills.detail", drill_id=drill_id, _anchor="timeline"))

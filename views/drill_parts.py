"""Editing what a drill is made of: objectives, participant groups, steps and outages, one form each."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlmodel import select

from evidence.rendering.formatting import org_zone
from models.drills.inputs import RecoveryDataIn
from models.drills.planning import PART_INPUTS, delete_part, save_part, set_last_data
from models.drills.tables import Objective, ObjectiveRating, Outage, OutageKind, Participant, Phase, Step, StepOutcome
from models.permissions import EDITORS
from models.systems import DrillSystem, System
from views.drills import editable_or_redirect, load_or_404
from views.support.access import allow
from views.support.forms import expected_version, form_values, parse_form
from views.support.saving import save, stale_page
from views.support.session import get_db

bp = Blueprint("drill_parts", __name__, url_prefix="/drills/<id:drill_id>")

#: URL segment -> (table, what one is called, the section of the drill page it shows in)
KINDS = {
    "objectives": (Objective, "objective", "overview"),
    "participants": (Participant, "participant group", "participants"),
    "steps": (Step, "step", "timeline"),
    "outages": (Outage, "outage", "outages"),
}


def _kind(kind: str):
    if kind not in KINDS:
        abort(404)
    return KINDS[kind]


def _record_or_404(model, drill, record_id: int):
    record = get_db().get(model, record_id)
    if record is None or record.drill_id != drill.id:
        abort(404)
    return record


def _existing(drill_id: int, kind: str, record_id: int):
    """(table, label, drill, record, redirect if the drill is signed) for an edit or a deletion."""
    model, label, _ = _kind(kind)
    drill = load_or_404(drill_id)
    record = _record_or_404(model, drill, record_id)
    return model, label, drill, record, editable_or_redirect(drill)


def _options() -> dict:
    systems = get_db().exec(select(System).order_by(System.name)).all()
    return {
        "phases": [(p.value, p.label) for p in Phase],
        "outcomes": [(o.value, o.label) for o in StepOutcome],
        "ratings": [(r.value, r.label) for r in ObjectiveRating],
        "outage_kinds": [(k.value, k.label) for k in OutageKind],
        "systems": [(str(s.id), s.name) for s in systems],
    }


def _page(drill, kind, record, values, errors, status=200):
    model, label, _ = KINDS[kind]
    return render_template(
        "drill_parts/form.html",
        drill=drill,
        kind=kind,
        label=label,
        record=record,
        values=values,
        errors=errors,
        **_options(),
    ), status


def _back(drill, kind):
    return redirect(url_for("drills.detail", drill_id=drill.id, _anchor=KINDS[kind][2]))


@bp.route("/<kind>/new", methods=["GET", "POST"])
@allow(*EDITORS)
def new(drill_id: int, kind: str):
    """Add an objective, participant group, step or outage."""
    model, label, _ = _kind(kind)
    drill = load_or_404(drill_id)
    if (refused := editable_or_redirect(drill)) is not None:
        return refused
    if request.method == "GET":
        defaults = {"position": str(len(getattr(drill, kind)) + 1)} if kind in ("objectives", "steps") else {}
        return _page(drill, kind, None, defaults, {})
    data, errors = parse_form(PART_INPUTS[model], request.form)
    result = save(lambda: save_part(get_db(), drill, model, data, current_user), errors)
    if not result.ok:
        return _page(drill, kind, None, request.form.to_dict(), result.errors, 422)
    flash(f"{label.capitalize()} added.", "success")
    return _back(drill, kind)


@bp.route("/<kind>/<id:record_id>", methods=["GET", "POST"])
@allow(*EDITORS)
def edit(drill_id: int, kind: str, record_id: int):
    """Change one objective, participant group, step or outage."""
    model, label, drill, record, refused = _existing(drill_id, kind, record_id)
    if refused is not None:
        return refused
    if request.method == "GET":
        return _page(
            drill, kind, record, {**form_values(record, PART_INPUTS[model]), "version": str(record.version)}, {}
        )
    if (version := expected_version(request.form)) is None:
        abort(400)
    data, errors = parse_form(PART_INPUTS[model], request.form, record)
    result = save(lambda: save_part(get_db(), drill, model, data, current_user, record, version), errors)
    if result.stale:
        return stale_page(result.stale, url_for("drill_parts.edit", drill_id=drill_id, kind=kind, record_id=record_id))
    if not result.ok:
        return _page(drill, kind, record, request.form.to_dict(), result.errors, 422)
    flash(f"{label.capitalize()} saved.", "success")
    return _back(drill, kind)


@bp.route("/<kind>/<id:record_id>/delete", methods=["GET", "POST"])
@allow(*EDITORS)
def delete(drill_id: int, kind: str, record_id: int):
    """Ask first, then remove one objective, participant group, step or outage."""
    model, label, drill, record, refused = _existing(drill_id, kind, record_id)
    if refused is not None:
        return refused
    if request.method == "GET":
        return render_template("drill_parts/delete.html", drill=drill, kind=kind, label=label, record=record)
    if (version := expected_version(request.form)) is None:
        abort(400)
    result = save(lambda: delete_part(get_db(), drill, record, current_user, version))
    if result.stale:
        return stale_page(result.stale, url_for("drills.detail", drill_id=drill_id))
    flash(f"{label.capitalize()} deleted.", "success")
    return _back(drill, kind)


@bp.route("/systems/<id:system_id>/last-data", methods=["GET", "POST"])
@allow(*EDITORS)
def last_data(drill_id: int, system_id: int):
    """Record the newest data found in a recovered system, for the achieved RPO."""
    drill = load_or_404(drill_id)
    link = get_db().get(DrillSystem, (drill_id, system_id))
    if link is None:
        abort(404)
    if (refused := editable_or_redirect(drill)) is not None:
        return refused
    system = get_db().get(System, system_id)
    if request.method == "GET":
        return render_template(
            "drill_parts/last_data.html",
            drill=drill,
            system=system,
            values=form_values(link, RecoveryDataIn),
            errors={},
        )
    data, errors = parse_form(RecoveryDataIn, request.form, link)
    result = save(lambda: set_last_data(get_db(), drill, system_id, data, current_user, org_zone()), errors)
    if not result.ok:
        return render_template(
            "drill_parts/last_data.html",
            drill=drill,
            system=system,
            values=request.form.to_dict(),
            errors=result.errors,
        ), 422
    flash(f"Recovery point recorded for {system.name}.", "success")
    return redirect(url_for("drills.detail", drill_id=drill_id, _anchor="recovery"))

"""Systems: their recovery targets, and the recovery each drill achieved over the years."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from evidence.rendering import charts
from models import permissions
from models.core.types import utcnow
from models.drills.metrics import system_metrics
from models.drills.queries import drills_for_system
from models.permissions import EDITORS, READERS
from models.systems import System, SystemIn, list_systems, save_system
from views.support.access import allow
from views.support.forms import expected_version, form_values, parse_form
from views.support.saving import get_or_404, save, stale_page
from views.support.session import get_db

bp = Blueprint("systems", __name__, url_prefix="/systems")


@bp.route("")
@allow(*READERS)
def index():
    """Every system with its targets."""
    return render_template(
        "systems/index.html", systems=list_systems(get_db()), can_edit=permissions.may_record(current_user)
    )


@bp.route("/<id:system_id>")
@allow(*READERS)
def detail(system_id: int):
    """One system and its achieved recovery time in every drill: the trend auditors ask for."""
    system = get_or_404(System, system_id)
    now = utcnow()
    history = [(drill, system_metrics(drill, system, now)) for drill in drills_for_system(get_db(), system_id)]
    points = [
        (
            (d.actual_start or d.planned_start or d.created_at).strftime("%Y-%m-%d"),
            m.achieved.total_seconds() / 60 if m.achieved is not None else None,
        )
        for d, m in history
    ]
    return render_template(
        "systems/detail.html",
        system=system,
        history=history,
        chart=charts.trend(points, system.rto_minutes) if points else None,
        can_edit=permissions.may_record(current_user),
    )


def _form(system, values, errors, status=200):
    return render_template("systems/form.html", system=system, values=values, errors=errors), status


@bp.route("/new", methods=["GET", "POST"])
@allow(*EDITORS)
def new():
    """Add a system with its recovery targets."""
    if request.method == "GET":
        return _form(None, {}, {})
    data, errors = parse_form(SystemIn, request.form)
    result = save(lambda: save_system(get_db(), data, current_user), errors)
    if not result.ok:
        return _form(None, request.form.to_dict(), result.errors, 422)
    flash(f"System {result.value.name} added.", "success")
    return redirect(url_for("systems.detail", system_id=result.value.id))


@bp.route("/<id:system_id>/edit", methods=["GET", "POST"])
@allow(*EDITORS)
def edit(system_id: int):
    """Change a system's name, owner or targets."""
    system = get_or_404(System, system_id)
    if request.method == "GET":
        return _form(system, {**form_values(system, SystemIn), "version": str(system.version)}, {})
    if (version := expected_version(request.form)) is None:
        abort(400)
    data, errors = parse_form(SystemIn, request.form)
    result = save(lambda: save_system(get_db(), data, current_user, system, version), errors)
    if result.stale:
        return stale_page(result.stale, url_for("systems.edit", system_id=system_id))
    if not result.ok:
        return _form(system, request.form.to_dict(), result.errors, 422)
    flash("System saved.", "success")
    return redirect(url_for("systems.detail", system_id=system_id))

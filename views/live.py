"""The drill cockpit: one tap to stamp a step or a system's state with the server's clock, usable on a phone."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from evidence.rendering.formatting import org_zone
from models import permissions
from models.core.types import utcnow
from models.drills import live
from models.drills.metrics import drill_metrics
from models.drills.queries import load_live_drill
from models.drills.tables import Drill, Step, StepOutcome
from models.findings.tables import FindingKind
from models.permissions import EDITORS
from models.systems import System
from views.support.access import allow
from views.support.saving import save
from views.support.session import get_db

bp = Blueprint("live", __name__, url_prefix="/drills/<id:drill_id>/live")


def live_drill_or_404(drill_id: int) -> Drill:
    """The drill with what the cockpit shows, or a 404 page."""
    return load_live_drill(get_db(), drill_id) or abort(404)


def _back(drill_id: int, anchor: str = ""):
    return redirect(url_for("live.cockpit", drill_id=drill_id, _anchor=anchor))


#: the quick finding's fields as the cockpit labels them, for refusal messages
FIELD_LABELS = {"title": "What was found", "kind": "Kind"}


def _run(drill_id: int, operation, done: str, repeated: str, anchor: str = ""):
    """Apply a one-tap operation; a repeated tap says so instead of stamping twice; a refused one shows the cockpit again with 422."""
    result = save(operation)
    if result.errors:
        flash(
            " ".join(
                f"{FIELD_LABELS[field]}: {message}" if field in FIELD_LABELS else message
                for field, message in result.errors.items()
            ),
            "error",
        )
        return _cockpit_page(live_drill_or_404(drill_id), 422)
    flash(done if result.value else repeated, "success" if result.value else "info")
    return _back(drill_id, anchor)


@bp.route("")
@allow(*EDITORS)
def cockpit(drill_id: int):
    """Steps with start and finish buttons, each system's state, elapsed time, and a quick finding form."""
    return _cockpit_page(live_drill_or_404(drill_id))


def _cockpit_page(drill, status: int = 200):
    if permissions.is_frozen(drill):
        flash("This drill is signed; the cockpit is closed.", "error")
        return redirect(url_for("drills.detail", drill_id=drill.id))
    now = utcnow()
    states = {s.id: live.open_outage(drill, s) for s in drill.systems}
    return render_template(
        "live/cockpit.html",
        drill=drill,
        steps=sorted(drill.steps, key=lambda s: (s.position, s.id)),
        metrics={m.system.id: m for m in drill_metrics(drill, now).systems},
        states=states,
        now=now,
        elapsed=(drill.actual_end or now) - drill.actual_start if drill.actual_start else None,
        finding_kinds=[(k.value, k.label) for k in FindingKind],
        outcomes=[o for o in StepOutcome if o != StepOutcome.PENDING],
    ), status


@bp.route("/start", methods=["POST"])
@allow(*EDITORS)
def start(drill_id: int):
    drill = live_drill_or_404(drill_id)
    return _run(
        drill_id,
        lambda: live.start_drill(get_db(), drill, utcnow(), current_user),
        "Drill started.",
        "The drill had already started.",
    )


@bp.route("/end", methods=["POST"])
@allow(*EDITORS)
def end(drill_id: int):
    drill = live_drill_or_404(drill_id)
    return _run(
        drill_id,
        lambda: live.end_drill(get_db(), drill, utcnow(), current_user),
        "Drill ended.",
        "The drill had already ended.",
    )


def step_or_404(drill, step_id: int) -> Step:
    """One of the drill's own steps; a step of another drill is not found through this one."""
    step = get_db().get(Step, step_id)
    if step is None or step.drill_id != drill.id:
        abort(404, description=f"Drill {drill.id} has no step {step_id}.")
    return step


def system_in_scope_or_404(drill, system_id: int, state: str) -> System:
    """A system in the drill's scope, and a state it can be marked as (down, degraded or up)."""
    system = get_db().get(System, system_id)
    if state not in live.STATES or system is None or system not in drill.systems:
        abort(
            404,
            description=f"Drill {drill.id} has no system {system_id} in scope, or {state[:20]!r} is not down, degraded or up.",
        )
    return system


@bp.route("/steps/<id:step_id>/start", methods=["POST"])
@allow(*EDITORS)
def start_step(drill_id: int, step_id: int):
    drill = live_drill_or_404(drill_id)
    step = step_or_404(drill, step_id)
    return _run(
        drill_id,
        lambda: live.start_step(get_db(), drill, step, utcnow(), current_user),
        f"Started: {step.title}",
        f"Already started: {step.title}",
        f"step-{step_id}",
    )


@bp.route("/steps/<id:step_id>/finish", methods=["POST"])
@allow(*EDITORS)
def finish_step(drill_id: int, step_id: int):
    drill = live_drill_or_404(drill_id)
    step = step_or_404(drill, step_id)
    try:
        outcome = StepOutcome(request.form.get("outcome", StepOutcome.SUCCESS.value))
    except ValueError:
        abort(400)
    return _run(
        drill_id,
        lambda: live.finish_step(get_db(), drill, step, outcome, utcnow(), current_user),
        f"Finished: {step.title}",
        f"Already finished: {step.title}",
        f"step-{step_id}",
    )


@bp.route("/systems/<id:system_id>/<state>", methods=["POST"])
@allow(*EDITORS)
def mark(drill_id: int, system_id: int, state: str):
    drill = live_drill_or_404(drill_id)
    system = system_in_scope_or_404(drill, system_id, state)
    return _run(
        drill_id,
        lambda: live.mark_system(get_db(), drill, system, live.STATES[state], utcnow(), current_user),
        f"{system.name} marked {state}.",
        f"{system.name} was already {state}.",
        f"system-{system_id}",
    )


@bp.route("/findings", methods=["POST"])
@allow(*EDITORS)
def finding(drill_id: int):
    drill = live_drill_or_404(drill_id)
    title, kind = request.form.get("title", ""), request.form.get("kind", FindingKind.OBSERVATION.value)
    return _run(
        drill_id,
        lambda: live.log_finding(get_db(), drill, title, kind, utcnow(), current_user),
        "Finding logged.",
        "",
        "finding",
    )


@bp.route("/hotwash", methods=["POST"])
@allow(*EDITORS)
def hotwash(drill_id: int):
    """The hot wash after "End drill": what went well, what to improve, anything else participants said."""
    drill = live_drill_or_404(drill_id)
    answers = {name: request.form.get(name, "") for name, _ in live.HOTWASH_QUESTIONS}
    result = save(lambda: live.record_hotwash(get_db(), drill, answers, utcnow(), current_user, org_zone()))
    if not result.ok:
        flash(" ".join(result.errors.values()), "error")
        return _cockpit_page(live_drill_or_404(drill_id), 422)
    flash("Hot-wash feedback added to the drill's record.", "success")
    return _back(drill_id, "hotwash")

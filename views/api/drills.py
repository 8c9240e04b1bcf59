"""API: drills, their steps and the systems in scope while a drill is recorded live."""

from flask import abort, jsonify, request, url_for
from flask_login import current_user

from models.core.errors import RecordError
from models.core.types import utcnow
from models.drills import live
from models.drills.inputs import DrillIn
from models.drills.planning import save_drill
from models.drills.queries import drills_query, load_drill
from models.drills.tables import Drill, StepOutcome
from models.permissions import EDITORS, READERS
from views import oscal
from views.api import schemas as out
from views.api.support import (
    bp,
    control_codes,
    found_or_404,
    is_id,
    json_body,
    only_fields,
    page_of_records,
    search_text,
)
from views.live import step_or_404, system_in_scope_or_404
from views.support.access import by_token
from views.support.saving import commit_once
from views.support.session import get_db


def _drill_or_404(drill_id: int) -> Drill:
    return found_or_404(load_drill(get_db(), drill_id), f"drill {drill_id}")


@bp.get("/drills")
@by_token(*READERS)
def drills():
    return jsonify(page_of_records(drills_query(search_text()), out.drill_summary))


@bp.post("/drills")
@by_token(*EDITORS, write=True)
def create_drill():
    data = json_body()
    system_ids = data.pop("system_ids", None)
    controls = control_codes(data.pop("controls", None))
    if system_ids is not None and not (isinstance(system_ids, list) and all(is_id(i) for i in system_ids)):
        raise RecordError({"system_ids": "Give a list of system ids."})
    data = only_fields(data, set(DrillIn.model_fields))
    drill = commit_once(lambda: save_drill(get_db(), data, current_user, system_ids=system_ids, control_codes=controls))
    return (
        jsonify(out.drill_detail(_drill_or_404(drill.id))),
        201,
        {"Location": url_for("api.drill", drill_id=drill.id)},
    )


@bp.get("/drills/<id:drill_id>")
@by_token(*READERS)
def drill(drill_id: int):
    return jsonify(out.drill_detail(_drill_or_404(drill_id)))


@bp.post("/drills/<id:drill_id>/steps/<id:step_id>/start")
@by_token(*EDITORS, write=True)
def start_step(drill_id: int, step_id: int):
    """Stamp the step's start with the server's clock; a repeat changes nothing and says so."""
    drill = _drill_or_404(drill_id)
    step = step_or_404(drill, step_id)
    changed = commit_once(lambda: live.start_step(get_db(), drill, step, utcnow(), current_user))
    return jsonify(out.step(step, changed))


@bp.post("/drills/<id:drill_id>/steps/<id:step_id>/finish")
@by_token(*EDITORS, write=True)
def finish_step(drill_id: int, step_id: int):
    """Stamp the step's end, with an outcome (default success)."""
    drill = _drill_or_404(drill_id)
    step = step_or_404(drill, step_id)
    data = request.get_json(silent=True) or {}
    if not isinstance(data, dict):
        abort(400, description="Send a JSON object, or nothing.")
    try:
        outcome = StepOutcome(only_fields(data, {"outcome"}).get("outcome", StepOutcome.SUCCESS.value))
    except (ValueError, TypeError):
        raise RecordError({"outcome": "Choose success, issues or failed."}) from None
    if outcome == StepOutcome.PENDING:
        raise RecordError({"outcome": "Choose success, issues or failed."})
    changed = commit_once(lambda: live.finish_step(get_db(), drill, step, outcome, utcnow(), current_user))
    return jsonify(out.step(step, changed))


@bp.post("/drills/<id:drill_id>/systems/<id:system_id>/<state>")
@by_token(*EDITORS, write=True)
def mark_system(drill_id: int, system_id: int, state: str):
    """Mark a system in the drill's scope down or degraded (opening an outage) or up (closing it)."""
    drill = _drill_or_404(drill_id)
    system = system_in_scope_or_404(drill, system_id, state)
    changed = commit_once(lambda: live.mark_system(get_db(), drill, system, live.STATES[state], utcnow(), current_user))
    current = live.open_outage(drill, system)
    return jsonify(
        {"system_id": system.id, "state": state, "changed": changed, "outage": out.outage(current) if current else None}
    )


@bp.get("/drills/<id:drill_id>/oscal/assessment-results")
@by_token(*READERS)
def drill_assessment_results(drill_id: int):
    """The drill revision as OSCAL 1.1 assessment results, as the drill page offers them."""
    return jsonify(oscal.assessment_results_of(drill_id))

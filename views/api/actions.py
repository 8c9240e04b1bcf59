"""API: follow-up actions and their moves to verified."""

from flask import abort, jsonify, request, url_for
from flask_login import current_user

from models.actions.inputs import ActionIn
from models.actions.queries import actions_query, load_action
from models.actions.workflow import save_action
from models.core.types import utcnow
from models.permissions import EDITORS, READERS
from views import oscal
from views.actions import MOVES
from views.api import schemas as out
from views.api.support import bp, control_codes, found_or_404, json_body, only_fields, page_of_records, search_text
from views.support.access import by_token
from views.support.saving import commit_once
from views.support.session import get_db


@bp.get("/actions")
@by_token(*READERS)
def actions():
    status = request.args.get("status") or None
    if status not in (None, "outstanding", *out.ACTION_STATUSES):
        abort(400, description="status is outstanding or one of " + ", ".join(out.ACTION_STATUSES) + ".")
    return jsonify(page_of_records(actions_query(status=status, search=search_text()), out.action))


def _action_or_404(action_id: int):
    return found_or_404(load_action(get_db(), action_id), f"action {action_id}")


@bp.get("/actions/<id:action_id>")
@by_token(*READERS)
def action(action_id: int):
    return jsonify(out.action(_action_or_404(action_id)))


@bp.post("/actions")
@by_token(*EDITORS, write=True)
def create_action():
    data = json_body()
    controls = control_codes(data.pop("controls", None))
    data = only_fields(data, set(ActionIn.model_fields))
    record = commit_once(lambda: save_action(get_db(), data, current_user, control_codes=controls))
    return jsonify(out.action(_action_or_404(record.id))), 201, {"Location": url_for("api.action", action_id=record.id)}


@bp.post("/actions/<id:action_id>/<move>")
@by_token(*READERS, write=True)
def move_action(action_id: int, move: str):
    """start, complete, verify or cancel; the domain decides who may (owners, editors, an approver who is not the owner)."""
    if move not in MOVES:
        abort(404, description="The move is start, complete, verify or cancel.")
    record = _action_or_404(action_id)
    fn, takes_data, _ = MOVES[move]
    data = request.get_json(silent=True) or {}
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        abort(400, description="Send a JSON object whose values are text.")
    if takes_data:
        commit_once(lambda: fn(get_db(), record, data, current_user, utcnow()))
    else:
        commit_once(lambda: fn(get_db(), record, current_user, utcnow()))
    return jsonify(out.action(_action_or_404(action_id)))


@bp.get("/actions/oscal/poam")
@by_token(*READERS)
def actions_poam():
    """Every follow-up action (or one drill's, with ?drill=) as an OSCAL 1.1 plan of action and milestones."""
    return jsonify(oscal.poam_of(oscal.drill_filter()))

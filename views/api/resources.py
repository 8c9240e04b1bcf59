"""The JSON API at /api/v1, for scripts and monitors: the same records, rules and audit trail as the pages.

Callers authenticate with a personal access token (views/access.py). Bodies are JSON objects
validated by the same input models as the forms; every error is RFC 9457 problem JSON, and
validation errors name each field. The OpenAPI document describing all this is views/openapi.py.
"""

from typing import Callable

from flask import Blueprint, abort, jsonify, request, url_for
from flask_login import current_user

from models.actions.inputs import ActionIn
from models.actions.queries import actions_query, load_action
from models.actions.workflow import save_action
from models.controls.queries import controls_query, load_control
from models.core.errors import NotAllowed, RecordError, StaleEdit
from models.core.paging import MAX_SEARCH, count_of
from models.core.types import MAX_ID, utcnow
from models.drills import live
from models.drills.inputs import DrillIn
from models.drills.planning import save_drill
from models.drills.queries import drills_query, load_drill
from models.drills.tables import Drill, StepOutcome
from models.evidence import Evidence, evidence_query
from models.findings.inputs import FindingIn
from models.findings.queries import findings_query, load_finding
from models.findings.rules import save_finding
from models.systems import systems_query
from views.actions import MOVES
from views.api import schemas as out
from views.evidence import receive_body
from views.live import step_or_404, system_in_scope_or_404
from views.support.access import READERS, WRITERS, by_token
from views.support.errors import problem
from views.support.session import get_db

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_PAGE = 500


@bp.errorhandler(RecordError)
def _invalid(exc: RecordError):
    get_db().rollback()
    detail = " ".join(f"{field}: {message}" if field else message for field, message in exc.errors.items())
    return problem(422, detail, "Validation failed", errors=exc.errors)


@bp.errorhandler(StaleEdit)
def _stale(exc: StaleEdit):
    get_db().rollback()
    return problem(409, "The record changed since it was read; read it again and retry.")


@bp.errorhandler(NotAllowed)
def _not_allowed(exc: NotAllowed):
    get_db().rollback()
    return problem(403, str(exc))


def _body() -> dict:
    """The JSON object sent, or 400; fields the input models do not know are refused by name later."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, description="Send a JSON object with Content-Type: application/json.")
    return data


def _only(data: dict, allowed: set[str]) -> dict:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise RecordError({name: "Unknown field." for name in unknown})
    return data


def _is_id(value) -> bool:
    """A record id the database can hold (JSON booleans are not numbers here)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def _codes(value) -> str | None:
    if value is not None and not isinstance(value, str):
        raise RecordError({"controls": "Give control codes as text, e.g. \"A.5.29 A.5.30\"."})
    return value[:2000] if value is not None else None


def _page(query, dump: Callable) -> dict:
    """The rows of `query` chosen by ?limit= (1 to 500, default 100) and ?offset=, each shown by `dump`; paged by the database."""
    try:
        limit = int(request.args.get("limit", 100))
        offset = int(request.args.get("offset", 0))
    except ValueError:
        abort(400, description="limit and offset must be whole numbers.")
    if not 1 <= limit <= MAX_PAGE or not 0 <= offset <= MAX_ID:
        abort(400, description=f"limit must be 1 to {MAX_PAGE}, and offset 0 to {MAX_ID}.")
    db = get_db()
    records = db.exec(query.limit(limit).offset(offset)).all()
    return {"items": [dump(r) for r in records], "total": count_of(db, query), "limit": limit, "offset": offset}


def _search() -> str:
    """?q=, the text a list is searched for (see text_contains); at most MAX_SEARCH characters."""
    text = request.args.get("q", "")
    if len(text) > MAX_SEARCH:
        abort(400, description=f"q is at most {MAX_SEARCH} characters.")
    return text


def _found(record, what: str):
    """`record`, or a problem+json 404 naming what was asked for ("drill 7")."""
    if record is None:
        abort(404, description=f"There is no {what}.")
    return record


def _drill_or_404(drill_id: int) -> Drill:
    return _found(load_drill(get_db(), drill_id), f"drill {drill_id}")


# Drills, steps and outages --------------------------------------------------------------------


@bp.get("/drills")
@by_token(*READERS)
def drills():
    return jsonify(_page(drills_query(_search()), out.drill_summary))


@bp.post("/drills")
@by_token(*WRITERS, write=True)
def create_drill():
    data = _body()
    system_ids = data.pop("system_ids", None)
    controls = _codes(data.pop("controls", None))
    if system_ids is not None and not (isinstance(system_ids, list) and all(_is_id(i) for i in system_ids)):
        raise RecordError({"system_ids": "Give a list of system ids."})
    data = _only(data, set(DrillIn.model_fields))
    drill = save_drill(get_db(), data, current_user, system_ids=system_ids, control_codes=controls)
    get_db().commit()
    return jsonify(out.drill_detail(_drill_or_404(drill.id))), 201, {"Location": url_for("api.drill", drill_id=drill.id)}


@bp.get("/drills/<int:drill_id>")
@by_token(*READERS)
def drill(drill_id: int):
    return jsonify(out.drill_detail(_drill_or_404(drill_id)))


@bp.post("/drills/<int:drill_id>/steps/<int:step_id>/start")
@by_token(*WRITERS, write=True)
def start_step(drill_id: int, step_id: int):
    """Stamp the step's start with the server's clock; a repeat changes nothing and says so."""
    drill = _drill_or_404(drill_id)
    step = step_or_404(drill, step_id)
    changed = live.start_step(get_db(), drill, step, utcnow(), current_user)
    get_db().commit()
    return jsonify({**out.step(step), "changed": changed})


@bp.post("/drills/<int:drill_id>/steps/<int:step_id>/finish")
@by_token(*WRITERS, write=True)
def finish_step(drill_id: int, step_id: int):
    """Stamp the step's end, with an outcome (default success)."""
    drill = _drill_or_404(drill_id)
    step = step_or_404(drill, step_id)
    data = request.get_json(silent=True) or {}
    if not isinstance(data, dict):
        abort(400, description="Send a JSON object, or nothing.")
    try:
        outcome = StepOutcome(_only(data, {"outcome"}).get("outcome", StepOutcome.SUCCESS.value))
    except (ValueError, TypeError):
        raise RecordError({"outcome": "Choose success, issues or failed."})
    if outcome == StepOutcome.PENDING:
        raise RecordError({"outcome": "Choose success, issues or failed."})
    changed = live.finish_step(get_db(), drill, step, outcome, utcnow(), current_user)
    get_db().commit()
    return jsonify({**out.step(step), "changed": changed})


@bp.post("/drills/<int:drill_id>/systems/<int:system_id>/<state>")
@by_token(*WRITERS, write=True)
def mark_system(drill_id: int, system_id: int, state: str):
    """Mark a system in the drill's scope down or degraded (opening an outage) or up (closing it)."""
    drill = _drill_or_404(drill_id)
    system = system_in_scope_or_404(drill, system_id, state)
    changed = live.mark_system(get_db(), drill, system, live.STATES[state], utcnow(), current_user)
    get_db().commit()
    current = live.open_outage(drill, system)
    return jsonify({"system_id": system.id, "state": state, "changed": changed, "outage": out.outage(current) if current else None})


@bp.get("/systems")
@by_token(*READERS)
def systems():
    return jsonify(_page(systems_query(), out.system))


# Findings and actions -------------------------------------------------------------------------


@bp.get("/findings")
@by_token(*READERS)
def findings():
    return jsonify(_page(findings_query(_search()), out.finding))


@bp.get("/findings/<int:finding_id>")
@by_token(*READERS)
def finding(finding_id: int):
    return jsonify(out.finding(_found(load_finding(get_db(), finding_id), f"finding {finding_id}")))


@bp.post("/findings")
@by_token(*WRITERS, write=True)
def create_finding():
    data = _body()
    drill_id = data.pop("drill_id", None)
    if drill_id is not None and not _is_id(drill_id):
        raise RecordError({"drill_id": "Give a drill id, or leave it out for a finding outside any drill."})
    drill = get_db().get(Drill, drill_id) if drill_id is not None else None
    if drill_id is not None and drill is None:
        raise RecordError({"drill_id": "That drill does not exist."})
    data = _only(data, set(FindingIn.model_fields))
    record = save_finding(get_db(), data, current_user, drill=drill)
    get_db().commit()
    return jsonify(out.finding(load_finding(get_db(), record.id))), 201, {"Location": url_for("api.finding", finding_id=record.id)}


@bp.get("/actions")
@by_token(*READERS)
def actions():
    status = request.args.get("status") or None
    if status not in (None, "outstanding", *out.ACTION_STATUSES):
        abort(400, description="status is outstanding or one of " + ", ".join(out.ACTION_STATUSES) + ".")
    return jsonify(_page(actions_query(status=status, search=_search()), out.action))


def _action_or_404(action_id: int):
    return _found(load_action(get_db(), action_id), f"action {action_id}")


@bp.get("/actions/<int:action_id>")
@by_token(*READERS)
def action(action_id: int):
    return jsonify(out.action(_action_or_404(action_id)))


@bp.post("/actions")
@by_token(*WRITERS, write=True)
def create_action():
    data = _body()
    controls = _codes(data.pop("controls", None))
    data = _only(data, set(ActionIn.model_fields))
    record = save_action(get_db(), data, current_user, control_codes=controls)
    get_db().commit()
    return jsonify(out.action(_action_or_404(record.id))), 201, {"Location": url_for("api.action", action_id=record.id)}


@bp.post("/actions/<int:action_id>/<move>")
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
        fn(get_db(), record, data, current_user, utcnow())
    else:
        fn(get_db(), record, current_user, utcnow())
    get_db().commit()
    return jsonify(out.action(_action_or_404(action_id)))


# Controls and evidence ------------------------------------------------------------------------


@bp.get("/controls")
@by_token(*READERS)
def controls():
    return jsonify(_page(controls_query(_search()), out.control))


@bp.get("/controls/<code>")
@by_token(*READERS)
def control(code: str):
    return jsonify(out.control(_found(load_control(get_db(), code[:16]), f"control {code[:16]}")))


@bp.get("/evidence")
@by_token(*READERS)
def evidence_list():
    return jsonify(_page(evidence_query(search=_search()), out.evidence))


@bp.get("/evidence/<int:evidence_id>")
@by_token(*READERS)
def evidence_item(evidence_id: int):
    return jsonify(out.evidence(_found(get_db().get(Evidence, evidence_id), f"evidence {evidence_id}")))


@bp.post("/evidence")
@by_token(*WRITERS, write=True)
def upload_evidence():
    """One file as the request body; its name in ?filename=, metadata and controls in the query string."""
    record = receive_body(request.args.get("filename", ""))
    get_db().commit()
    return jsonify(out.evidence(record)), 201, {"Location": url_for("api.evidence_item", evidence_id=record.id)}

"""OSCAL 1.1 JSON downloads: a drill revision's assessment results and the follow-up actions' POA&M."""

import json

from flask import Blueprint, Response, abort, current_app, request

from evidence import oscal
from evidence.rendering.formatting import org_zone
from models.actions.queries import list_actions
from models.core.types import MAX_ID, utcnow
from models.permissions import READERS
from models.signoff.frozen import SignedContentAltered
from views.drills import load_or_404
from views.support.access import allow
from views.support.session import get_db, record_event

bp = Blueprint("oscal", __name__)

MEDIA_TYPE = "application/json"


def site_address() -> str:
    """This instance's address, which the exports' UUIDs and links are made from: DRILLBOOK_BASE_URL, else the
    address it serves on, as the command line and e-mails name it; never the request's Host, which a client sets."""
    config = current_app.config
    return str(config.get("BASE_URL") or f"http://{config['HOST']}:{config['PORT']}/")


def organisation() -> str:
    return current_app.config.get("ORGANISATION") or "The organisation"


def download(document: dict, filename: str) -> Response:
    return Response(
        json.dumps(document, indent=2, ensure_ascii=False),
        mimetype=MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def assessment_results_of(drill_id: int) -> dict:
    """The document, with its export recorded in the audit trail."""
    drill = load_or_404(drill_id)
    try:
        document = oscal.assessment_results(drill, utcnow(), site_address(), organisation())
    except SignedContentAltered as exc:  # the API answers the same RecordError with a 422 of its own
        abort(422, description=exc.errors[""])
    record_event("export", "drill", drill.id, {"format": "oscal", "model": "assessment-results"})
    return document


def drill_filter() -> int | None:
    """?drill=ID, checked: a drill that does not exist is a 404, not every action."""
    raw = request.args.get("drill")
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_ID:
        abort(400, description="drill must be a drill's number.")
    return load_or_404(int(raw)).id


def poam_of(drill_id: int | None) -> dict:
    """The document, with its export recorded in the audit trail."""
    actions = list_actions(get_db(), **({"drill_id": drill_id} if drill_id else {}))
    if not actions:  # OSCAL requires at least one item in a plan of action and milestones
        abort(404, description="There are no follow-up actions to export" + (" for this drill." if drill_id else "."))
    document = oscal.poam(actions, utcnow(), site_address(), organisation(), org_zone())
    record_event("export", "action", None, {"format": "oscal", "model": "poam", "drill": drill_id})
    return document


@bp.route("/drills/<id:drill_id>/oscal/assessment-results.json")
@allow(*READERS)
def assessment_results(drill_id: int):
    """The drill revision as OSCAL assessment results: steps and recovery as observations, findings, risks."""
    return download(assessment_results_of(drill_id), f"drill-{drill_id}-assessment-results.json")


@bp.route("/actions/oscal/poam.json")
@allow(*READERS)
def poam():
    """Every follow-up action (or one drill's, with ?drill=) as an OSCAL plan of action and milestones."""
    drill_id = drill_filter()
    return download(poam_of(drill_id), f"poam{f'-drill-{drill_id}' if drill_id else ''}.json")

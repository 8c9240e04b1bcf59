"""API: findings and incidents."""

from flask import jsonify, url_for
from flask_login import current_user

from models.core.errors import RecordError
from models.drills.tables import Drill
from models.findings.inputs import FindingIn
from models.findings.queries import findings_query, load_finding
from models.findings.rules import save_finding
from models.permissions import EDITORS, READERS
from views.api import schemas as out
from views.api.support import bp, found_or_404, is_id, json_body, only_fields, page_of_records, search_text
from views.support.access import by_token
from views.support.saving import commit_once
from views.support.session import get_db


@bp.get("/findings")
@by_token(*READERS)
def findings():
    return jsonify(page_of_records(findings_query(search_text()), out.finding))


@bp.get("/findings/<id:finding_id>")
@by_token(*READERS)
def finding(finding_id: int):
    return jsonify(out.finding(found_or_404(load_finding(get_db(), finding_id), f"finding {finding_id}")))


@bp.post("/findings")
@by_token(*EDITORS, write=True)
def create_finding():
    data = json_body()
    drill_id = data.pop("drill_id", None)
    if drill_id is not None and not is_id(drill_id):
        raise RecordError({"drill_id": "Give a drill id, or leave it out for a finding outside any drill."})
    drill = get_db().get(Drill, drill_id) if drill_id is not None else None
    if drill_id is not None and drill is None:
        raise RecordError({"drill_id": "That drill does not exist."})
    data = only_fields(data, set(FindingIn.model_fields))
    record = commit_once(lambda: save_finding(get_db(), data, current_user, drill=drill))
    return (
        jsonify(out.finding(load_finding(get_db(), record.id))),
        201,
        {"Location": url_for("api.finding", finding_id=record.id)},
    )

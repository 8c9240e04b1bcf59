"""API: evidence files, listed, described and uploaded."""

from flask import jsonify, request, url_for

from models.evidence import Evidence, evidence_query
from models.permissions import EDITORS, READERS
from views.api import schemas as out
from views.api.support import bp, found_or_404, page_of_records, search_text
from views.evidence import receive_body
from views.support.access import by_token
from views.support.input_guard import BODY, receives_files
from views.support.saving import commit_once
from views.support.session import get_db


@bp.get("/evidence")
@by_token(*READERS)
def evidence_list():
    return jsonify(page_of_records(evidence_query(search=search_text()), out.evidence))


@bp.get("/evidence/<id:evidence_id>")
@by_token(*READERS)
def evidence_item(evidence_id: int):
    return jsonify(out.evidence(found_or_404(get_db().get(Evidence, evidence_id), f"evidence {evidence_id}")))


@bp.post("/evidence")
@by_token(*EDITORS, write=True)
@receives_files(kind=BODY)
def upload_evidence():
    """One file as the request body; its name in ?filename=, metadata and controls in the query string."""
    record = commit_once(lambda: receive_body(request.args.get("filename", "")))
    return jsonify(out.evidence(record)), 201, {"Location": url_for("api.evidence_item", evidence_id=record.id)}

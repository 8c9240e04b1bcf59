"""API: the control catalogue and the systems in scope."""

from flask import jsonify

from models.controls.queries import controls_query, load_control
from models.permissions import READERS
from models.systems import systems_query
from views.api import schemas as out
from views.api.support import bp, found_or_404, page_of_records, search_text
from views.support.access import by_token
from views.support.session import get_db


@bp.get("/systems")
@by_token(*READERS)
def systems():
    return jsonify(page_of_records(systems_query(), out.system))


@bp.get("/controls")
@by_token(*READERS)
def controls():
    return jsonify(page_of_records(controls_query(search_text()), out.control))


@bp.get("/controls/<code>")
@by_token(*READERS)
def control(code: str):
    return jsonify(out.control(found_or_404(load_control(get_db(), code[:16]), f"control {code[:16]}")))

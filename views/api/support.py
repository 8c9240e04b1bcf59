"""The API's blueprint and what every resource shares: problem JSON for domain errors, the JSON body, paging and search."""

from collections.abc import Callable

from flask import Blueprint, abort, request

from models.core.errors import NotAllowed, RecordError, StaleEdit
from models.core.paging import MAX_SEARCH, count_of
from models.core.types import MAX_ID
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


def json_body() -> dict:
    """The JSON object sent, or 400; fields the input models do not know are refused by name later."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, description="Send a JSON object with Content-Type: application/json.")
    return data


def only_fields(data: dict, allowed: set[str]) -> dict:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise RecordError(dict.fromkeys(unknown, "Unknown field."))
    return data


def is_id(value) -> bool:
    """A record id the database can hold (JSON booleans are not numbers here)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def control_codes(value) -> str | None:
    if value is not None and not isinstance(value, str):
        raise RecordError({"controls": 'Give control codes as text, e.g. "A.5.29 A.5.30".'})
    return value[:2000] if value is not None else None


def page_of_records(query, dump: Callable) -> dict:
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


def search_text() -> str:
    """?q=, the text a list is searched for (see text_contains); at most MAX_SEARCH characters."""
    text = request.args.get("q", "")
    if len(text) > MAX_SEARCH:
        abort(400, description=f"q is at most {MAX_SEARCH} characters.")
    return text


def found_or_404(record, what: str):
    """`record`, or a problem+json 404 naming what was asked for ("drill 7")."""
    if record is None:
        abort(404, description=f"There is no {what}.")
    return record

"""Which page of a long list the reader asked for, and what they searched it for."""

from flask import request

from models.core.paging import MAX_SEARCH
from views.support.forms import record_id

#: rows per page on the long lists (drills, findings, actions, evidence)
PER_PAGE = 50


def page_number() -> int:
    """?page= as a number from 1; anything else is page 1 (a number past the end shows the last page)."""
    return record_id(request.args.get("page")) or 1


def search_text() -> str:
    """?q= trimmed and cut to the length the lists search; empty when not given."""
    return request.args.get("q", "").strip()[:MAX_SEARCH]


def choice_or_none(enum, name: str):
    """?name= as a member of the choice `enum`, or None when it is missing or not one of its values."""
    value = request.args.get(name, "")
    return enum(value) if value in {member.value for member in enum} else None

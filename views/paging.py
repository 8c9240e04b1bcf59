"""Which page of a long list the reader asked for."""

from flask import request

from views.formdata import record_id

#: rows per page on the long lists (actions, evidence of a control)
PER_PAGE = 50


def page_number() -> int:
    """?page= as a number from 1; anything else is page 1 (a number past the end shows the last page)."""
    return record_id(request.args.get("page")) or 1

"""Template filters and globals: local times, durations, sanitised Markdown, file types, and the menu a person may see."""

import time
from datetime import datetime

from flask import Flask, current_app, has_request_context, request
from flask_login import current_user

from evidence.filetypes import describe
from evidence.rendering.formatting import duration, localtime, long_date, org_today, signed_duration, utctime
from evidence.rendering.markdown import render_markdown
from models.comments import comments_on
from models.core.types import Choice
from models.permissions import may_administer, may_read_audit_trail
from models.worklist import waiting_count


def register(app: Flask) -> None:
    """Make the filters available to every template."""
    app.add_template_filter(render_markdown, "markdown")
    app.add_template_filter(describe, "describe_type")
    for fn in (localtime, utctime, duration, signed_duration, long_date):
        app.add_template_filter(fn)
    app.add_template_filter(plain, "plain")
    app.add_template_global(org_today, "today")
    app.add_template_global(_comments_on, "comments_on")
    app.context_processor(_navigation)


def _navigation() -> dict:
    """Which menu entries the person signed in may open, as plain flags."""
    if not has_request_context() or not current_user.is_authenticated:  # PDFs and e-mails are rendered outside requests
        return {"nav": {}}
    return {
        "nav": {"audit_trail": may_read_audit_trail(current_user), "people": may_administer(current_user)},
        "waiting": _waiting,
    }


def plain(value) -> str:
    """A stored value as a person reads it: a time in the organisation's zone (to the second when it has
    seconds), a choice by its label, nothing as a dash."""
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        return localtime(value, "%-d %b %Y %H:%M:%S" if value.second or value.microsecond else "%-d %b %Y %H:%M")
    if isinstance(value, Choice):
        return value.label
    return str(value)


def _comments_on(subject) -> list:
    """The comments a page shows under its record."""
    from views.support.session import get_db

    return comments_on(get_db(), subject)


#: how long a person's menu count is reused: the dashboard itself is always current
WAITING_SECONDS = 30


def _waiting() -> int:
    """The count beside Dashboard in the menu: what waits for this person, counted at most every
    WAITING_SECONDS per process so pages do not pay for it each time. A page never fails for it."""
    from views.support.session import get_db

    counts = current_app.extensions.setdefault("drillbook.waiting", {})  # per app: user id -> (when, count)
    now, known = time.monotonic(), counts.get(current_user.id)
    if known and now - known[0] < WAITING_SECONDS and request.blueprint != "dashboard":
        return known[1]
    try:
        count = waiting_count(get_db(), current_user, org_today())
    except Exception:
        return 0
    if len(counts) > 10_000:
        counts.clear()
    counts[current_user.id] = (now, count)
    return count

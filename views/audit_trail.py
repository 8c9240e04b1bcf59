"""The audit trail for auditors: every change, sign-off, sign-in and export, newest first, with its hash chain."""

import io

from flask import Blueprint, Response, render_template, request, stream_with_context
from sqlalchemy import func
from sqlmodel import select

from evidence.rendering.formatting import localtime
from models import audit
from models.audit import AuditEvent
from models.core import spreadsheet
from models.core.spreadsheet import neutralise
from models.permissions import AUDIT_READERS
from views.support.access import allow
from views.support.forms import record_id
from views.support.session import get_db, record_event
from views.support.spreadsheets import csv_separator

bp = Blueprint("audit_trail", __name__, url_prefix="/audit")

PAGE = 100
FILTERS = ("actor", "action", "entity_type", "entity_id")


def _filters() -> dict:
    return {name: request.args.get(name, "")[:254].strip() for name in FILTERS}


@bp.route("")
@allow(*AUDIT_READERS)
def index():
    """A page of entries, filtered; `before` pages back through the chain."""
    before = record_id(request.args.get("before"))
    events = audit.list_events(get_db(), **_filters(), limit=PAGE, before_seq=before)
    return render_template(
        "audit_trail/index.html",
        events=events,
        filters=_filters(),
        head=audit.head_hash(get_db()),
        total=audit.event_count(get_db()),
        more=len(events) == PAGE,
    )


@bp.route("/export.csv")
@allow(*AUDIT_READERS)
def export_csv():
    """Every entry matching the filters as CSV, oldest first, with the hashes that chain them; streamed, so a trail of any length fits.

    The export covers the trail as it stood when asked for; its own entry, appended first, is not in it.
    """
    db, filters = get_db(), _filters()
    separator = csv_separator()  # before the export is recorded or streamed: a bad choice is a 400, not a broken file
    head = db.exec(select(func.max(AuditEvent.seq))).one() or 0
    record_event(
        "export",
        entity_type="audit_event",
        after={"format": "csv", "filters": filters, "entries": audit.count_events(db, head, **filters)},
    )

    def lines():
        out = io.StringIO()
        writer = spreadsheet.writer(out, separator)
        out.write("\ufeff")
        writer.writerow(
            [
                "seq",
                "time (UTC)",
                "time (local)",
                "actor",
                "action",
                "entity",
                "id",
                "before",
                "after",
                "previous hash",
                "hash",
            ]
        )
        for n, e in enumerate(audit.stream_events(db, head, **filters), 1):
            writer.writerow(
                [
                    neutralise(v)
                    for v in (
                        e.seq,
                        e.occurred_at.isoformat(),
                        localtime(e.occurred_at, "%Y-%m-%d %H:%M:%S"),
                        e.actor,
                        e.action,
                        e.entity_type,
                        e.entity_id or "",
                        e.before,
                        e.after,
                        e.prev_hash,
                        e.hash,
                    )
                ]
            )
            if n % 1000 == 0:
                yield out.getvalue()
                out.seek(0)
                out.truncate()
        yield out.getvalue()

    return Response(
        stream_with_context(lines()),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="audit-trail.csv"'},
    )

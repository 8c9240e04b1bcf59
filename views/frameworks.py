"""Frameworks beside ISO 27001 (ISO 22301, NIS2 2024/2690, DORA): each requirement's evidence through its mapped controls."""

import io

from flask import Blueprint, Response, abort, render_template

from evidence.rendering.formatting import org_zone
from models.controls.coverage import FRESH
from models.core import spreadsheet
from models.core.spreadsheet import neutralise
from models.frameworks.coverage import requirement_coverage
from models.frameworks.tables import Framework
from models.permissions import READERS
from views.support.access import allow
from views.support.period import audit_period
from views.support.session import get_db, record_event
from views.support.spreadsheets import csv_separator

bp = Blueprint("frameworks", __name__, url_prefix="/frameworks")


def _framework(value: str) -> Framework:
    try:
        return Framework(value)
    except ValueError:
        abort(404)


@bp.route("")
@allow(*READERS)
def index():
    """Every framework with how many of its requirements have fresh evidence for the audit period."""
    period, problem = audit_period()
    rows = requirement_coverage(get_db(), None, period, org_zone())
    summary = [
        (
            framework,
            sum(r.state == FRESH for r in rows if r.requirement.framework == framework),
            sum(r.requirement.framework == framework for r in rows),
        )
        for framework in Framework
    ]
    return render_template("frameworks/index.html", summary=summary, period=period, problem=problem), (
        400 if problem else 200
    )


@bp.route("/<framework>")
@allow(*READERS)
def detail(framework: str):
    """One framework's requirements: the controls each is mapped to, its newest evidence and freshness."""
    chosen = _framework(framework)
    period, problem = audit_period()
    rows = requirement_coverage(get_db(), chosen, period, org_zone())
    return render_template("frameworks/detail.html", framework=chosen, rows=rows, period=period, problem=problem), (
        400 if problem else 200
    )


@bp.route("/<framework>.csv")
@allow(*READERS)
def detail_csv(framework: str):
    """One framework's coverage as CSV, for a spreadsheet or another tool."""
    chosen = _framework(framework)
    period, problem = audit_period()
    if problem:  # a file for another period than asked would be misread
        abort(400, description=problem)
    out = io.StringIO()
    writer = spreadsheet.writer(out, csv_separator())
    writer.writerow(
        [
            "requirement",
            "title",
            "ISO 27001 controls",
            "evidence items",
            "newest evidence",
            f"evidence {period.start}..{period.end}",
            f"drills {period.start}..{period.end}",
            "last drill",
        ]
    )
    for row in requirement_coverage(get_db(), chosen, period, org_zone()):
        r = row.requirement
        controls = " ".join(c.code for c in sorted(r.controls, key=lambda c: c.sort_key))
        writer.writerow(
            [
                neutralise(v)
                for v in (
                    r.code,
                    r.title,
                    controls,
                    row.evidence_count,
                    row.newest or "",
                    row.state,
                    row.drills_in_period,
                    row.last_drill or "",
                )
            ]
        )
    record_event("export", entity_type="requirement", after={"format": "csv", "framework": chosen.value})
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="coverage-{chosen.value}-{period.end}.csv"'},
    )

"""Frameworks beside ISO 27001 (ISO 22301, NIS2 2024/2690, DORA): each requirement's evidence through its mapped controls."""

from flask import Blueprint, abort, render_template

from evidence.rendering.formatting import org_zone
from models.controls.coverage import FRESH
from models.frameworks.coverage import requirement_coverage
from models.frameworks.tables import Framework
from models.permissions import READERS
from views.support.access import allow
from views.support.period import audit_period
from views.support.session import get_db, record_event
from views.support.spreadsheets import csv_download

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


def _coverage(framework: str):
    """The framework named in the address (404 if none), the audit period asked for, and its coverage."""
    chosen = _framework(framework)
    period, problem = audit_period()
    return chosen, period, problem, requirement_coverage(get_db(), chosen, period, org_zone())


@bp.route("/<framework>")
@allow(*READERS)
def detail(framework: str):
    """One framework's requirements: the controls each is mapped to, its newest evidence and freshness."""
    chosen, period, problem, rows = _coverage(framework)
    return render_template("frameworks/detail.html", framework=chosen, rows=rows, period=period, problem=problem), (
        400 if problem else 200
    )


@bp.route("/<framework>.csv")
@allow(*READERS)
def detail_csv(framework: str):
    """One framework's coverage as CSV, for a spreadsheet or another tool."""
    chosen, period, problem, rows = _coverage(framework)
    if problem:  # a file for another period than asked would be misread
        abort(400, description=problem)
    header = [
        "requirement",
        "title",
        "ISO 27001 controls",
        "evidence items",
        "newest evidence",
        f"evidence {period.start}..{period.end}",
        f"drills {period.start}..{period.end}",
        "last drill",
    ]
    lines = [
        (
            row.requirement.code,
            row.requirement.title,
            " ".join(c.code for c in sorted(row.requirement.controls, key=lambda c: c.sort_key)),
            row.evidence_count,
            row.newest or "",
            row.state,
            row.drills_in_period,
            row.last_drill or "",
        )
        for row in rows
    ]
    record_event("export", entity_type="requirement", after={"format": "csv", "framework": chosen.value})
    return csv_download(header, lines, f"coverage-{chosen.value}-{period.end}.csv")

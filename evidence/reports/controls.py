"""The control evidence pack's data: the Statement of Applicability, then per applicable control its records for an audit period."""

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from evidence.reports.rows import evidence_row, generated, local_time
from models.controls.applicability import NOT_STATED, statement
from models.controls.coverage import FRESH, NONE, STALE, Period, coverage, evidence_by_control, evidence_date, is_fresh
from models.controls.queries import control_record_counts
from models.controls.tables import Control, ControlKind


def controls_report(
    session: Session, period: Period, now: datetime, zone: ZoneInfo, organisation: str, issuer: str
) -> dict:
    """The control evidence pack for an audit period: Statement of Applicability, then per applicable control its records."""
    rows = coverage(session, period)
    annex = [r for r in rows if r.control.kind == ControlKind.ANNEX_A]
    applicable = [r for r in rows if r.control.applicable]
    counts = control_record_counts(session)
    with_records = [r for r in applicable if r.evidence_count or r.control.id in counts]
    loaded = {
        c.id: c
        for c in session.exec(
            select(Control)
            .where(col(Control.id).in_([r.control.id for r in with_records]))
            .options(selectinload(Control.drills), selectinload(Control.findings), selectinload(Control.actions))
        ).all()
    }
    by_control = evidence_by_control(session)
    lines = {r.control.id: statement(r.control, sum((counts.get(r.control.id) or {}).values())) for r in rows}
    controls = []
    for row in with_records:
        c = loaded[row.control.id]
        evidence = sorted(by_control.get(c.id, {}).values(), key=lambda e: (evidence_date(e), e.id), reverse=True)
        controls.append(
            {
                "code": c.code,
                "title": c.title,
                "implementation": lines[c.id].implementation,
                "state": row.state,
                "newest": row.newest.isoformat() if row.newest else "—",
                "drills": [
                    f"{d.title} ({local_time(d.actual_start or d.planned_start, zone, '%Y-%m-%d')}, {d.status.label})"
                    for d in c.drills
                ],
                "findings": [f"{f.title} ({f.kind.label})" for f in c.findings],
                "actions": [f"{a.title} ({a.status.label})" for a in c.actions],
                "evidence": [{**evidence_row(e), "fresh": is_fresh(e, period)} for e in evidence],
            }
        )
    soa, undecided = [], []
    for r in annex:
        line = lines[r.control.id]
        if line.applicable == NOT_STATED and r.state == NONE:
            undecided.append(r.control.code)  # nothing stated, nothing recorded: one list, not a page of dashes
            continue
        soa.append(
            {
                "code": r.control.code,
                "title": r.control.title,
                "applicable": line.applicable,
                "justification": line.justification,
                "implementation": line.implementation,
                "stated": line.stated,
                "problem": line.problem,
                "newest": r.newest.isoformat() if r.newest else "—",
                "state": r.state,
            }
        )
    return {
        "kind": "controls",
        "title": "Control evidence pack",
        "subtitle": f"Audit period {period.start} to {period.end}",
        "organisation": organisation,
        "draft": False,
        "period": {"from": period.start.isoformat(), "to": period.end.isoformat()},
        "soa": soa,
        "undecided": undecided,
        "annex_count": len(annex),
        "applicable_count": sum(1 for line in soa if line["applicable"].startswith("Yes")),
        "not_stated": sum(1 for line in soa if not line["stated"]) + len(undecided),
        "controls": controls,
        "gaps": {state: [r.control.code for r in applicable if r.state == state] for state in (STALE, NONE)},
        "gap_count": sum(1 for r in applicable if r.state != FRESH),
        "keywords": ", ".join(c["code"] for c in controls),
        "generated": generated(session, now, zone, issuer),
        "subject": f"controls:{period.start}..{period.end}",
    }

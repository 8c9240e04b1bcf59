"""The exercise programme report's data: for a year, each system's last failover and the next due, each
scenario's last exercise, the drills planned and the gaps; the programme page's figures, for the auditor."""

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from evidence.rendering import charts
from evidence.rendering.formatting import duration
from evidence.reports.rows import generated
from models.programme import programme


def programme_report(
    session: Session, year: int, now: datetime, zone: ZoneInfo, organisation: str, issuer: str
) -> dict:
    """The programme as it stands now, with the gaps of `year`."""
    today = now.astimezone(zone).date()
    plan = programme(session, year, today, zone)
    return {
        "kind": "programme",
        "title": "Exercise programme",
        "subtitle": f"Year {year}, as of {today.isoformat()}",
        "organisation": organisation,
        "draft": False,
        "year": year,
        "gaps": plan.gaps,
        "ran": [
            {"title": d.title, "date": d.actual_start.astimezone(zone).strftime("%Y-%m-%d"), "status": d.status.label}
            for d in plan.ran_in_year
        ],
        "systems": [
            {
                "name": r.system.name,
                "last": r.last_day.isoformat() if r.last_day else "never",
                "achieved": duration(r.metrics.achieved) if r.metrics else "—",
                "rto": duration(r.rto_minutes) if r.rto_minutes else "no target",
                "result": (
                    ("Met" if r.metrics.rto_met else "Missed")
                    if r.metrics and r.metrics.rto_met is not None
                    else ("not judged" if r.metrics else "—")
                ),
                "next_due": r.next_due.isoformat() if r.next_due else "now",
                "overdue": r.overdue,
                "trend": str(charts.trend([(d.isoformat(), v) for d, v in r.history], r.system.rto_minutes))
                if len(r.history) > 1
                else "",
            }
            for r in plan.systems
        ],
        "scenarios": [
            {"label": s.scenario.label, "last": s.last_day.isoformat() if s.last_day else "never", "in_year": s.in_year}
            for s in plan.scenarios
        ],
        "planned": [{"date": day.isoformat(), "title": d.title} for day, d in plan.planned],
        "keywords": "A.5.29, A.5.30, ISO 22301 8.5",
        "generated": generated(session, now, zone, issuer),
        "subject": f"programme:{year}",
    }

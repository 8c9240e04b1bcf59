"""The action follow-up report's data: open and overdue actions by owner."""

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from evidence.reports.rows import action_row, generated
from models.actions.tables import OUTSTANDING, Action


def actions_report(session: Session, now: datetime, zone: ZoneInfo, organisation: str, issuer: str) -> dict:
    """Open and overdue actions by owner, with their age and verification state."""
    today = now.astimezone(zone).date()
    actions = session.exec(
        select(Action)
        .where(col(Action.status).in_(OUTSTANDING + ("done",)))
        .options(
            selectinload(Action.owner),
            selectinload(Action.drill),
            selectinload(Action.finding),
            selectinload(Action.verified_by),
        )
        .order_by(Action.due_date, Action.id)
    ).all()
    by_owner: dict[str, list[dict]] = {}
    for a in actions:
        by_owner.setdefault(a.owner.name if a.owner else "Unassigned", []).append(action_row(a, today, zone))
    return {
        "kind": "actions",
        "title": "Action follow-up report",
        "subtitle": f"Open actions as of {today.isoformat()}",
        "organisation": organisation,
        "draft": False,
        "owners": [
            {"name": name, "actions": rows, "overdue": sum(1 for r in rows if r["overdue"])}
            for name, rows in sorted(by_owner.items())
        ],
        "total": len(actions),
        "overdue": sum(1 for a in actions if a.is_overdue(today)),
        "awaiting_verification": sum(1 for a in actions if a.status.value == "done"),
        "keywords": "10.2",
        "generated": generated(session, now, zone, issuer),
        "subject": "actions",
    }

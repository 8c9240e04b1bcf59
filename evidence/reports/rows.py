"""What every report's data shares: times in the organisation's zone and UTC, action and evidence rows, the manifest.

Report data is assembled as plain values: report templates never see a live record. Times are
formatted here in the organisation's zone (with UTC beside them where an auditor compares with
logs); Markdown is turned into sanitised HTML here; charts arrive as SVG text.
"""

import json
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from sqlmodel import Session

from models import audit
from models.actions.tables import Action
from models.controls.coverage import evidence_date


def local_time(value: datetime | None, zone: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.astimezone(zone).strftime(fmt) if value else "—"


def utc_time(value: datetime | None) -> str:
    return value.strftime("%H:%M") if value else "—"


def action_row(a: Action, today: date, zone: ZoneInfo, opened_on: date | None = None) -> dict:
    """An action as the improvement plan shows it; `opened_on` is the day of the drill that decided it."""
    return {
        "id": a.id,
        "title": a.title,
        "status": a.status.label,
        "status_value": a.status.value,
        "kind": a.kind.label,
        "capability": a.capability.label if a.capability else "—",
        "team": a.team or "—",
        "owner": a.owner.name if a.owner else "unassigned",
        "due": a.due_date.isoformat() if a.due_date else "no due date",
        "overdue": a.is_overdue(today),
        "days_overdue": (today - a.due_date).days if a.due_date and a.is_overdue(today) else 0,
        "days_open": a.days_open(today, opened_on),
        "start": a.start_date.isoformat() if a.start_date else local_time(a.started_at, zone, "%Y-%m-%d"),
        "priority": a.priority.label,
        "finding": a.finding.title if a.finding else "",
        "drill": a.drill.title if a.drill else "",
        "verification": (
            f"{a.verification_result.label}, {a.effectiveness_checked_on}"
            + (f" by {a.verified_by.name}" if a.verified_by else "")
        )
        if a.verification_result
        else "—",
    }


def evidence_row(e) -> dict:
    return {
        "id": e.id,
        "name": e.original_name,
        "sha256": e.sha256,
        "size": e.size,
        "date": evidence_date(e).isoformat(),
        "media_type": e.media_type,
    }


def generated(session: Session, now: datetime, zone: ZoneInfo, issuer: str) -> dict:
    """Who issued a report and when, in the organisation's zone and in UTC, with the audit trail's head at that moment."""
    return {
        "by": issuer,
        "at": local_time(now, zone),
        "at_utc": now.strftime("%Y-%m-%d %H:%M UTC"),
        "iso": now.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "zone": zone.key,
        "audit_head": audit.head_hash(session),
    }


def manifest(report: dict, embedded: list[dict]) -> bytes:
    """The JSON manifest attached to a report: what it covers and every evidence file's hash."""
    body = {
        "report": {
            k: report.get(k)
            for k in ("kind", "title", "subject", "revision", "draft", "signed_content_sha256", "period")
        },
        "generated": report["generated"],
        "signer": report.get("signoff") and {k: report["signoff"][k] for k in ("signer", "title", "time_utc")},
        "evidence": embedded,
    }
    return json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False).encode("utf-8")

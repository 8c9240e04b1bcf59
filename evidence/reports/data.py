"""Everything a report shows, assembled as plain values: report templates never see a live record.

Times are formatted here in the organisation's zone (with UTC beside them where an auditor
compares with logs); Markdown is turned into sanitised HTML here; charts arrive as SVG text.
"""

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, func, select

from evidence.rendering import charts
from evidence.rendering.formatting import duration, signed_duration
from evidence.rendering.markdown import render_markdown
from models import audit
from models.actions.queries import list_actions
from models.actions.tables import OUTSTANDING, Action
from models.controls.coverage import FRESH, Period, coverage, evidence_by_control, evidence_date, is_fresh
from models.controls.queries import control_record_counts
from models.controls.tables import Control, ControlKind
from models.drills.metrics import FORMULAS, drill_metrics
from models.drills.queries import load_drill
from models.drills.tables import Drill, DrillStatus


def _t(value: datetime | None, zone: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.astimezone(zone).strftime(fmt) if value else "—"


def _utc(value: datetime | None) -> str:
    return value.strftime("%H:%M") if value else "—"


def _action_row(a: Action, today: date, zone: ZoneInfo) -> dict:
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
        "days_open": a.days_open(today),
        "start": _t(a.started_at, zone, "%Y-%m-%d") if a.started_at else "—",
        "finding": a.finding.title if a.finding else "",
        "drill": a.drill.title if a.drill else "",
        "verification": (
            f"{a.verification_result.label}, {a.effectiveness_checked_on}"
            + (f" by {a.verified_by.name}" if a.verified_by else "")
        )
        if a.verification_result
        else "—",
    }


def _evidence_row(e) -> dict:
    return {
        "id": e.id,
        "name": e.original_name,
        "sha256": e.sha256,
        "size": e.size,
        "date": evidence_date(e).isoformat(),
        "media_type": e.media_type,
    }


def _previous_drill(session: Session, drill: Drill) -> Drill | None:
    """The latest earlier exercise (not a revision of this one), whose actions this report follows up."""
    start = drill.actual_start or drill.planned_start or drill.created_at
    when = func.coalesce(Drill.actual_start, Drill.planned_start, Drill.created_at)
    revisions = [i for i in (drill.id, drill.previous_revision_id) if i is not None]
    return session.exec(
        select(Drill).where(when < start, col(Drill.id).not_in(revisions)).order_by(when.desc()).limit(1)
    ).first()


def drill_report(
    session: Session, drill_id: int, now: datetime, zone: ZoneInfo, organisation: str, issuer: str
) -> dict:
    """The after-action report of one drill revision."""
    drill = load_drill(session, drill_id)
    today = now.astimezone(zone).date()
    metrics = drill_metrics(drill, now)
    axis = charts.drill_axis(drill, zone, now)
    signoff = drill.signoffs[-1] if drill.signoffs else None
    previous = _previous_drill(session, drill)
    previous_actions = list_actions(session, drill_id=previous.id) if previous else []
    systems = []
    for m in metrics.systems:
        systems.append(
            {
                "name": m.system.name,
                "back_at": _t(m.recovered_at, zone, "%H:%M") if not m.still_down else "still down",
                "achieved": duration(m.achieved),
                "rto": duration(m.rto) if m.rto else "not set",
                "gap": signed_duration(m.gap) if m.gap is not None else "—",
                "met": "—" if m.met is None else ("Met" if m.met else "Missed"),
                "rpo": duration(m.rpo) if m.rpo else "not set",
                "achieved_rpo": duration(m.achieved_rpo) if m.achieved_rpo is not None else "—",
                "availability": f"{m.availability * 100:.1f} %" if m.availability is not None else "—",
                "mtd_exceeded": m.mtd_exceeded,
                "source": m.source,
            }
        )
    with_target = [m for m in metrics.systems if m.met is not None]
    return {
        "kind": "drill",
        "title": drill.title,
        "subtitle": "After-action report",
        "organisation": organisation,
        "revision": drill.revision,
        "status": drill.status.label,
        "draft": drill.status != DrillStatus.SIGNED,
        "date": drill.actual_start.astimezone(zone).strftime("%A %-d %B %Y") if drill.actual_start else "not started",
        "drill_type": drill.kind.label,
        "sites": f"{drill.primary_site or '—'} → {drill.recovery_site or '—'}",
        "window": f"{_t(drill.actual_start, zone, '%H:%M')}–{_t(drill.actual_end, zone, '%H:%M')} ({duration(drill.duration)})"
        if drill.duration
        else "—",
        "scenario": render_markdown(drill.scenario),
        "out_of_scope": render_markdown(drill.out_of_scope),
        "record_notes": render_markdown(drill.record_notes),
        "summary": {
            "systems": len(metrics.systems),
            "recovered": sum(1 for m in metrics.systems if m.recovered_at),
            "targets": len(with_target),
            "met": sum(1 for m in with_target if m.met),
            "failover": duration(metrics.failover.duration) if metrics.failover and metrics.failover.duration else "—",
            "failback": duration(metrics.failback.duration) if metrics.failback and metrics.failback.duration else "—",
            "findings": len(drill.findings),
            "actions": len(drill.actions),
            "open_actions": sum(1 for a in drill.actions if a.status in OUTSTANDING),
        },
        "objectives": [
            {"text": o.text, "rating": o.rating.label, "notes": render_markdown(o.rating_notes)}
            for o in sorted(drill.objectives, key=lambda o: o.position)
        ],
        "systems": systems,
        "reference_start": _t(metrics.reference_start, zone, "%H:%M"),
        "timeline": [
            {
                "local": f"{_t(s.started_at, zone, '%H:%M')}–{_t(s.ended_at, zone, '%H:%M')}",
                "utc": f"{_utc(s.started_at)}–{_utc(s.ended_at)}",
                "phase": s.phase.label,
                "title": s.title,
                "system": s.system.name if s.system else "—",
                "planned": duration(s.planned_minutes),
                "actual": duration(s.actual_duration),
                "variance": signed_duration(s.variance),
                "outcome": s.outcome.label,
                "notes": render_markdown(s.notes),
            }
            for s in drill.timeline()
        ],
        "swimlane": str(charts.swimlane(drill, axis, now)) if axis else "",
        "availability": str(charts.availability(metrics.systems, axis, now)) if axis else "",
        "findings": [
            {
                "title": f.title,
                "kind": f.kind.label,
                "severity": f.severity.label,
                "detected": _t(f.detected_at, zone),
                "resolved": _t(f.resolved_at, zone),
                "description": render_markdown(f.description),
                "factors": render_markdown(f.contributing_factors),
                "root_cause": render_markdown(f.root_cause),
                "relation": f.related_to_drill.label,
                "rationale": render_markdown(f.relation_rationale),
                "decided_by": f.relation_decided_by.name if f.relation_decided_by else "",
                "controls": sorted(c.code for c in f.controls),
                "systems": sorted(s.name for s in f.systems),
            }
            for f in drill.findings
        ],
        "plan": [_action_row(a, today, zone) for a in sorted(drill.actions, key=lambda a: a.id)],
        "previous": {
            "title": previous.title,
            "date": _t(previous.actual_start or previous.planned_start, zone, "%Y-%m-%d"),
            "actions": [_action_row(a, today, zone) for a in previous_actions],
        }
        if previous
        else None,
        "participants": [
            {
                "team": p.team,
                "organisation": p.organisation,
                "role": p.role or "—",
                "people": p.headcount,
                "location": p.location or "—",
                "standby": "Yes" if p.standby else "No",
            }
            for p in drill.participants
        ],
        "headcount": sum(p.headcount for p in drill.participants if not p.standby),
        "standby": sum(p.headcount for p in drill.participants if p.standby),
        "controls": [{"code": c.code, "title": c.title} for c in sorted(drill.controls, key=lambda c: c.sort_key)],
        "evidence": [_evidence_row(e) for e in drill.evidence],
        "signoff": {
            "signer": signoff.signer.name,
            "title": signoff.signer_title or signoff.signer_role,
            "time": _t(signoff.signed_at, zone),
            "time_utc": signoff.signed_at.strftime("%Y-%m-%d %H:%M UTC"),
            "statement": signoff.statement,
            "content_sha256": signoff.content_sha256,
            "audit_head": signoff.audit_head,
        }
        if signoff
        else None,
        "formulas": [
            FORMULAS[k] for k in ("reference", "achieved", "gap", "mtd", "rpo", "availability", "phase", "variance")
        ],
        "keywords": ", ".join(sorted(c.code for c in drill.controls)),
        "generated": {
            "by": issuer,
            "at": _t(now, zone),
            "at_utc": now.strftime("%Y-%m-%d %H:%M UTC"),
            "zone": zone.key,
            "audit_head": audit.head_hash(session),
        },
        "signed_content_sha256": signoff.content_sha256 if signoff else None,
        "subject": f"drill:{_first_revision_id(session, drill)}",
    }


def _first_revision_id(session: Session, drill: Drill) -> int:
    while drill.previous_revision_id is not None:
        drill = session.get(Drill, drill.previous_revision_id)
    return drill.id


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
    controls = []
    for row in with_records:
        c = loaded[row.control.id]
        evidence = sorted(by_control.get(c.id, {}).values(), key=lambda e: (evidence_date(e), e.id), reverse=True)
        controls.append(
            {
                "code": c.code,
                "title": c.title,
                "implementation": c.implementation.label,
                "state": row.state,
                "newest": row.newest.isoformat() if row.newest else "—",
                "drills": [
                    f"{d.title} ({_t(d.actual_start or d.planned_start, zone, '%Y-%m-%d')}, {d.status.label})"
                    for d in c.drills
                ],
                "findings": [f"{f.title} ({f.kind.label})" for f in c.findings],
                "actions": [f"{a.title} ({a.status.label})" for a in c.actions],
                "evidence": [{**_evidence_row(e), "fresh": is_fresh(e, period)} for e in evidence],
            }
        )
    return {
        "kind": "controls",
        "title": "Control evidence pack",
        "subtitle": f"Audit period {period.start} to {period.end}",
        "organisation": organisation,
        "draft": False,
        "period": {"from": period.start.isoformat(), "to": period.end.isoformat()},
        "soa": [
            {
                "code": r.control.code,
                "title": r.control.title,
                "applicable": "Yes" if r.control.applicable else "No",
                "justification": r.control.justification or "—",
                "implementation": r.control.implementation.label,
                "newest": r.newest.isoformat() if r.newest else "—",
                "state": r.state,
            }
            for r in annex
        ],
        "applicable_count": sum(1 for r in annex if r.control.applicable),
        "controls": controls,
        "gaps": [
            {
                "code": r.control.code,
                "title": r.control.title,
                "state": r.state,
                "newest": r.newest.isoformat() if r.newest else "—",
            }
            for r in applicable
            if r.state != FRESH
        ],
        "keywords": ", ".join(c["code"] for c in controls),
        "generated": {
            "by": issuer,
            "at": _t(now, zone),
            "at_utc": now.strftime("%Y-%m-%d %H:%M UTC"),
            "zone": zone.key,
            "audit_head": audit.head_hash(session),
        },
        "subject": f"controls:{period.start}..{period.end}",
    }


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
        by_owner.setdefault(a.owner.name if a.owner else "Unassigned", []).append(_action_row(a, today, zone))
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
        "generated": {
            "by": issuer,
            "at": _t(now, zone),
            "at_utc": now.strftime("%Y-%m-%d %H:%M UTC"),
            "zone": zone.key,
            "audit_head": audit.head_hash(session),
        },
        "subject": "actions",
    }


def manifest(report: dict, embedded: list[dict]) -> bytes:
    """The JSON manifest attached to a report: what it covers and every evidence file's hash."""
    body = {
        "report": {
            k: report.get(k) for k in ("kind", "title", "subject", "revision", "signed_content_sha256", "period")
        },
        "generated": report["generated"],
        "evidence": embedded,
    }
    return json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False).encode("utf-8")

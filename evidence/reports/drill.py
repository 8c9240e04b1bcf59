"""The after-action report's data: one drill revision with its figures, charts, timeline, findings, actions and evidence."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from evidence.rendering import charts
from evidence.rendering.formatting import duration, signed_duration
from evidence.rendering.markdown import render_markdown
from evidence.reports import aar
from evidence.reports.rows import action_row, evidence_row, generated, local_time, utc_time
from models.actions.queries import list_actions
from models.controls.queries import catalogue_entries
from models.drills.metrics import FORMULAS, drill_metrics, target_results
from models.drills.queries import load_drill, previous_drill
from models.drills.tables import Drill, DrillStatus
from models.findings.tables import Severity
from models.signoff.frozen import frozen_drill, signed_off
from models.signoff.identity import PROVIDER

#: how the executive summary names each kind of target
TARGET_NAMES = {
    "RTO": ("Recovery time objectives met", "missed by"),
    "RPO": ("Recovery point objectives met", "missed by"),
    "MTD": ("Maximum tolerable downtimes respected", "exceeded by"),
}


def _verdict(met: bool | None, missed: str = "Missed") -> str:
    return "—" if met is None else ("Met" if met else missed)


def drill_report(
    session: Session, drill_id: int, now: datetime, zone: ZoneInfo, organisation: str, issuer: str
) -> dict:
    """The after-action report of one drill revision; a signed one is computed from its signed content alone."""
    live = load_drill(session, drill_id)
    signoff = signed_off(live)
    drill = frozen_drill(json.loads(signoff.snapshot), live.id, live) if signoff else live
    today = now.astimezone(zone).date()
    as_of = signoff.signed_at if signoff else now  # a signed drill's figures stand as they were when signed
    metrics = drill_metrics(drill, as_of)
    axis = charts.drill_axis(drill, zone, as_of)
    previous = previous_drill(session, live)
    previous_actions = list_actions(session, drill_id=previous.id) if previous else []
    #: every control the record cites, the drill's own and its findings' and actions': the index lists them all
    cited = sorted(
        {c.code for c in [*drill.controls, *(c for r in [*drill.findings, *drill.actions] for c in r.controls)]}
    )
    systems = []
    for m in metrics.systems:
        systems.append(
            {
                "name": m.system.name,
                "back_at": local_time(m.recovered_at, zone, "%H:%M") if not m.still_down else "still down",
                "achieved": duration(m.achieved),
                "rto": duration(m.rto) if m.rto else "not set",
                "gap": signed_duration(m.gap) if m.gap is not None else "—",
                "rto_met": _verdict(m.rto_met),
                "rpo": duration(m.rpo) if m.rpo else "not set",
                "achieved_rpo": duration(m.achieved_rpo) if m.achieved_rpo is not None else "—",
                "availability": f"{m.availability * 100:.1f} %" if m.availability is not None else "—",
                "degraded": duration(m.degraded) if m.degraded else "",
                "rpo_met": _verdict(m.rpo_met),
                "mtd": duration(m.mtd) if m.mtd else "not set",
                "mtd_met": _verdict(m.mtd_met, "Exceeded"),
                "source": m.source,
            }
        )
    findings = _findings(drill, zone)
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
        "from_to": f"from {drill.primary_site or 'an unnamed site'} to {drill.recovery_site or 'an unnamed site'}",
        "window": f"{local_time(drill.actual_start, zone, '%H:%M')}–{local_time(drill.actual_end, zone, '%H:%M')} ({duration(drill.duration)})"
        if drill.duration
        else "—",
        "scenario": render_markdown(drill.scenario),
        "out_of_scope": render_markdown(drill.out_of_scope),
        "record_notes": render_markdown(drill.record_notes),
        "summary": {
            "systems": len(metrics.systems),
            "recovered": sum(1 for m in metrics.systems if m.recovered_at),
            "targets": [
                {
                    "name": TARGET_NAMES[r.target][0],
                    "missed_word": TARGET_NAMES[r.target][1],
                    "judged": r.judged,
                    "met": r.met,
                    "missed": r.missed,
                }
                for r in target_results(metrics)
                if r.judged
            ],
            "failover": duration(metrics.failover.duration) if metrics.failover and metrics.failover.duration else "—",
            "failback": duration(metrics.failback.duration) if metrics.failback and metrics.failback.duration else "—",
        },
        "overview": aar.overview(drill),
        "claim": aar.claim_check(drill, metrics),
        "statements": aar.statements(drill, metrics),
        "objectives": aar.objectives(drill),
        "conclusion": render_markdown(drill.conclusion),
        "evaluation": {
            "method": render_markdown(drill.evaluation_method),
            "evaluators": drill.evaluators,
            "hotwash": render_markdown(drill.hotwash),
        },
        "year_over_year": aar.year_over_year(session, live, metrics, zone),
        "systems": systems,
        "reference_start": local_time(metrics.reference_start, zone, "%H:%M"),
        "timeline": [
            {
                "local": f"{local_time(s.started_at, zone, '%H:%M')}–{local_time(s.ended_at, zone, '%H:%M')}",
                "utc": f"{utc_time(s.started_at)}–{utc_time(s.ended_at)}",
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
        "swimlane": str(charts.swimlane(drill, axis, as_of)) if axis and drill.steps else "",
        "availability": str(charts.availability(metrics.systems, axis, as_of)) if axis and metrics.systems else "",
        "findings": findings,
        "strengths": [f for f in findings if f["kind_value"] == "strength"],
        "improvements": [f for f in findings if f["kind_value"] != "strength"],
        "columns": _columns(metrics, drill),
        "drill_controls": [
            {"code": c.code, "title": c.title} for c in catalogue_entries(session, [c.code for c in drill.controls])
        ],
        "plan": aar.plan(drill, today, zone),
        "previous": {
            "title": previous.title,
            "date": local_time(previous.actual_start or previous.planned_start, zone, "%Y-%m-%d"),
            "actions": [action_row(a, today, zone, _day(previous, zone)) for a in previous_actions],
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
        "controls": [{"code": c.code, "title": c.title} for c in catalogue_entries(session, cited)],
        "evidence": _evidence(drill, live),
        "signoff": {
            "signer": signoff.signer_name or signoff.signer.name,
            "title": signoff.signer_title or signoff.signer_role,
            "time": local_time(signoff.signed_at, zone),
            "time_utc": signoff.signed_at.strftime("%Y-%m-%d %H:%M UTC"),
            "statement": signoff.statement,
            "override_reason": signoff.override_reason,
            "identity": _identity(signoff, zone),
            "content_sha256": signoff.content_sha256,
            "audit_head": signoff.audit_head,
        }
        if signoff
        else None,
        "formulas": [
            FORMULAS[k] for k in ("reference", "achieved", "gap", "mtd", "rpo", "availability", "phase", "variance")
        ],
        "keywords": ", ".join(sorted(cited)),
        "generated": generated(session, now, zone, issuer),
        "signed_content_sha256": signoff.content_sha256 if signoff else None,
        "subject": f"drill:{_first_revision_id(session, live)}",
    }


def _first_revision_id(session: Session, drill: Drill) -> int:
    while drill.previous_revision_id is not None:
        drill = session.get(Drill, drill.previous_revision_id)
    return drill.id


def _evidence(shown: Drill, live: Drill) -> list[dict]:
    """The evidence rows; a signed drill's come from its signed content, with the stored record's id and
    upload time (a signed drill's evidence is frozen by the database, and ids are not part of what is signed)."""
    if shown is live:
        return [evidence_row(e) for e in live.evidence]
    stored = {e.sha256: e for e in live.evidence}
    rows = []
    for e in shown.evidence:
        record = stored.get(e.sha256)
        if record is not None and e.uploaded_at is None:
            e.uploaded_at = record.uploaded_at
        rows.append({**evidence_row(e), "id": record.id if record else e.sha256[:12]})
    return rows


def _identity(signoff, zone) -> str:
    """How the signer proved who they were when signing, in the report's words."""
    if signoff.identity_check == PROVIDER and signoff.identity_auth_time:
        when = local_time(signoff.identity_auth_time, zone)
        return f"after signing in again at {signoff.identity_issuer} as {signoff.identity_subject} ({when})"
    return "with password re-entered"


def _day(drill: Drill, zone: ZoneInfo):
    start = drill.actual_start or drill.planned_start
    return start.astimezone(zone).date() if start else None


def _findings(drill: Drill, zone: ZoneInfo) -> list[dict]:
    """Every finding in full, the gravest first."""
    rows = [
        {
            "title": f.title,
            "kind": f.kind.label,
            "kind_value": f.kind.value,
            "severity": f.severity.label,
            "rank": -list(Severity).index(f.severity),
            "detected": local_time(f.detected_at, zone),
            "resolved": local_time(f.resolved_at, zone),
            "description": render_markdown(f.description),
            "factors": render_markdown(f.contributing_factors),
            "root_cause": render_markdown(f.root_cause),
            "relation": f.related_to_drill.label,
            "relation_value": f.related_to_drill.value,
            "rationale": render_markdown(f.relation_rationale),
            "decided_by": f.relation_decided_by.name if f.relation_decided_by else "",
            "controls": sorted(c.code for c in f.controls),
            "systems": sorted(s.name for s in f.systems),
        }
        for f in drill.findings
    ]
    return sorted(rows, key=lambda f: (f["rank"], f["title"]))


def _columns(metrics, drill: Drill) -> dict:
    """Which columns hold anything: a column nobody filled in becomes one sentence instead."""
    rto = any(m.rto for m in metrics.systems)
    rpo = any(m.rpo or m.achieved_rpo is not None for m in metrics.systems)
    mtd = any(m.mtd for m in metrics.systems)
    return {
        "rto": rto,
        "rpo": rpo,
        "mtd": mtd,
        "unset": [name for name, shown in (("RTO", rto), ("RPO", rpo), ("MTD", mtd)) if not shown],
        "planned": any(s.planned_minutes for s in drill.steps),
        "degraded": any(m.degraded for m in metrics.systems),
    }

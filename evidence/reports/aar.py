"""What the after-action report says beyond the figures, in the order of HSEEP's AAR/IP: the exercise
overview, the summary's strengths and areas for improvement, the analysis of each objective, the
recovery claim checked per system, the improvement plan and the year-over-year recovery.

Plain values only, from a drill as signed (or as it stands while unsigned): the PDF and the drill
page both show these, so what the report says, the page says.
"""

from datetime import date
from zoneinfo import ZoneInfo

from sqlmodel import Session

from evidence.rendering.formatting import duration
from evidence.rendering.markdown import render_markdown
from evidence.reports.rows import action_row
from models.actions.tables import OUTSTANDING
from models.drills.metrics import DrillMetrics, system_metrics
from models.drills.queries import drills_for_system
from models.drills.tables import Drill
from models.findings.tables import FindingKind

#: how many earlier drills the year-over-year table shows beside this one
EARLIER_DRILLS = 4


def overview(drill: Drill) -> dict:
    """The exercise overview: who commissioned and ran it, who took part, what it exercised."""
    capabilities = sorted({a.capability.label for a in drill.actions if a.capability})
    own = {c.code for c in drill.controls}
    cited = {c.code for r in [*drill.findings, *drill.actions] for c in r.controls} - own
    return {
        "scenarios": [s.label for s in drill.scenario_kinds],
        "plans": drill.plans,
        "also_cited": sorted(cited),
        "sponsor": drill.sponsor,
        "point_of_contact": drill.point_of_contact,
        "organisations": sorted({p.organisation for p in drill.participants if p.organisation}),
        "systems": sorted(s.name for s in drill.systems),
        "capabilities": capabilities,
    }


def counts(drill: Drill) -> dict:
    """What the summary counts, so that each sentence matches the records it speaks of."""
    found = [f for f in drill.findings if f.kind != FindingKind.STRENGTH]
    from_findings = [a for a in drill.actions if a.finding is not None]
    return {
        "strengths": len(drill.findings) - len(found),
        "findings": len(found),
        "incidents": sum(1 for f in found if f.kind == FindingKind.INCIDENT),
        "findings_with_actions": len({a.finding.title for a in from_findings}),
        "actions": len(drill.actions),
        "actions_from_findings": len(from_findings),
        "open_actions": sum(1 for a in drill.actions if a.status in OUTSTANDING),
    }


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _listing(names: list[str]) -> str:
    """ "A", "A or B", "A, B or C"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def statements(drill: Drill, metrics: DrillMetrics) -> dict:
    """The summary's sentences on findings, actions, degraded systems and the write-up's claim: the report
    and the drill page say them alike."""
    c, claim = counts(drill), claim_check(drill, metrics)
    findings = f"{_n(c['findings'], 'finding')} ({_n(c['incidents'], 'incident')})"
    if c["strengths"]:
        findings += f" and {_n(c['strengths'], 'strength')}"
    findings += " were recorded." if c["findings"] + c["strengths"] != 1 else " was recorded."
    if not c["actions"]:
        decided = "No follow-up action was decided."
    elif c["actions_from_findings"] == c["actions"]:
        decided = f"{_n(c['actions'], 'follow-up action')} {'was' if c['actions'] == 1 else 'were'} decided for {_n(c['findings_with_actions'], 'finding')}"
    else:
        decided = (
            f"{_n(c['actions'], 'follow-up action')} were decided, {c['actions_from_findings']} of them for "
            f"{_n(c['findings_with_actions'], 'finding')}"
        )
    if c["actions"]:
        decided += f"; {c['open_actions']} {'is' if c['open_actions'] == 1 else 'are'} still open."
    degraded = [f"{m.system.name} ({duration(m.degraded)})" for m in metrics.systems if m.degraded]
    said = ""
    if claim:
        missed = [r["system"] for r in claim["rows"] if r["verdict"] != "held"]
        said = (
            f"The write-up claims: “{claim['text']}” (within {claim['within']}). "
            f"It held for {claim['held']} of {claim['of']} systems"
            + (f", not for {_listing(missed)}." if missed else ".")
        )
    return {
        "findings": f"{findings} {decided}",
        "degraded": f"Degraded after coming back: {', '.join(degraded)}." if degraded else "",
        "claim": said,
    }


def claim_check(drill: Drill, metrics: DrillMetrics) -> dict | None:
    """The write-up's recovery claim, and for each system in scope whether it held."""
    if not drill.claim or not drill.claim_minutes:
        return None
    rows = []
    for m in metrics.systems:
        if m.achieved is None or m.still_down:
            verdict = "not recovered"
        else:
            verdict = "held" if m.achieved.total_seconds() <= drill.claim_minutes * 60 else "did not hold"
        rows.append({"system": m.system.name, "achieved": duration(m.achieved), "verdict": verdict})
    held = sum(1 for r in rows if r["verdict"] == "held")
    within = f"{drill.claim_minutes} minutes" if drill.claim_minutes < 120 else duration(drill.claim_minutes)
    return {"text": drill.claim, "within": within, "rows": rows, "held": held, "of": len(rows)}


def objectives(drill: Drill) -> list[dict]:
    """Each objective with its rating, what was observed, the analysis and the recommendation."""
    return [
        {
            "text": o.text,
            "rating": o.rating.label,
            "rating_value": o.rating.value,
            "observations": render_markdown(o.rating_notes),
            "analysis": render_markdown(o.analysis),
            "recommendation": render_markdown(o.recommendation),
        }
        for o in sorted(drill.objectives, key=lambda o: o.position)
    ]


def plan(drill: Drill, today: date, zone: ZoneInfo) -> list[dict]:
    """The improvement plan's rows; days open count from the action's start, else from the drill."""
    opened = drill.actual_start.astimezone(zone).date() if drill.actual_start else None
    return [
        action_row(a, today, zone, opened)
        for a in sorted(drill.actions, key=lambda a: (a.finding is None, a.priority.value, a.title))
    ]


def year_over_year(session: Session, live: Drill, metrics: DrillMetrics, zone: ZoneInfo) -> dict | None:
    """Achieved recovery per system in this drill and up to EARLIER_DRILLS earlier ones that had it in scope."""
    when = live.actual_start or live.planned_start
    if when is None or not metrics.systems:
        return None
    columns: dict[int, str] = {}
    cells: dict[tuple[str, int], str] = {}
    for m in metrics.systems:
        cells[(m.system.name, live.id)] = duration(m.achieved)
        for earlier in drills_for_system(session, m.system.id):
            start = earlier.actual_start or earlier.planned_start
            if earlier.id == live.id or start is None or start >= when or earlier.id == live.previous_revision_id:
                continue
            columns[earlier.id] = start.astimezone(zone).strftime("%Y-%m-%d")
            cells[(m.system.name, earlier.id)] = duration(
                system_metrics(earlier, m.system, earlier.actual_end or start).achieved
            )
    earlier_ids = sorted(columns, key=lambda i: columns[i])[-EARLIER_DRILLS:]
    if not earlier_ids:
        return None
    columns[live.id] = when.astimezone(zone).strftime("%Y-%m-%d")
    order = [*earlier_ids, live.id]
    return {
        "dates": [columns[i] for i in order],
        "rows": [
            {"system": m.system.name, "values": [cells.get((m.system.name, i), "—") for i in order]}
            for m in metrics.systems
        ],
    }

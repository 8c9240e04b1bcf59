"""The exercise programme: what was tested when, taken together over time (ISO 22301 8.5; NIS2 2024/2690
4.1.4 and 4.2.6; DORA 11(6) and 12): per system and scenario the last drill and how it fared, when the
next is due, the drills planned, and the gaps of a year said in plain words."""

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Optional
from zoneinfo import ZoneInfo

from sqlmodel import Session

from models.actions.tables import ActionStatus
from models.drills.metrics import SystemMetrics, system_metrics
from models.drills.queries import programme_drills
from models.drills.tables import Drill, DrillStatus, Scenario
from models.frameworks.coverage import requirements
from models.signoff.frozen import SignedContentAltered, frozen_drill, signed_off
from models.systems import System, list_systems

#: a system is failed over at least this often unless its own interval says otherwise
DEFAULT_INTERVAL_MONTHS = 12

#: the scenarios a drill must exercise for a system to count as failed over
FAILOVER = (Scenario.SWITCHOVER, Scenario.SITE_LOSS)


def drill_day(drill: Drill, zone: ZoneInfo) -> Optional[date]:
    """The day a drill ran, or is planned to run, where the organisation is."""
    when = drill.actual_start or drill.planned_start
    return when.astimezone(zone).date() if when else None


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, 28 if month == 2 else 30 if month in (4, 6, 9, 11) else 31))


@dataclass
class SystemRecord:
    """One system in the programme: its last failover drill, how it fared, and when the next is due."""

    system: System
    last: Optional[Drill] = None
    last_day: Optional[date] = None
    metrics: Optional[SystemMetrics] = None
    next_due: Optional[date] = None
    overdue: bool = False
    #: (day, achieved minutes or None) for each drill that ran with it, oldest first
    history: list[tuple[date, Optional[float]]] = field(default_factory=list)

    @property
    def rto_minutes(self) -> Optional[int]:
        """The RTO the last result was judged against: as signed, for a signed drill; else the system's own."""
        return self.metrics.system.rto_minutes if self.metrics else self.system.rto_minutes


@dataclass
class ScenarioRecord:
    """One kind of scenario in the programme: when a drill last exercised it, and how often in the year."""

    scenario: Scenario
    last_day: Optional[date] = None
    last: Optional[Drill] = None
    in_year: int = 0


@dataclass
class Programme:
    year: int
    systems: list[SystemRecord]
    scenarios: list[ScenarioRecord]
    planned: list[tuple[date, Drill]]
    ran_in_year: list[Drill]
    gaps: list[str]


def programme(session: Session, year: int, today: date, zone: ZoneInfo) -> Programme:
    """The programme as it stands on `today`, with the gaps of `year`."""
    drills = programme_drills(session)
    ran = [d for d in drills if d.actual_start is not None]
    records = {system.id: SystemRecord(system) for system in list_systems(session)}
    altered = []
    for drill in ran:  # oldest first: the last one seen is the newest
        day = drill_day(drill, zone)
        fails_over = bool(set(drill.scenario_kinds) & set(FAILOVER)) or not drill.scenario_kinds
        try:
            shown, as_of, pairs = as_signed(drill)
        except SignedContentAltered:
            altered.append(f"The signed content of “{drill.title}” no longer matches its hash; run drillbook verify.")
            continue
        for live_system, system in pairs:
            record = records[live_system.id]
            metrics = system_metrics(shown, system, as_of)
            record.history.append((day, metrics.achieved.total_seconds() / 60 if metrics.achieved else None))
            if fails_over:
                record.last, record.last_day, record.metrics = drill, day, metrics
    for record in records.values():
        if record.last_day:
            interval = record.system.test_interval_months or DEFAULT_INTERVAL_MONTHS
            record.next_due = _add_months(record.last_day, interval)
            record.overdue = record.next_due < today
    records = list(records.values())
    planned = sorted(
        ((drill_day(d, zone), d) for d in drills if d.status == DrillStatus.PLANNED and d.planned_start),
        key=lambda pair: pair[0],
    )
    in_year = [d for d in ran if drill_day(d, zone).year == year]
    scenarios = {s: ScenarioRecord(s) for s in Scenario}
    for drill in ran:
        for s in drill.scenario_kinds:
            scenarios[s].last_day, scenarios[s].last = drill_day(drill, zone), drill
            scenarios[s].in_year += drill in in_year
    catalogue = requirements(session)
    asked = {s: [r.code for r in catalogue if s in r.scenario_kinds] for s in Scenario}
    gaps = altered + _gaps(year, records, in_year, ran, asked)
    return Programme(year, records, list(scenarios.values()), planned, in_year, gaps)


def as_signed(drill: Drill) -> tuple[Drill, datetime, list[tuple[System, System]]]:
    """The drill as its figures stand: a signed one from its signed content at its signing (targets as
    signed, not as edited since), else as recorded; with each system in scope paired to its record.

    Signed systems are known by the name they had when signed: one renamed since is paired with the one
    system of the drill left unpaired, if there is exactly one."""
    signoff = signed_off(drill)
    if signoff is None:
        return drill, drill.actual_end or drill.actual_start, [(s, s) for s in drill.systems]
    shown = frozen_drill(json.loads(signoff.snapshot), drill.id, drill)
    live = {s.name: s for s in drill.systems}
    pairs = [(live.pop(s.name), s) for s in shown.systems if s.name in live]
    unpaired = [s for s in shown.systems if all(s is not signed for _, signed in pairs)]
    if len(unpaired) == 1 and len(live) == 1:
        pairs.append((live.popitem()[1], unpaired[0]))
    return shown, signoff.signed_at, pairs


def _gaps(
    year: int, records: list[SystemRecord], in_year: list[Drill], ran: list[Drill], asked: dict[Scenario, list[str]]
) -> list[str]:
    """What an auditor would ask about for `year`, each in one sentence, citing the requirements that ask for it."""
    exercised = {s for d in in_year for s in d.scenario_kinds}
    gaps = [
        f"No {s.english.lower()} scenario in {year}" + (f" (asked for by {', '.join(asked[s])})." if asked[s] else ".")
        for s in Scenario
        if s not in exercised
    ]
    for r in records:
        if r.last_day is None:
            gaps.append(f"{r.system.name} has never been failed over in a drill.")
        elif r.last_day.year < year:
            gaps.append(f"{r.system.name} not failed over since {r.last_day.isoformat()}.")
    if ran:
        last = ran[-1]
        # every row of an improvement plan is a corrective action in HSEEP's sense, whatever its kind
        open_fixes = [a for a in last.actions if a.status not in (ActionStatus.VERIFIED, ActionStatus.CANCELLED)]
        if open_fixes:
            n = len(open_fixes)
            gaps.append(f"{n} corrective action{'s' if n != 1 else ''} from the last drill not verified.")
    return gaps

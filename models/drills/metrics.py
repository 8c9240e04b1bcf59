"""Recovery figures computed from a drill's outages and steps; nothing here is typed in by hand.

Pure functions of a loaded drill and the current time, so a running drill shows figures
"so far" and a report never contradicts its own timeline.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from models.drills.tables import Drill, Outage, OutageKind, Phase
from models.systems import System

#: phases whose completion brings a system back in the recovery site
RECOVERY_PHASES = (Phase.FAILOVER, Phase.RECONFIGURATION)
ZERO = timedelta(0)

FORMULAS = {
    "reference": "Reference start = the declared disaster time if one is recorded, else the drill's actual start.",
    "achieved": "Achieved recovery time = time the system was back (end of its first outage still running at the reference start; "
    "without outages, end of its last failover or reconfiguration step) − reference start.",
    "gap": "Gap to RTO = achieved recovery time − RTO; met when the gap is zero or less.",
    "mtd": "MTD met when the achieved recovery time is within the maximum tolerable downtime; exceeded otherwise.",
    "rpo": "Achieved RPO = reference start − time of the newest data found in the recovered system; met when within the RPO.",
    "availability": "Availability = 1 − (time down within the exercise window ÷ length of the window); degraded time is shown apart.",
    "phase": "Failover time = first failover or reconfiguration step's start to the moment the last system in scope was back; "
    "failback time = first failback step's start to the last one's end.",
    "variance": "Step variance = actual duration (end − start) − planned duration.",
}


@dataclass(frozen=True)
class SystemMetrics:
    """One system's recovery in one drill."""

    system: System
    outages: list[Outage]
    reference_start: Optional[datetime]
    recovered_at: Optional[datetime]
    #: "outage", "steps", or "" when nothing shows when the system came back
    source: str
    #: recovered_at − reference start; while still down, the time elapsed so far
    achieved: Optional[timedelta]
    still_down: bool
    last_data_at: Optional[datetime]
    downtime: timedelta
    degraded: timedelta
    window: Optional[timedelta]

    @property
    def rto(self) -> Optional[timedelta]:
        return _minutes(self.system.rto_minutes)

    @property
    def rpo(self) -> Optional[timedelta]:
        return _minutes(self.system.rpo_minutes)

    @property
    def mtd(self) -> Optional[timedelta]:
        return _minutes(self.system.mtd_minutes)

    @property
    def gap(self) -> Optional[timedelta]:
        """Achieved minus RTO: positive when the target was missed."""
        if self.achieved is None or self.rto is None:
            return None
        return self.achieved - self.rto

    @property
    def rto_met(self) -> Optional[bool]:
        """Whether the RTO was met; None when unknown or still down within target."""
        return _within(self.achieved, self.rto, self.still_down)

    @property
    def mtd_met(self) -> Optional[bool]:
        """Whether the system was back within its maximum tolerable downtime; judged like the RTO."""
        return _within(self.achieved, self.mtd, self.still_down)

    @property
    def achieved_rpo(self) -> Optional[timedelta]:
        if self.last_data_at is None or self.reference_start is None:
            return None
        return max(self.reference_start - self.last_data_at, ZERO)

    @property
    def rpo_met(self) -> Optional[bool]:
        """Whether no more data was lost than the RPO allows; None without a target or a newest-data time."""
        return _within(self.achieved_rpo, self.rpo, still_running=False)

    @property
    def availability(self) -> Optional[float]:
        """Share of the exercise window the system was not down, 0 to 1."""
        if not self.window:
            return None
        return 1 - self.downtime / self.window


@dataclass(frozen=True)
class Span:
    """When a group of steps began and ended; `end` is None while one is still running."""

    start: datetime
    end: Optional[datetime]

    @property
    def duration(self) -> Optional[timedelta]:
        return None if self.end is None else self.end - self.start


@dataclass(frozen=True)
class DrillMetrics:
    reference_start: Optional[datetime]
    window: Optional[tuple[datetime, datetime]]
    systems: list[SystemMetrics]
    failover: Optional[Span]
    failback: Optional[Span]


@dataclass(frozen=True)
class TargetResult:
    """How the systems in scope fared against one kind of target: "RTO", "RPO" or "MTD"."""

    target: str
    #: systems with this target and a figure to judge it by
    judged: int
    #: names of the systems that missed it
    missed: list[str]

    @property
    def met(self) -> int:
        return self.judged - len(self.missed)


def target_results(metrics: DrillMetrics) -> list[TargetResult]:
    """RTO, RPO and MTD each counted over the drill's systems, the misses named: what a summary states."""
    results = []
    for target, verdict in (("RTO", "rto_met"), ("RPO", "rpo_met"), ("MTD", "mtd_met")):
        verdicts = [(m.system.name, getattr(m, verdict)) for m in metrics.systems]
        judged = [(name, met) for name, met in verdicts if met is not None]
        results.append(TargetResult(target, len(judged), [name for name, met in judged if not met]))
    return results


def _within(achieved: Optional[timedelta], target: Optional[timedelta], still_running: bool) -> Optional[bool]:
    """Achieved within target; None when either is unknown, or while it still runs and has not passed the target."""
    if achieved is None or target is None or (still_running and achieved <= target):
        return None
    return achieved <= target


def _minutes(value: Optional[int]) -> Optional[timedelta]:
    return None if value is None else timedelta(minutes=value)


def reference_start(drill: Drill) -> Optional[datetime]:
    """The declared disaster time, else the actual start."""
    return drill.disaster_declared_at or drill.actual_start


def exercise_window(drill: Drill, now: datetime) -> Optional[tuple[datetime, datetime]]:
    """Actual start to actual end, or to `now` while the drill runs."""
    if drill.actual_start is None:
        return None
    return drill.actual_start, max(drill.actual_end or now, drill.actual_start)


def overlap(start: datetime, end: datetime, lo: datetime, hi: datetime) -> timedelta:
    """Length of [start, end) ∩ [lo, hi)."""
    return max(min(end, hi) - max(start, lo), ZERO)


def phase_span(drill: Drill, phases: tuple[Phase, ...]) -> Optional[Span]:
    """First start to last end of the started steps in `phases`."""
    steps = [s for s in drill.steps if s.phase in phases and s.started_at is not None]
    if not steps:
        return None
    running = any(s.ended_at is None for s in steps)
    return Span(min(s.started_at for s in steps), None if running else max(s.ended_at for s in steps))


def _recovery(
    drill: Drill, system: System, outages: list[Outage], ref: Optional[datetime]
) -> tuple[Optional[datetime], str, bool]:
    """When the system came back, from its outages or else its steps, and whether it is still down."""
    if ref is None:
        return None, "", False
    down = [o for o in outages if o.kind == OutageKind.DOWN and (o.ended_at is None or o.ended_at > ref)]
    if down:
        first = min(down, key=lambda o: o.started_at)
        return first.ended_at, "outage", first.ended_at is None
    ends = [s.ended_at for s in drill.steps if s.system_id == system.id and s.phase in RECOVERY_PHASES and s.ended_at]
    return (max(ends), "steps", False) if ends else (None, "", False)


def system_metrics(drill: Drill, system: System, now: datetime) -> SystemMetrics:
    """Every figure for one system in one drill."""
    ref = reference_start(drill)
    window = exercise_window(drill, now)
    outages = sorted((o for o in drill.outages if o.system_id == system.id), key=lambda o: o.started_at)
    recovered_at, source, still_down = _recovery(drill, system, outages, ref)
    achieved = (now - ref if still_down else recovered_at - ref) if ref and (recovered_at or still_down) else None
    downtime = degraded = ZERO
    if window:
        for o in outages:
            length = overlap(o.started_at, o.ended_at or window[1], *window)
            if o.kind == OutageKind.DOWN:
                downtime += length
            else:
                degraded += length
    last_data = next((link.last_data_at for link in drill.scope if link.system_id == system.id), None)
    return SystemMetrics(
        system=system,
        outages=outages,
        reference_start=ref,
        recovered_at=recovered_at,
        source=source,
        achieved=achieved,
        still_down=still_down,
        last_data_at=last_data,
        downtime=downtime,
        degraded=degraded,
        window=(window[1] - window[0]) if window else None,
    )


def failover_span(drill: Drill, systems: list[SystemMetrics]) -> Optional[Span]:
    """From the first failover step (else the reference start) until the last system in scope was back.

    The steps alone would end the failover at the last reconfiguration, while a system may come
    back only after its own checks; while any system in scope is still down, failover is running.
    """
    steps = phase_span(drill, RECOVERY_PHASES)
    start = steps.start if steps else reference_start(drill)
    backs = [m.recovered_at for m in systems if m.recovered_at]
    if start is None or not (backs or steps):
        return None
    if any(m.still_down for m in systems):
        return Span(start, None)
    return Span(start, max(backs)) if backs else steps


def drill_metrics(drill: Drill, now: datetime) -> DrillMetrics:
    """Every figure for a drill: per system, and the failover and failback spans."""
    systems = [system_metrics(drill, s, now) for s in sorted(drill.systems, key=lambda s: s.name)]
    return DrillMetrics(
        reference_start=reference_start(drill),
        window=exercise_window(drill, now),
        systems=systems,
        failover=failover_span(drill, systems),
        failback=phase_span(drill, (Phase.FAILBACK,)),
    )

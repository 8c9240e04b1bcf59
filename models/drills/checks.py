"""Consistency checks on a drill record, said in plain words so a report never hides a contradiction."""

from datetime import timedelta
from itertools import combinations

from models.drills.tables import Drill

#: how long before the actual start a disaster may be declared: an exercise's scenario starts the same day
DECLARED_BEFORE_START = timedelta(days=1)


def consistency_problems(drill: Drill) -> list[str]:
    """Everything about the record that does not add up, empty when all is well."""
    problems: list[str] = []
    start, end = drill.actual_start, drill.actual_end
    if start and end and end < start:
        problems.append("The drill ends before it starts.")
    if drill.planned_start and drill.planned_end and drill.planned_end < drill.planned_start:
        problems.append("The planned end is before the planned start.")
    declared = drill.disaster_declared_at
    if declared and start and not start - DECLARED_BEFORE_START <= declared:
        problems.append("The disaster is declared more than a day before the drill's actual start.")
    if declared and end and declared > end:
        problems.append("The disaster is declared after the drill's actual end.")
    if declared and not start and drill.planned_start and abs(drill.planned_start - declared) > DECLARED_BEFORE_START:
        problems.append("The disaster is declared more than a day away from the drill's planned start.")
    for step in sorted(drill.steps, key=lambda s: s.position):
        if step.started_at and step.ended_at and step.ended_at < step.started_at:
            problems.append(f"Step “{step.title}” ends before it starts.")
        if start and step.started_at and step.started_at < start:
            problems.append(f"Step “{step.title}” starts before the drill's actual start.")
        if end and step.ended_at and step.ended_at > end:
            problems.append(f"Step “{step.title}” ends after the drill's actual end.")
        if end and step.started_at and step.ended_at is None:
            problems.append(f"Step “{step.title}” is still open although the drill has ended.")
    for outage in drill.outages:
        if end and outage.ended_at is None:
            problems.append(
                f"{outage.system.name} is still marked {outage.kind.english.lower()} although the drill has ended."
            )
    by_system: dict[int, list] = {}
    for outage in drill.outages:
        by_system.setdefault(outage.system_id, []).append(outage)
    for outages in by_system.values():
        for a, b in combinations(sorted(outages, key=lambda o: o.started_at), 2):
            if a.ended_at is None or b.started_at < a.ended_at:
                problems.append(f"Two outages of {a.system.name} overlap.")
                break
    return problems

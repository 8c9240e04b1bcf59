"""The readiness checklist: what a drill record must hold before an approver signs it as evidence.

An empty record (no systems, steps, objectives or evidence) or a contradictory one could be submitted
and signed with one click each, and then counted as evidence for A.5.30. The checklist is computed
from the record alone, shown to whoever submits and to the approver, and signing is refused while an
item is open unless the approver writes why they sign anyway; that reason is kept with the sign-off.
"""

from dataclasses import dataclass, field
from datetime import datetime

from models.actions.tables import ActionStatus
from models.drills.checks import consistency_problems
from models.drills.metrics import DrillMetrics, drill_metrics
from models.drills.tables import Drill, ObjectiveRating
from models.findings.tables import DrillRelation

#: actions that no longer need an owner or a due date to be followed up
SETTLED = (ActionStatus.CANCELLED, ActionStatus.VERIFIED)


@dataclass(frozen=True)
class ReadinessItem:
    """One line of the checklist: what must hold, and what is still open (empty when it holds)."""

    label: str
    open: list[str] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return not self.open


def readiness(
    drill: Drill, evidence_count: int, now: datetime, metrics: DrillMetrics | None = None
) -> list[ReadinessItem]:
    """The checklist for `drill` with its findings, actions, systems and timing loaded; `metrics`, when the
    caller has them for this drill and moment already."""
    metrics = metrics or drill_metrics(drill, now)
    objectives = sorted(drill.objectives, key=lambda o: o.position)
    findings = sorted(drill.findings, key=lambda f: f.id or 0)
    actions = [a for a in sorted(drill.actions, key=lambda a: a.id or 0) if a.status not in SETTLED]
    return [
        ReadinessItem("Consistency checks: the record adds up", consistency_problems(drill)),
        ReadinessItem(
            "Systems in scope and a timeline of steps",
            (["No system is in scope."] if not drill.systems else [])
            + (["No step is recorded."] if not drill.steps else []),
        ),
        ReadinessItem(
            "Objectives recorded and rated",
            (["No objective is recorded."] if not objectives else [])
            + [f"Objective “{o.text}” is not rated." for o in objectives if o.rating == ObjectiveRating.NOT_RATED],
        ),
        ReadinessItem(
            "Each system has an RTO and an achieved recovery time",
            [f"{m.system.name} has no RTO." for m in metrics.systems if m.rto is None]
            + [f"{m.system.name} has no time it was back." for m in metrics.systems if m.recovered_at is None],
        ),
        ReadinessItem(
            "RPO and MTD evaluated for each system",
            [f"{m.system.name} has no RPO." for m in metrics.systems if m.rpo is None]
            + [
                f"{m.system.name} has no time of its newest recovered data."
                for m in metrics.systems
                if m.last_data_at is None
            ]
            + [f"{m.system.name} has no MTD." for m in metrics.systems if m.mtd is None],
        ),
        ReadinessItem(
            "Each finding decided as related to the drill or not, with a rationale",
            [
                f"Finding “{f.title}”: "
                + ("not decided." if f.related_to_drill == DrillRelation.UNDETERMINED else "no rationale.")
                for f in findings
                if f.related_to_drill == DrillRelation.UNDETERMINED or not f.relation_rationale.strip()
            ],
        ),
        ReadinessItem(
            "Each open action has an owner and a due date",
            [f"Action “{a.title}” has no owner." for a in actions if a.owner_id is None]
            + [f"Action “{a.title}” has no due date." for a in actions if a.due_date is None],
        ),
        ReadinessItem("Evidence attached", [] if evidence_count else ["No evidence is attached to the drill."]),
    ]


def open_items(checklist: list[ReadinessItem]) -> list[ReadinessItem]:
    """The items still open."""
    return [item for item in checklist if not item.done]

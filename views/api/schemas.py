"""Records as the API shows them: one model per shape, from which both the JSON and its OpenAPI schema come.

Each public model inherits its entity's base model where there is one (SystemPublic from
SystemBase, and so on), so a field's type and limits are stated once for the table, the input
and the output. Relationships appear as sorted ids (`system_ids`) or control codes (`controls`).
"""

from datetime import date
from typing import Optional

from pydantic import ConfigDict
from sqlmodel import SQLModel

from models.actions.tables import ActionBase, ActionStatus, Verification
from models.controls.tables import ControlKind, Implementation, Theme
from models.core.inputs import Moment
from models.drills.tables import DrillBase, DrillKind, DrillStatus, OutageBase, StepBase
from models.evidence import EvidenceBase
from models.findings.tables import FindingBase
from models.systems import SystemBase

ACTION_STATUSES = [s.value for s in ActionStatus]


class Public(SQLModel):
    """An answer of the API: every field always present, nothing else."""

    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)

    @classmethod
    def of(cls, record, **values) -> dict:
        """`record` as this model shows it, in JSON types; `values` give what the record has under another shape."""
        return cls.shown(record, **values).model_dump(mode="json")

    @classmethod
    def shown(cls, record, **values) -> "Public":
        """This model filled from `record`'s attributes of the same names, unvalidated: it shows what is stored."""
        fields = {name: getattr(record, name) for name in cls.model_fields if name not in values}
        return cls.model_construct(**fields, **values)


def ids(items) -> list[int]:
    """The ids of related records, in order."""
    return sorted(item.id for item in items)


def codes(controls) -> list[str]:
    """The codes of linked controls."""
    return [control.code for control in controls]


class SystemPublic(SystemBase, Public):
    id: int


class StepPublic(StepBase, Public):
    id: int
    drill_id: int


class StampedStep(StepPublic):
    """A step after a tap on start or finish, and whether the tap changed anything."""

    changed: bool


class OutagePublic(OutageBase, Public):
    id: int
    drill_id: int


class DrillSummary(Public):
    """A drill as a list shows it."""

    id: int
    title: str
    kind: DrillKind
    status: DrillStatus
    revision: int
    planned_start: Optional[Moment]
    actual_start: Optional[Moment]
    actual_end: Optional[Moment]


class DrillPublic(DrillBase, Public):
    """A drill with its scope, links, steps in order and outages: what a probe or script needs to act on it."""

    id: int
    status: DrillStatus
    revision: int
    system_ids: list[int]
    controls: list[str]
    finding_ids: list[int]
    action_ids: list[int]
    steps: list[StepPublic]
    outages: list[OutagePublic]


class FindingPublic(FindingBase, Public):
    id: int
    drill_id: Optional[int]
    system_ids: list[int]
    controls: list[str]
    action_ids: list[int]


class ActionPublic(ActionBase, Public):
    id: int
    status: ActionStatus
    completed_at: Optional[Moment]
    completion_note: str
    verified_at: Optional[Moment]
    verification_result: Optional[Verification]
    controls: list[str]


class ControlPublic(Public):
    id: int
    code: str
    kind: ControlKind
    title: str
    theme: Optional[Theme]
    applicable: bool
    justification: str
    implementation: Implementation


class EvidencePublic(EvidenceBase, Public):
    id: int
    sha256: str
    original_name: str
    size: int
    media_type: str
    supersedes_id: Optional[int]
    uploaded_at: Moment
    collected_on: Optional[date]
    controls: list[str]


#: component name in the OpenAPI document -> the model that shows it
SHAPES = {
    model.__name__: model
    for model in (
        SystemPublic,
        StepPublic,
        StampedStep,
        OutagePublic,
        DrillSummary,
        DrillPublic,
        FindingPublic,
        ActionPublic,
        ControlPublic,
        EvidencePublic,
    )
}


def system(record) -> dict:
    return SystemPublic.of(record)


def step(record, changed: bool) -> dict:
    return StampedStep.of(record, changed=changed)


def outage(record) -> dict:
    return OutagePublic.of(record)


def drill_summary(record) -> dict:
    return DrillSummary.of(record)


def drill_detail(record) -> dict:
    return DrillPublic.of(
        record,
        system_ids=ids(record.systems),
        controls=codes(record.controls),
        finding_ids=ids(record.findings),
        action_ids=ids(record.actions),
        steps=[StepPublic.shown(s) for s in sorted(record.steps, key=lambda s: (s.position, s.id))],
        outages=[OutagePublic.shown(o) for o in sorted(record.outages, key=lambda o: (o.started_at, o.id))],
    )


def finding(record) -> dict:
    return FindingPublic.of(
        record, system_ids=ids(record.systems), controls=codes(record.controls), action_ids=ids(record.actions)
    )


def action(record) -> dict:
    return ActionPublic.of(record, controls=codes(record.controls))


def control(record) -> dict:
    return ControlPublic.of(record)


def evidence(record) -> dict:
    return EvidencePublic.of(record, controls=codes(record.controls))

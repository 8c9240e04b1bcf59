"""Planning and recording a drill: creating and changing drills and their parts (steps, outages, objectives, participants).

Every function validates, applies, audits and flushes; the caller commits once. A save
based on an older version of a record raises StaleEdit with what differs, and a signed
drill refuses every change.
"""

from datetime import timedelta
from typing import Optional
from zoneinfo import ZoneInfo

from sqlmodel import Session, SQLModel

from models import audit
from models.audit import snapshot
from models.controls.queries import resolve_controls
from models.core.changes import apply_changes, check_version, create_record, submitted, validate
from models.core.errors import RecordError
from models.core.types import utcnow
from models.drills.inputs import DrillIn, ObjectiveIn, OutageIn, ParticipantIn, RecoveryDataIn, StepIn
from models.drills.metrics import reference_start
from models.drills.tables import Drill, Objective, Outage, Participant, Step
from models.people.users import User
from models.permissions import ensure_editable
from models.systems import DrillSystem, System, load_systems

#: each kind of record a drill is made of, with the input model that validates it
PART_INPUTS: dict[type[SQLModel], type[SQLModel]] = {
    Objective: ObjectiveIn,
    Participant: ParticipantIn,
    Step: StepIn,
    Outage: OutageIn,
}


def save_drill(
    session: Session,
    data: dict,
    actor: User,
    drill: Optional[Drill] = None,
    expected: Optional[int] = None,
    system_ids: Optional[list[int]] = None,
    control_codes: Optional[str] = None,
) -> Drill:
    """Create a drill, or change one that is not signed; scope and controls are replaced when given."""
    values = submitted(DrillIn, data, drill)
    _not_in_the_future(values)
    systems = load_systems(session, system_ids) if system_ids is not None else None
    controls = resolve_controls(session, control_codes) if control_codes is not None else None
    if drill is None:
        drill = create_record(session, Drill(**values), actor)
    else:
        ensure_editable(drill)
        apply_changes(session, drill, values, expected, actor)
    if systems is not None:
        drill.systems = systems
    if controls is not None:
        drill.controls = controls
    session.flush()
    return drill


#: how far ahead of this server's clock an actual time may be: another device's clock may run a little fast
CLOCK_SKEW = timedelta(minutes=5)


def _not_in_the_future(values: dict) -> None:
    """An actual start or end is something that happened; only planned times lie ahead."""
    latest = utcnow() + CLOCK_SKEW
    errors = {
        name: f"The {label} cannot be in the future."
        for name, label in (("actual_start", "actual start"), ("actual_end", "actual end"))
        if values.get(name) and values[name] > latest
    }
    if errors:
        raise RecordError(errors)


def save_part(
    session: Session,
    drill: Drill,
    kind: type[SQLModel],
    data: dict,
    actor: User,
    record: Optional[SQLModel] = None,
    expected: Optional[int] = None,
) -> SQLModel:
    """Create or change an objective, participant, step or outage of `drill`."""
    ensure_editable(drill)
    values = submitted(PART_INPUTS[kind], data, record)
    if "system_id" in values and values["system_id"] is not None and session.get(System, values["system_id"]) is None:
        raise RecordError({"system_id": "That system does not exist."})
    if kind is Outage:
        check_no_overlap(drill, values, record)
    if record is None:
        return create_record(session, kind(drill=drill, **values), actor)
    apply_changes(session, record, values, expected, actor)
    return record


def delete_part(session: Session, drill: Drill, record: SQLModel, actor: User, expected: Optional[int] = None) -> None:
    """Remove an objective, participant, step or outage from a drill that is not signed."""
    ensure_editable(drill)
    check_version(record, expected, {})
    audit.record_change(session, actor, "delete", record, before=snapshot(record))
    session.delete(record)
    session.flush()


def check_no_overlap(drill: Drill, values: dict, record: Optional[Outage]) -> None:
    """One system cannot be out twice at the same time within a drill."""
    start, end = values["started_at"], values["ended_at"]
    for other in drill.outages:
        if other is record or other.system_id != values["system_id"]:
            continue
        if (other.ended_at is None or start < other.ended_at) and (end is None or other.started_at < end):
            raise RecordError({"started_at": "This overlaps another outage of the same system in this drill."})


def set_last_data(
    session: Session, drill: Drill, system_id: int, data: dict, actor: User, zone: ZoneInfo = ZoneInfo("UTC")
) -> DrillSystem:
    """Record the newest data found in a recovered system, from which the achieved RPO follows.

    Data newer than the reference start cannot have been lost by the disaster: such a time is refused,
    the message giving the reference start in `zone`.
    """
    ensure_editable(drill)
    link = session.get(DrillSystem, (drill.id, system_id))
    if link is None:
        raise RecordError({"system_id": "That system is not in this drill's scope."})
    newest, reference = validate(RecoveryDataIn, data).last_data_at, reference_start(drill)
    if newest and reference and newest > reference:
        raise RecordError(
            {
                "last_data_at": "The newest recovered data cannot be after the reference start "
                f"({reference.astimezone(zone):%-d %b %Y %H:%M}), when the disaster struck."
            }
        )
    before = {"last_data_at": link.last_data_at}
    link.last_data_at = newest
    session.flush()
    audit.record(
        session,
        "update",
        actor=actor.email,
        actor_id=actor.id,
        entity_type="drill_system",
        entity_id=f"{drill.id}:{system_id}",
        before=before,
        after={"last_data_at": link.last_data_at},
    )
    return link

"""Recording a drill: creating and changing drills, systems and what a drill is made of.

Every function validates, applies, audits and flushes; the caller commits once. A save
based on an older version of a record raises StaleEdit with what differs, and a signed
drill refuses every change.
"""

from typing import Any, Optional

from pydantic import ValidationError
from sqlmodel import Session, SQLModel, col, select

from models import audit
from models.controls import Control
from models.drills import Drill, DrillStatus, Objective, Outage, Participant, Step
from models.inputs import DrillIn, ObjectiveIn, OutageIn, ParticipantIn, RecoveryDataIn, StepIn, SystemIn
from models.links import DrillSystem
from models.systems import System
from models.users import User

#: each kind of record a drill is made of, with the input model that validates it
CHILD_INPUTS: dict[type[SQLModel], type[SQLModel]] = {
    Objective: ObjectiveIn,
    Participant: ParticipantIn,
    Step: StepIn,
    Outage: OutageIn,
}

_MESSAGES = {
    "missing": "This field is required.",
    "int_parsing": "Enter a whole number.",
    "int_from_float": "Enter a whole number.",
    "datetime_parsing": "Enter a date and time.",
    "datetime_from_date_parsing": "Enter a date and time.",
    "bool_parsing": "Enter yes or no.",
    "date_parsing": "Enter a valid date as YYYY-MM-DD.",
    "date_from_datetime_parsing": "Enter a valid date as YYYY-MM-DD.",
    "timezone_aware": "Give the time with its UTC offset, e.g. 2026-06-13T05:00:00+02:00.",
}


class RecordError(ValueError):
    """Input that breaks a rule; `errors` maps each field name ("" for the whole record) to a message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" if k else v for k, v in errors.items()))
        self.errors = errors


class NotAllowed(Exception):
    """The person may not do this to this record, whatever they submit (answered with 403)."""


class StaleEdit(Exception):
    """The record changed since the edit began; `changes` lists (field, saved value, submitted value)."""

    def __init__(self, changes: list[tuple[str, Any, Any]]):
        super().__init__("the record was changed by someone else")
        self.changes = changes


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Pydantic's errors as one plain message per field."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        message = error["msg"].removeprefix("Value error, ")
        if not field and ": " in message:
            field, message = message.split(": ", 1)
        ctx = error.get("ctx") or {}
        if error["type"] == "string_too_short" and ctx.get("min_length") == 1:
            message = "This field is required."
        elif error["type"] == "string_too_long":
            message = f"At most {ctx.get('max_length')} characters."
        elif error["type"] == "greater_than_equal":
            message = f"Must be at least {ctx.get('ge')}."
        elif error["type"] == "less_than_equal":
            message = f"Must be at most {ctx.get('le')}."
        elif error["type"] == "enum":
            message = f"Choose one of {ctx.get('expected')}."
        elif error["type"] in _MESSAGES:
            message = _MESSAGES[error["type"]]
        errors.setdefault(field, message[:1].upper() + message[1:])
    return errors


def validate(schema: type[SQLModel], data: dict) -> SQLModel:
    """`data` checked against `schema`, or RecordError naming each bad field."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise RecordError(field_errors(exc))


def snapshot(record: SQLModel) -> dict:
    """The record's column values, for the audit trail and for stale-edit comparisons."""
    return {column.key: getattr(record, column.key) for column in record.__table__.columns}


def require_editable(drill: Drill) -> None:
    """A signed drill is frozen: no change of any kind."""
    if drill.status == DrillStatus.SIGNED:
        raise RecordError({"": "This drill is signed and can no longer be changed."})


def check_version(record: SQLModel, expected: Optional[int], data: dict) -> None:
    if expected is not None and record.version != expected:
        changes = [(name, getattr(record, name), value) for name, value in data.items() if getattr(record, name) != value]
        raise StaleEdit(changes)


def apply_changes(session: Session, record: SQLModel, data: dict, expected: Optional[int], actor: User) -> None:
    """Update `record` in place after the version check, and audit before and after."""
    check_version(record, expected, data)
    before = snapshot(record)
    for name, value in data.items():
        setattr(record, name, value)
    session.flush()
    audit.record(session, "update", actor=actor.email, actor_id=actor.id, entity_type=record.__tablename__,
                 entity_id=record.id, before=before, after=snapshot(record))


def create_record(session: Session, record: SQLModel, actor: User) -> SQLModel:
    session.add(record)
    session.flush()
    audit.record(session, "create", actor=actor.email, actor_id=actor.id, entity_type=record.__tablename__,
                 entity_id=record.id, after=snapshot(record))
    return record


def resolve_controls(session: Session, codes: str) -> list[Control]:
    """Controls named in free text ("A.5.29, A.5.30 10.2"); RecordError names any unknown code."""
    wanted = [code.strip() for code in codes.replace(",", " ").split() if code.strip()]
    found = {c.code: c for c in session.exec(select(Control).where(col(Control.code).in_(wanted))).all()} if wanted else {}
    unknown = [code for code in wanted if code not in found]
    if unknown:
        raise RecordError({"controls": f"Unknown control code: {', '.join(unknown)}."})
    return [found[code] for code in dict.fromkeys(wanted)]


def load_systems(session: Session, ids: list[int]) -> list[System]:
    systems = session.exec(select(System).where(col(System.id).in_(ids))).all() if ids else []
    if len(systems) != len(set(ids)):
        raise RecordError({"system_ids": "One of the chosen systems does not exist."})
    return list(systems)


def save_drill(session: Session, data: dict, actor: User, drill: Optional[Drill] = None, expected: Optional[int] = None,
               system_ids: Optional[list[int]] = None, control_codes: Optional[str] = None) -> Drill:
    """Create a drill, or change one that is not signed; scope and controls are replaced when given."""
    values = validate(DrillIn, data).model_dump()
    systems = load_systems(session, system_ids) if system_ids is not None else None
    controls = resolve_controls(session, control_codes) if control_codes is not None else None
    if drill is None:
        drill = create_record(session, Drill(**values), actor)
    else:
        require_editable(drill)
        apply_changes(session, drill, values, expected, actor)
    if systems is not None:
        drill.systems = systems
    if controls is not None:
        drill.controls = controls
    session.flush()
    return drill


def save_system(session: Session, data: dict, actor: User, system: Optional[System] = None, expected: Optional[int] = None) -> System:
    """Create or change a system; names are unique."""
    values = validate(SystemIn, data).model_dump()
    clash = session.exec(select(System).where(System.name == values["name"])).first()
    if clash is not None and clash is not system:
        raise RecordError({"name": f"A system named {values['name']} exists already."})
    if system is None:
        return create_record(session, System(**values), actor)
    apply_changes(session, system, values, expected, actor)
    return system


def save_child(session: Session, drill: Drill, kind: type[SQLModel], data: dict, actor: User,
               record: Optional[SQLModel] = None, expected: Optional[int] = None) -> SQLModel:
    """Create or change an objective, participant, step or outage of `drill`."""
    require_editable(drill)
    values = validate(CHILD_INPUTS[kind], data).model_dump()
    if "system_id" in values and values["system_id"] is not None and session.get(System, values["system_id"]) is None:
        raise RecordError({"system_id": "That system does not exist."})
    if kind is Outage:
        _check_no_overlap(drill, values, record)
    if record is None:
        return create_record(session, kind(drill=drill, **values), actor)
    apply_changes(session, record, values, expected, actor)
    return record


def delete_child(session: Session, drill: Drill, record: SQLModel, actor: User, expected: Optional[int] = None) -> None:
    """Remove an objective, participant, step or outage from a drill that is not signed."""
    require_editable(drill)
    check_version(record, expected, {})
    audit.record(session, "delete", actor=actor.email, actor_id=actor.id, entity_type=record.__tablename__,
                 entity_id=record.id, before=snapshot(record))
    session.delete(record)
    session.flush()


def _check_no_overlap(drill: Drill, values: dict, record: Optional[Outage]) -> None:
    """One system cannot be out twice at the same time within a drill."""
    start, end = values["started_at"], values["ended_at"]
    for other in drill.outages:
        if other is record or other.system_id != values["system_id"]:
            continue
        if (other.ended_at is None or start < other.ended_at) and (end is None or other.started_at < end):
            raise RecordError({"started_at": "This overlaps another outage of the same system in this drill."})


def set_last_data(session: Session, drill: Drill, system_id: int, data: dict, actor: User) -> DrillSystem:
    """Record the newest data found in a recovered system, from which the achieved RPO follows."""
    require_editable(drill)
    link = session.get(DrillSystem, (drill.id, system_id))
    if link is None:
        raise RecordError({"system_id": "That system is not in this drill's scope."})
    before = {"last_data_at": link.last_data_at}
    link.last_data_at = validate(RecoveryDataIn, data).last_data_at
    session.flush()
    audit.record(session, "update", actor=actor.email, actor_id=actor.id, entity_type="drill_system",
                 entity_id=f"{drill.id}:{system_id}", before=before, after={"last_data_at": link.last_data_at})
    return link

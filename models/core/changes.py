"""Validate, apply, audit and flush: the steps every domain save goes through; the caller commits once."""

from typing import Annotated, Optional, Protocol

from pydantic import TypeAdapter, ValidationError
from sqlmodel import Session, SQLModel

from models import audit
from models.audit import snapshot
from models.core.errors import RecordError, StaleEdit, field_errors


class Actor(Protocol):
    """Whoever makes a change: the audit trail names them by e-mail and id."""

    id: Optional[int]
    email: str


def validate(schema: type[SQLModel], data: dict) -> SQLModel:
    """`data` checked against `schema`, or RecordError naming each bad field and each pair out of order.

    The schema's ORDERS are checked over every field that is valid on its own, whatever else is
    wrong, so one answer lists every problem.
    """
    try:
        checked, errors = schema.model_validate(data), {}
    except ValidationError as exc:
        checked, errors = None, field_errors(exc)
    for order in getattr(schema, "ORDERS", ()):
        if order.first in errors or order.then in errors:
            continue
        first, then = (_field_value(schema, checked, data, name) for name in (order.first, order.then))
        if problem := order.problem(first, then):
            errors[order.then] = problem
    if errors:
        raise RecordError(errors)
    return checked


def _field_value(schema: type[SQLModel], checked: SQLModel | None, data: dict, name: str):
    """One field's value: from the validated input, or validated alone when another field failed."""
    if checked is not None:
        return getattr(checked, name)
    info = schema.model_fields[name]
    if name not in data:
        return info.get_default(call_default_factory=True)
    try:
        return TypeAdapter(
            Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
        ).validate_python(data[name])
    except ValidationError:
        return None


def check_version(record: SQLModel, expected: Optional[int], data: dict) -> None:
    if expected is not None and record.version != expected:
        changes = [
            (name, getattr(record, name), value) for name, value in data.items() if getattr(record, name) != value
        ]
        raise StaleEdit(changes)


def submitted(schema: type[SQLModel], data: dict, record: Optional[SQLModel] = None) -> dict:
    """`data` checked against `schema`, as the values to store; a field not sent keeps `record`'s value.

    So a form or API call that leaves a field out (an older client, a form without the newest
    fields) never blanks what was recorded there.
    """
    checked = validate(schema, data)
    if record is None:
        return checked.model_dump()
    kept = {name: getattr(record, name) for name in schema.model_fields if hasattr(record, name)}
    return {**kept, **checked.model_dump(exclude_unset=True)}


def apply_changes(session: Session, record: SQLModel, data: dict, expected: Optional[int], actor: Actor) -> None:
    """Update `record` in place after the version check, and audit before and after."""
    check_version(record, expected, data)
    before = snapshot(record)
    for name, value in data.items():
        setattr(record, name, value)
    session.flush()
    audit.record_change(session, actor, "update", record, before=before, after=snapshot(record))


def create_record(session: Session, record: SQLModel, actor: Actor) -> SQLModel:
    session.add(record)
    session.flush()
    audit.record_change(session, actor, "create", record, after=snapshot(record))
    return record

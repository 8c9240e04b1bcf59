"""Validate, apply, audit and flush: the steps every domain save goes through; the caller commits once."""

from typing import Optional, Protocol

from pydantic import ValidationError
from sqlmodel import Session, SQLModel

from models import audit
from models.audit import snapshot
from models.core.errors import RecordError, StaleEdit, field_errors


class Actor(Protocol):
    """Whoever makes a change: the audit trail names them by e-mail and id."""

    id: Optional[int]
    email: str


def validate(schema: type[SQLModel], data: dict) -> SQLModel:
    """`data` checked against `schema`, or RecordError naming each bad field."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise RecordError(field_errors(exc)) from None


def check_version(record: SQLModel, expected: Optional[int], data: dict) -> None:
    if expected is not None and record.version != expected:
        changes = [
            (name, getattr(record, name), value) for name, value in data.items() if getattr(record, name) != value
        ]
        raise StaleEdit(changes)


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

"""Turning HTML form fields into the plain values the input models validate, and back."""

import re
import types
import typing
from datetime import datetime
from enum import Enum

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from pydantic import AwareDatetime
from sqlmodel import SQLModel
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from evidence.rendering.formatting import org_zone
from models.core.times import LocalTimeError, input_value, parse_local
from models.core.types import MAX_ID


class RecordIdConverter(IntegerConverter):
    """`<id:...>` in every URL that names a record: only ids the database can hold match, anything else is a plain 404."""

    def __init__(self, url_map, *args, **kwargs):
        super().__init__(url_map, *args, **{"min": 1, "max": MAX_ID, **kwargs})


def _whole_number(raw) -> int | None:
    """Plain ASCII digits, at most 19 of them; not "²", not 4,000 zeros (which int() refuses to read)."""
    text = str(raw or "")
    return int(text) if re.fullmatch(r"[0-9]{1,19}", text) else None


def record_id(raw) -> int | None:
    """An id from a query string or form field, or None when it is not one the database can hold."""
    number = _whole_number(raw)
    return number if number is not None and 1 <= number <= MAX_ID else None


def record_ids(raws) -> list[int]:
    """The valid ids among several form values (checkboxes); the rest are dropped."""
    return [i for i in (record_id(r) for r in raws) if i is not None]


def chosen_ids(raws) -> list[int]:
    """Ids ticked in a form's checkboxes; a value that is no id at all becomes 0, which matches no record,
    so it is reported as a choice that does not exist instead of vanishing from what was saved."""
    return [record_id(r) or 0 for r in raws]


def _base(annotation):
    """The type inside Optional[...] and Annotated[...]."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def parse_form(schema: type[SQLModel], form: MultiDict, record: SQLModel | None = None) -> tuple[dict, dict[str, str]]:
    """Form fields for `schema` as values (local times made UTC, empty optionals None), and errors so far.

    A time input shows minutes; a time sent back as the form showed it for `record` keeps the record's
    own value, seconds and all, so saving a form never moves a time the cockpit stamped.
    """
    zone = org_zone()
    data: dict = {}
    errors: dict[str, str] = {}
    for name, info in schema.model_fields.items():
        base = _base(info.annotation)
        if base is bool:
            data[name] = form.get(name) in ("on", "true", "1", "yes")
            continue
        if name not in form:
            continue
        raw = form.get(name, "")
        if raw.strip() == "" and not info.is_required() and base is not str:
            data[name] = None
        elif base in (datetime, AwareDatetime):
            shown = getattr(record, name, None) if record is not None else None
            if shown is not None and raw == input_value(shown, zone):
                data[name] = shown
                continue
            try:
                data[name] = parse_local(raw, zone)
            except LocalTimeError as exc:
                errors[name] = str(exc)
                data[name] = None
        else:
            data[name] = raw
    _same_minute(schema, data, record, form)
    return data, errors


def _same_minute(schema: type[SQLModel], data: dict, record: SQLModel | None, form: MultiDict) -> None:
    """An end typed in the same minute as a start kept to the second (10:00 after a stamped 10:00:40) means
    that minute, not a time before the start: it is taken as the start itself."""
    zone = org_zone()
    for order in getattr(schema, "ORDERS", ()):
        first, then = data.get(order.first), data.get(order.then)
        kept = record is not None and first is not None and first == getattr(record, order.first, None)
        typed = then is not None and form.get(order.then, "") != input_value(getattr(record, order.then, None), zone)
        if kept and typed and then < first and then == first.replace(second=0, microsecond=0):
            data[order.then] = first


def form_values(record: SQLModel | None, schema: type[SQLModel]) -> dict[str, str]:
    """A record's fields as the strings its form shows."""
    if record is None:
        return {}
    zone = org_zone()
    values = {}
    for name in schema.model_fields:
        value = getattr(record, name, None)
        if isinstance(value, datetime):
            values[name] = input_value(value, zone)
        elif isinstance(value, Enum):
            values[name] = value.value
        elif isinstance(value, bool):
            values[name] = "on" if value else ""
        else:
            values[name] = "" if value is None else str(value)
    return values


def expected_version(form: MultiDict) -> int | None:
    """The version the edit started from, as the form carried it; None when absent or garbled."""
    return _whole_number(form.get("version", ""))


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])

"""The errors a domain operation raises for a person to read: field errors, refusals and stale edits."""

from typing import Any

from pydantic import ValidationError

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

"""Field types shared by the tables and the input models: trimmed text without NUL, record ids, instants with an
offset, minutes, and long Markdown text.

Each entity's fields are declared once, with their limits, in a base model (e.g. DrillBase) that both its
table and its input model inherit; tables do not validate on construction, input models do.
"""

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, PlainSerializer, WithJsonSchema
from pydantic import Field as Bounds
from sqlmodel import AutoString, Field

from models.core.types import MAX_ID

#: ten weeks, the longest planned duration or target that makes sense for one step or system
MAX_MINUTES = 7 * 24 * 60 * 10


def _clean(value):
    if not isinstance(value, str):
        return value
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value.strip()


#: a reference to another record: a positive id the database can hold
RecordId = Annotated[int, Bounds(ge=1, le=MAX_ID)]


#: the dates and instants a record may hold: anything else is a typing slip, and would break date arithmetic
EARLIEST, LATEST = date(1970, 1, 1), date(2200, 12, 31)


def _sane_instant(value: datetime) -> datetime:
    # the calendar's own edges first: 0001-01-01 with a +22:01 offset falls before year 1 in UTC
    if not EARLIEST.year - 1 <= value.year <= LATEST.year + 1:
        raise ValueError(f"must be between {EARLIEST.year} and {LATEST.year}")
    if not EARLIEST <= value.astimezone(timezone.utc).date() <= LATEST:
        raise ValueError(f"must be between {EARLIEST.year} and {LATEST.year}")
    return value


def _sane_day(value: date) -> date:
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"must be between {EARLIEST.year} and {LATEST.year}")
    return value


#: a calendar day within the sane range
Day = Annotated[date, AfterValidator(_sane_day)]

#: an instant with its UTC offset; forms turn local times into these, and a bare time from elsewhere is refused;
#: written out in JSON as ISO 8601 with its offset ("2020-06-13T03:00:00+00:00")
Moment = Annotated[
    AwareDatetime,
    AfterValidator(_sane_instant),
    PlainSerializer(lambda value: value.isoformat(), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]


#: text with surrounding white space removed before the length rules apply, and NUL refused (PostgreSQL cannot store it)
Text = Annotated[str, BeforeValidator(_clean)]


def prose(max_length: int = 20000, **kwargs):
    """A text field a person writes (often Markdown): optional, at most `max_length` characters, stored unbounded."""
    return Field(default="", max_length=max_length, sa_type=AutoString, **kwargs)


@dataclass(frozen=True)
class Order:
    """Two fields of an input whose values must not run backwards: an end after its start, and so on.

    Declared on an input model as ORDERS and checked by `validate` beside the field errors, so a
    person sees a time out of order in the same answer as a missing title. Each message names both
    fields; `needs_first`, when given, is the message for a later value without the earlier one.
    """

    first: str
    then: str
    backwards: str
    needs_first: str = ""

    def problem(self, first, then) -> str:
        if then is not None and first is None:
            return self.needs_first
        if first is not None and then is not None and then < first:
            return self.backwards
        return ""

"""Field types shared by every input model: trimmed text without NUL, record ids, instants with an offset, minutes."""

from datetime import datetime
from typing import Annotated, Optional

from pydantic import AwareDatetime, BeforeValidator
from pydantic import Field as Bounds

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


#: an instant with its UTC offset; forms turn local times into these, and a bare time from elsewhere is refused
Moment = AwareDatetime


#: text with surrounding white space removed before the length rules apply, and NUL refused (PostgreSQL cannot store it)
Text = Annotated[str, BeforeValidator(_clean)]


def _end_after_start(start: Optional[datetime], end: Optional[datetime], start_name: str, end_name: str) -> None:
    if end is not None and start is None:
        raise ValueError(f"{end_name}: an end needs a start")
    if start is not None and end is not None and end < start:
        raise ValueError(f"{end_name}: the end is before the start")

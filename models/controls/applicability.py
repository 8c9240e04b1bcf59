"""Recording the Statement of Applicability: which controls apply, why, and how far they are implemented;
and reading it back honestly where the organisation has not stated it yet."""

from dataclasses import dataclass
from typing import Optional

from sqlmodel import Field, Session, SQLModel

from models.controls.tables import Control, Implementation
from models.core.changes import apply_changes, validate
from models.core.inputs import Text
from models.people.users import User


def set_applicability(
    session: Session, control: Control, data: dict, actor: User, expected: Optional[int] = None
) -> Control:
    """Change a control's applicability; an exclusion, like an inclusion, needs its justification."""
    values = validate(ApplicabilityIn, data).model_dump()
    apply_changes(session, control, values, expected, actor)
    return control


class ApplicabilityIn(SQLModel):
    applicable: bool = True
    justification: Text = Field(min_length=1, max_length=5000)
    implementation: Implementation = Implementation.NOT_STARTED


@dataclass(frozen=True)
class Statement:
    """One control's line of the Statement of Applicability, as it can honestly be printed."""

    applicable: str
    justification: str
    implementation: str
    #: what an auditor would raise about the line itself; empty when nothing
    problem: str = ""

    @property
    def stated(self) -> bool:
        return self.implementation != NOT_STATED


NOT_STATED = "Not stated"


def statement(control: Control, records: int) -> Statement:
    """What the SoA says of `control`: as the organisation stated it, else read from its `records`.

    A control nobody has decided on is "not stated", never "not implemented"; where records give
    evidence for it, it is shown applicable from that evidence, with the count, until someone states
    it. An exclusion needs its justification: one without (from before that rule) is flagged.
    """
    if control.justification.strip():
        return Statement("Yes" if control.applicable else "No", control.justification, control.implementation.label)
    if not control.applicable:
        return Statement("No", "—", NOT_STATED, "Excluded without a justification; the SoA needs one.")
    if records:
        noun = "record gives" if records == 1 else "records give"
        return Statement("Yes, from the evidence", f"Not stated yet; {records} {noun} evidence for it.", NOT_STATED)
    return Statement(NOT_STATED, "—", NOT_STATED)

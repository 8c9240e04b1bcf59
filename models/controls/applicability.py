"""Recording the Statement of Applicability: which controls apply, why, and how far they are implemented."""

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

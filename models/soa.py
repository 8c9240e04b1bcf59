"""Recording the Statement of Applicability: which controls apply, why, and how far they are implemented."""

from typing import Optional

from sqlmodel import Session

from models.controls import Control
from models.inputs import ApplicabilityIn
from models.recording import apply_changes, validate
from models.users import User


def set_applicability(session: Session, control: Control, data: dict, actor: User, expected: Optional[int] = None) -> Control:
    """Change a control's applicability; an exclusion, like an inclusion, needs its justification."""
    values = validate(ApplicabilityIn, data).model_dump()
    apply_changes(session, control, values, expected, actor)
    return control

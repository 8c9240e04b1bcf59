"""What an administrator or a person may submit about accounts, passwords and tokens."""

from datetime import date
from typing import Optional

from sqlmodel import Field, SQLModel

from models.core.inputs import Text
from models.people.tokens import Scope
from models.people.users import Role


class UserIn(SQLModel):
    """A person as an administrator adds or changes them; the password is only for a new user or a reset."""

    email: Text = Field(min_length=3, max_length=254, regex=r"^[^@\s]+@[^@\s]+$")
    name: Text = Field(min_length=1, max_length=200)
    role: Role
    title: Text = Field(default="", max_length=200)
    active: bool = True
    password: Optional[str] = Field(default=None, max_length=1024)


class PasswordChangeIn(SQLModel):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)
    confirm_password: str = Field(min_length=1, max_length=1024)


class TokenIn(SQLModel):
    """A personal access token as its owner asks for it."""

    name: Text = Field(min_length=1, max_length=100)
    scope: Scope
    expires_on: date

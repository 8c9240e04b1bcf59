"""People who sign in, their roles, and how their passwords are kept."""

import contextlib
import hashlib
import re
import secrets
from datetime import datetime
from functools import lru_cache
from typing import Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Index
from sqlmodel import Field, Session, SQLModel, select
from zxcvbn import zxcvbn

from models.core.types import Choice, UTCDateTime, text_enum, utcnow

#: Argon2id with the RFC 9106 low-memory profile; tests may swap in cheaper parameters.
password_hasher = PasswordHasher()


@lru_cache(maxsize=2)
def _dummy_hash(hasher: PasswordHasher) -> str:
    """Verified against when no such user exists, so the answer takes as long either way.

    Made on first use with the hasher then in force, not at import: every process (web workers,
    the CLI, report renders) would otherwise pay for an Argon2 hash it may never need.
    """
    return hasher.hash(secrets.token_hex(16))


MIN_PASSWORD_LENGTH = 12


MAX_PASSWORD_LENGTH = 128


#: zxcvbn's score from 0 to 4; 3 means "safely unguessable" against an offline attack on a slow hash
MIN_PASSWORD_STRENGTH = 3


#: the languages a person may choose to read Drillbook in
LANGUAGE_CODES = ("en", "fr", "nl")


class Role(Choice):
    ADMIN = "admin", "Administrator"
    EDITOR = "editor", "Editor"
    APPROVER = "approver", "Approver"
    AUDITOR = "auditor", "Auditor"


class User(SQLModel, table=True):
    """A person with a role; one with neither a password nor an identity provider is on record but cannot sign in."""

    __table_args__ = (Index("uq_user_sso_identity", "sso_issuer", "sso_subject", unique=True),)

    id: Optional[int] = Field(default=None, primary_key=True)
    #: stored lower-case; the sign-in name
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(max_length=200)
    role: Role = Field(sa_type=text_enum(Role))
    #: job title shown on sign-offs, e.g. "CTO"
    title: str = Field(default="", max_length=200)
    password_hash: Optional[str] = Field(default=None, max_length=255)
    active: bool = Field(default=True)
    #: changes on logout-everywhere or password change, so older session cookies stop working
    session_nonce: str = Field(default_factory=lambda: secrets.token_urlsafe(16), max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    #: SHA-256 of the secret in the user's calendar feed URL; None when no feed is issued
    calendar_token_hash: Optional[str] = Field(default=None, max_length=64, unique=True)
    #: the identity provider that vouches for this person, and their subject there; None for local accounts
    sso_issuer: Optional[str] = Field(default=None, max_length=500)
    sso_subject: Optional[str] = Field(default=None, max_length=255)
    #: the language the person chose to read Drillbook in ("en", "fr", "nl"); None: their browser's
    language: Optional[str] = Field(default=None, max_length=5)

    # Flask-Login's protocol, kept here so the model needs no Flask import.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active and (self.password_hash is not None or self.signs_in_with_provider)

    @property
    def signs_in_with_provider(self) -> bool:
        """Whether an identity provider vouches for this person, who then has no password here."""
        return self.sso_subject is not None

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """The session identity: id and nonce, so a rotated nonce ends every old session."""
        return f"{self.id}:{self.session_nonce}"

    def issue_calendar_token(self) -> str:
        """A new secret for the calendar feed URL; only its hash is kept, and the old URL stops working."""
        token = secrets.token_urlsafe(24)
        self.calendar_token_hash = hashlib.sha256(token.encode()).hexdigest()
        return token

    def revoke_calendar_token(self) -> None:
        """Stop the calendar feed."""
        self.calendar_token_hash = None

    def end_sessions(self) -> None:
        """Make every session cookie issued so far useless, on every device."""
        self.session_nonce = secrets.token_urlsafe(16)

    def set_password(self, password: str) -> None:
        """Hash and store `password` after checking the rules; ends existing sessions."""
        if self.signs_in_with_provider:
            raise PasswordRuleError("This person signs in through the identity provider and has no password here.")
        check_password_rules(password, (self.email, self.name))
        self.password_hash = password_hasher.hash(password)
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        """True if `password` matches; a user without a password never matches."""
        if self.password_hash is None:
            return False
        try:
            return password_hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


class PasswordRuleError(ValueError):
    """A password that breaks the rules, with the reason in words a person can act on."""


def check_password_rules(password: str, personal: tuple[str, ...] = ()) -> None:
    """Refuse passwords outside 12 to 128 characters, and guessable ones (NIST SP 800-63B 5.1.1.2).

    No composition rules: length and zxcvbn's estimate, which knows 30,000 common passwords,
    keyboard patterns, repeats, dates, and the person's own name and e-mail given in `personal`.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRuleError(f"Password must be at least {MIN_PASSWORD_LENGTH} characters long.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordRuleError(f"Password must be at most {MAX_PASSWORD_LENGTH} characters long.")
    hints = [*personal, *(part for text in personal for part in re.split(r"\W+", text) if len(part) > 2)]
    verdict = zxcvbn(password, user_inputs=hints, max_length=MAX_PASSWORD_LENGTH)
    if verdict["score"] < MIN_PASSWORD_STRENGTH:
        reason = verdict["feedback"]["warning"] or "It is too easy to guess."
        raise PasswordRuleError(f"Choose a harder password. {reason} A few unrelated words make a strong one.")


def normalise_email(email: str) -> str:
    """Trim and lower-case an e-mail address, the form it is stored and looked up in."""
    return email.strip().lower()


def find_user(session: Session, email: str) -> Optional[User]:
    """The user with `email`, or None."""
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


def authenticate(session: Session, email: str, password: str) -> Optional[User]:
    """The active user whose password matches, else None; costs one hash check whoever it is, so the time
    taken tells nothing of whether the account exists, has a password, or is active."""
    user = find_user(session, email)
    if user is None or user.password_hash is None:
        with contextlib.suppress(VerificationError):
            password_hasher.verify(_dummy_hash(password_hasher), password)
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    return user


def add_user(session: Session, email: str, name: str, role: Role, password: Optional[str], title: str = "") -> User:
    """Create a user; refuses a duplicate e-mail or a password that breaks the rules."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise ValueError(f"{email!r} is not an e-mail address.")
    if find_user(session, email) is not None:
        raise ValueError(f"A user with e-mail {email} already exists.")
    user = User(email=email, name=name or email, role=Role(role), title=title)
    if password is not None:
        user.set_password(password)
    session.add(user)
    session.flush()
    return user


def find_by_calendar_token(session: Session, token: str) -> Optional[User]:
    """The active user whose calendar feed uses `token`, or None."""
    if not token or len(token) > 100:
        return None
    digest = hashlib.sha256(token.encode()).hexdigest()
    user = session.exec(select(User).where(User.calendar_token_hash == digest)).first()
    return user if user is not None and user.active else None


def active_users(session: Session) -> list[User]:
    """Everyone who may own an action, by name."""
    return list(session.exec(select(User).where(User.active == True).order_by(User.name)).all())  # noqa: E712

"""Personal access tokens for the JSON API: scripts and monitors act as the person who made them.

Only a SHA-256 of each token is kept; the token itself is shown once, when it is made. A
token carries its owner's role, never more, and its scope can narrow that to reading.
"""

import hashlib
import secrets
from datetime import date, datetime, timedelta
from typing import Optional

from sqlmodel import Field, Session, SQLModel, col, select

from models.core.types import Choice, UTCDateTime, text_enum, utcnow
from models.people.users import User

#: tokens start with this, so secret scanners and people recognise one in a log or a repository
PREFIX = "dbk_"
#: the longest a token may stay valid
MAX_DAYS = 366


class Scope(Choice):
    READ = "read", "Read only"
    WRITE = "write", "Read and write"


class AccessToken(SQLModel, table=True):
    """A token issued to a user: its name, scope, expiry, and whether it was revoked."""

    __tablename__ = "access_token"
    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    #: what the owner uses it for, e.g. "Zabbix probe"
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    #: the first characters, shown in lists so the owner can tell tokens apart
    hint: str = Field(max_length=16)
    scope: Scope = Field(sa_type=text_enum(Scope))
    expires_on: date
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    revoked_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)

    def usable_on(self, today: date) -> bool:
        """Not revoked and not past its expiry date (valid through the whole of that day)."""
        return self.revoked_at is None and today <= self.expires_on


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(session: Session, user: User, name: str, scope: Scope, expires_on: date) -> tuple[AccessToken, str]:
    """A new token for `user`; returns the record and the secret, which is never stored."""
    secret = PREFIX + secrets.token_urlsafe(32)
    record = AccessToken(
        user_id=user.id, name=name, token_hash=_digest(secret), hint=secret[:10], scope=scope, expires_on=expires_on
    )
    session.add(record)
    session.flush()
    return record, secret


def authenticate(session: Session, secret: str, today: date) -> Optional[tuple[AccessToken, User]]:
    """The usable token with this secret and its active owner, or None."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    record = session.exec(select(AccessToken).where(AccessToken.token_hash == _digest(secret))).first()
    if record is None or not record.usable_on(today):
        return None
    user = session.get(User, record.user_id)
    if user is None or not user.is_active:
        return None
    return record, user


def tokens_of(session: Session, user: User) -> list[AccessToken]:
    """A user's tokens, newest first, revoked ones included so the history stays visible."""
    return list(
        session.exec(select(AccessToken).where(AccessToken.user_id == user.id).order_by(col(AccessToken.id).desc()))
    )


def revoke(session: Session, user: User, token_id: int, now: datetime) -> Optional[AccessToken]:
    """Revoke one of `user`'s own tokens; None if they have no such token (someone else's id included)."""
    record = session.get(AccessToken, token_id)
    if record is None or record.user_id != user.id:
        return None
    record.revoked_at = record.revoked_at or now
    session.flush()
    return record


def revoke_all(session: Session, user: User, now: datetime) -> int:
    """Revoke every token of `user` still in force; how many were."""
    live = session.exec(select(AccessToken).where(AccessToken.user_id == user.id, AccessToken.revoked_at.is_(None)))
    count = 0
    for record in live:
        record.revoked_at, count = now, count + 1
    session.flush()
    return count


def note_use(token: AccessToken, now: datetime) -> bool:
    """Whether `last_used_at` is worth updating: at most every ten minutes, so reads stay reads."""
    return token.last_used_at is None or now - token.last_used_at > timedelta(minutes=10)

"""Limits on guessing passwords: failed sign-ins counted per account and per client address.

Counted in the database rather than in memory, so the limit holds across every web worker
and survives a restart. Failures are counted for the e-mail as typed, whether or not such
a user exists, so the answer never tells an attacker which accounts are real.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar, Optional

from sqlmodel import Field, Session, SQLModel, col, delete, func, select

from models.core.database import serialise
from models.core.types import UTCDateTime, utcnow


class SignInFailure(SQLModel, table=True):
    """One failed sign-in: the e-mail tried, the address it came from, and when."""

    __tablename__ = "sign_in_failure"
    id: Optional[int] = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, index=True)
    address: str = Field(max_length=64, index=True)
    failed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


@dataclass(frozen=True)
class Limits:
    """How many failures are tolerated within `window` before sign-in is refused."""

    per_account: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class Lockout:
    """Why sign-in is refused now and when it may be tried again."""

    reason: str
    retry_after: timedelta

    ACCOUNT: ClassVar[str] = "for this account"
    ADDRESS: ClassVar[str] = "from your network address"

    @property
    def message(self) -> str:
        minutes = max(1, -(-int(self.retry_after.total_seconds()) // 60))
        return f"Too many failed sign-ins {self.reason}. Try again in {minutes} minute{'s' if minutes != 1 else ''}."


def _retry_after(
    session: Session, column, value: str, limit: int, since: datetime, now: datetime, window: timedelta
) -> Optional[timedelta]:
    """When the `limit`-th newest failure for `value` leaves the window, or None if under the limit."""
    times = session.exec(
        select(SignInFailure.failed_at)
        .where(column == value, SignInFailure.failed_at > since)
        .order_by(col(SignInFailure.failed_at).desc())
        .limit(limit)
    ).all()
    if len(times) < limit:
        return None
    return times[-1] + window - now


def lockout(
    session: Session, email: str, address: str, limits: Limits, now: Optional[datetime] = None
) -> Optional[Lockout]:
    """The lockout in force for this account or address, or None if a sign-in may be tried.

    Guesses sent at once for the same account or from the same address take turns from here to the end
    of their transaction, where their failure is counted: otherwise each would pass before any counted.
    """
    serialise(session, f"sign-in:{email}", f"sign-in-from:{address[:64]}")
    now = now or utcnow()
    since = now - limits.window
    wait = _retry_after(session, SignInFailure.email, email, limits.per_account, since, now, limits.window)
    if wait is not None:
        return Lockout(Lockout.ACCOUNT, wait)
    wait = _retry_after(session, SignInFailure.address, address, limits.per_address, since, now, limits.window)
    if wait is not None:
        return Lockout(Lockout.ADDRESS, wait)
    return None


def address_lockout(session: Session, address: str, limits: Limits) -> Optional[Lockout]:
    """The lockout in force for this address alone: for attempts that name no account, such as a forged callback."""
    serialise(session, f"sign-in-from:{address[:64]}")
    now = utcnow()
    wait = _retry_after(
        session, SignInFailure.address, address[:64], limits.per_address, now - limits.window, now, limits.window
    )
    return Lockout(Lockout.ADDRESS, wait) if wait is not None else None


def first_in_window(
    session: Session, email: Optional[str], address: str, limits: Limits, now: Optional[datetime] = None
) -> bool:
    """Whether no failure was counted yet within the window for this address, or for this account if given."""
    since = (now or utcnow()) - limits.window
    recent = select(SignInFailure.id).where(SignInFailure.failed_at > since)
    by_address = session.exec(recent.where(SignInFailure.address == address[:64]).limit(1)).first()
    by_account = session.exec(recent.where(SignInFailure.email == email).limit(1)).first() if email else None
    return by_address is None or (email is not None and by_account is None)


def lockout_just_started(session: Session, email: str, address: str, limits: Limits, locked: Lockout) -> bool:
    """Whether the failure just counted is the one that reached the limit, not one of a flood after it."""
    column, value, limit = (
        (SignInFailure.email, email, limits.per_account)
        if locked.reason == Lockout.ACCOUNT
        else (SignInFailure.address, address[:64], limits.per_address)
    )
    since = utcnow() - limits.window
    count = session.exec(
        select(func.count()).select_from(SignInFailure).where(column == value, SignInFailure.failed_at > since)
    ).one()
    return count == limit


def record_failure(session: Session, email: str, address: str, limits: Limits, now: Optional[datetime] = None) -> None:
    """Count a failure, and forget those too old to matter so the table stays small."""
    now = now or utcnow()
    session.exec(delete(SignInFailure).where(SignInFailure.failed_at <= now - limits.window))
    session.add(SignInFailure(email=email[:254], address=address[:64], failed_at=now))
    session.flush()


def clear_account(session: Session, email: str) -> None:
    """A successful sign-in forgives the account's earlier failures (not the address's)."""
    session.exec(delete(SignInFailure).where(SignInFailure.email == email))

"""Signing in: the throttle first, then the password; every outcome is counted, and audited within bounds.

Strangers choose how often they fail and what they type, so the permanent audit trail cannot keep one
entry per attempt: within a lockout window it keeps the first failure for each real account and for
each address, and the moment a lockout starts, with how many failures led to it. Every failure is
still counted in the throttle's table, which forgets them once they no longer matter. An e-mail that
belongs to no one is never written to the trail.

The view commits once whatever the outcome, so a refusal, a failure and a success each leave
their trace, and answers by the outcome's kind.
"""

from dataclasses import dataclass
from typing import Optional

from sqlmodel import Session

from models import audit
from models.people import throttle
from models.people.users import User, authenticate, find_user, normalise_email

#: the actor the trail names for a failure with an e-mail that belongs to no one
UNKNOWN_ACCOUNT = "(no such account)"


@dataclass(frozen=True)
class SignIn:
    """What a sign-in attempt came to: a person, a refusal by the throttle, or neither (wrong credentials)."""

    user: Optional[User] = None
    refused: Optional[throttle.Lockout] = None


def sign_in(session: Session, email: str, password: str, address: str, limits: throttle.Limits) -> SignIn:
    """Try `email` and `password` from `address`; flushed, the caller commits whatever the outcome."""
    email = normalise_email(email)[:254]
    refused = throttle.lockout(session, email, address, limits)
    if refused is not None:
        return SignIn(refused=refused)
    user = authenticate(session, email, password)
    if user is None:
        note_failure(session, email, address, limits, "login_failed")
        return SignIn()
    throttle.clear_account(session, email)
    audit.record_change(session, user, "login", user, after={"address": address})
    return SignIn(user=user)


def note_failure(session: Session, email: str, address: str, limits: throttle.Limits, action: str) -> None:
    """Count a wrong password, at sign-in or wherever one is re-entered, and audit it within the bounds above."""
    known = find_user(session, email) is not None
    first = throttle.first_in_window(session, email if known else None, address, limits)
    throttle.record_failure(session, email, address, limits)
    actor = email if known else UNKNOWN_ACCOUNT
    if first:
        audit.record(session, action, actor=actor, after={"address": address})
    locked = throttle.lockout(session, email, address, limits)
    if locked is not None and throttle.lockout_just_started(session, email, address, limits, locked):
        audit.record(
            session,
            "login_locked",
            actor=actor,
            after={"address": address, "reason": locked.reason, "minutes": int(limits.window.total_seconds() // 60)},
        )

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


def sign_in(
    session: Session, email: str, password: str, address: str, limits: throttle.Limits, break_glass: bool = False
) -> SignIn:
    """Try `email` and `password` from `address`; flushed, the caller commits whatever the outcome.

    `break_glass` marks the one password sign-in left when everyone else signs in through the
    identity provider: the trail says so, for whoever reviews emergency access.
    """
    email = normalise_email(email)[:254]
    refused = throttle.lockout(session, email, address, limits)
    if refused is not None:
        return SignIn(refused=refused)
    user = authenticate(session, email, password)
    if user is None:
        note_failure(session, email, address, limits, "login_failed")
        return SignIn()
    throttle.clear_account(session, email)
    after = {"address": address, "method": "password", **({"break_glass": True} if break_glass else {})}
    audit.record_change(session, user, "login", user, after=after)
    return SignIn(user=user)


def refuse_password(session: Session, email: str, password: str, address: str, limits: throttle.Limits) -> SignIn:
    """A password sign-in where only the provider signs people in: counted as a failure, taking as long."""
    email = normalise_email(email)[:254]
    refused = throttle.lockout(session, email, address, limits)
    if refused is not None:
        return SignIn(refused=refused)
    authenticate(session, "", password)  # the hash check a real attempt costs, against no one
    note_failure(session, email, address, limits, "login_failed")
    return SignIn()


#: the e-mail the throttle counts failed sign-ins through the identity provider under
PROVIDER_FAILURES = "(identity provider)"


def note_provider_failure(session: Session, address: str, reason: str, limits: throttle.Limits) -> None:
    """Count a sign-in through the provider that failed (a forged state, a bad token); audited within bounds.

    Anyone can call the callback address with made-up values, so these count against the address's
    limit like wrong passwords, and the trail keeps the first in each window.
    """
    first = throttle.first_in_window(session, None, address, limits)
    throttle.record_failure(session, PROVIDER_FAILURES, address, limits)
    if first:
        audit.record(
            session,
            "login_failed",
            actor=UNKNOWN_ACCOUNT,
            after={"address": address, "method": "sso", "reason": reason},
        )


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

"""Signing in: the throttle first, then the password; every outcome is counted and audited.

The view commits once whatever the outcome, so a refusal, a failure and a success each leave
their trace, and answers by the outcome's kind.
"""

from dataclasses import dataclass
from typing import Optional

from sqlmodel import Session

from models import audit
from models.people import throttle
from models.people.users import User, authenticate, normalise_email


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
        audit.record(session, "login_refused", actor=email, after={"address": address, "reason": refused.reason})
        return SignIn(refused=refused)
    user = authenticate(session, email, password)
    if user is None:
        throttle.record_failure(session, email, address, limits)
        audit.record(session, "login_failed", actor=email, after={"address": address})
        return SignIn()
    throttle.clear_account(session, email)
    audit.record_change(session, user, "login", user, after={"address": address})
    return SignIn(user=user)

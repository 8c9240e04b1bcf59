"""Proof of identity at the moment of signing: the password re-entered, or a fresh provider sign-in.

A session cookie says someone signed in hours ago on this browser; a signature must say the
approver themself was at the keyboard. Local accounts re-enter their password. A person who signs
in through an identity provider is sent back to it with `prompt=login` and `max_age=0`, and the
signature is accepted only with an ID token for the same person whose `auth_time` is not older
than the request: a provider session left open, or a request stripped of `prompt=login`, does
not do. The token's `auth_time` has whole seconds, so a sign-in in the second of the request counts.

While the approver is at the provider, the signature waits as a `SignRequest`: usable once, by
its author, within `REQUEST_LIFETIME`, and only for the content it was asked for.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional, Union

from sqlmodel import Session

from models.core.errors import NotAllowed, RecordError
from models.people.users import User
from models.signoff.tables import SignOff, SignRequest

#: how long the approver has to sign in again at the provider
REQUEST_LIFETIME = timedelta(minutes=10)

PASSWORD = "password"
PROVIDER = "provider"


@dataclass(frozen=True)
class ProviderProof:
    """What the provider's fresh ID token says: who signed in there, and when."""

    issuer: str
    subject: str
    auth_time: Optional[datetime]
    requested_at: datetime


#: a password re-entered, or a fresh sign-in at the provider
Proof = Union[str, ProviderProof]


def check_identity(actor: User, proof: Proof) -> dict:
    """The sign-off's identity fields once `proof` shows `actor` is at the keyboard; refused otherwise."""
    if not actor.signs_in_with_provider:
        if not isinstance(proof, str) or not actor.check_password(proof or ""):
            raise RecordError({"password": "The password is not right; re-enter your own password to sign."})
        return {"identity_check": PASSWORD}
    if not isinstance(proof, ProviderProof) or (proof.issuer, proof.subject) != (actor.sso_issuer, actor.sso_subject):
        raise RecordError({"password": "Sign in again at your identity provider, as yourself, to sign."})
    if proof.auth_time is None or proof.auth_time < proof.requested_at.replace(microsecond=0):
        raise RecordError(
            {
                "password": "Your identity provider did not ask you to sign in again, so the signature was not made. "
                "Try again; if it keeps happening, ask an administrator to check the provider honours prompt=login."
            }
        )
    return {
        "identity_check": PROVIDER,
        "identity_issuer": proof.issuer,
        "identity_subject": proof.subject,
        "identity_auth_time": proof.auth_time,
    }


def request_signature(session: Session, drill_id: int, actor: User, content: str, statement: str, override: str):
    """Keep the signature the approver asked for while they sign in again at the provider; flushed."""
    request = SignRequest(
        drill_id=drill_id, user_id=actor.id, content_sha256=content, statement=statement, override=override
    )
    session.add(request)
    session.flush()
    return request


def take_request(session: Session, request_id: object, actor: User, now: datetime) -> SignRequest:
    """The waiting signature `request_id` of `actor`, marked used; refused if not theirs, used or too old."""
    request = session.get(SignRequest, request_id) if isinstance(request_id, int) else None
    if request is None or request.user_id != actor.id:
        raise NotAllowed("There is no signature of yours waiting for this sign-in.")
    if request.used_at is not None:
        raise RecordError({"password": "This signature request was already used; sign again from the review page."})
    if now - request.requested_at > REQUEST_LIFETIME:
        minutes = int(REQUEST_LIFETIME.total_seconds() // 60)
        raise RecordError({"password": f"More than {minutes} minutes passed; sign again from the review page."})
    request.used_at = now
    return request


def identity_record(signoff: SignOff) -> dict:
    """How the signer proved who they were, as the audit trail keeps it and `verify` compares it."""
    auth_time = signoff.identity_auth_time
    return {
        "identity_check": signoff.identity_check,
        "identity_issuer": signoff.identity_issuer,
        "identity_subject": signoff.identity_subject,
        "identity_auth_time": auth_time.isoformat() if auth_time else None,
    }

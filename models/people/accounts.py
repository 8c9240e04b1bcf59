"""Who may sign in and with what: adding people, changing roles, deactivating, passwords, API tokens and the calendar address.

Kept apart from models/people/users.py, which knows a single person and their password; the rules here
span people, such as "there is always one active administrator left".
"""

from datetime import date, datetime, timedelta
from typing import Optional

from sqlmodel import Session, func, select

from models import audit
from models.core.errors import RecordError
from models.core.types import utcnow
from models.people import tokens
from models.people.inputs import PasswordChangeIn, TokenIn, UserIn
from models.people.users import LANGUAGE_CODES, PasswordRuleError, Role, User, find_user, normalise_email

#: what the audit trail keeps of a person: never the password hash, session nonce or feed secret
_AUDITED = ("email", "name", "role", "title", "active")


def _audited(user: User) -> dict:
    return {name: getattr(user, name) for name in _AUDITED}


def _set_password(user: User, password: str, field: str = "password") -> None:
    try:
        user.set_password(password)
    except PasswordRuleError as exc:
        raise RecordError({field: str(exc)}) from None


def active_admins(session: Session) -> int:
    return session.exec(
        select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.active.is_(True))
    ).one()


def add_person(session: Session, data: UserIn, admin: User) -> User:
    """Create a user who can sign in with the password the administrator hands over."""
    email = normalise_email(data.email)
    errors = {}
    if find_user(session, email) is not None:
        errors["email"] = "Someone with this e-mail address is already on record."
    if not data.password:
        errors["password"] = "Give a first password; the person changes it after signing in."
    if errors:
        raise RecordError(errors)
    user = User(email=email, name=data.name, role=data.role, title=data.title, active=data.active)
    _set_password(user, data.password)
    session.add(user)
    session.flush()
    audit.record_change(session, admin, "user_added", user, after=_audited(user))
    return user


def change_person(session: Session, user: User, data: UserIn, admin: User) -> User:
    """Change a user's details, role or status, or reset their password.

    Deactivating, a role change and a reset all end the person's sessions; deactivating and a reset also
    revoke their API tokens and calendar address. An administrator
    cannot lock themselves out, and the last active administrator stays one.
    """
    email = normalise_email(data.email)
    errors = {}
    other = find_user(session, email)
    if other is not None and other.id != user.id:
        errors["email"] = "Someone else has this e-mail address."
    if user.id == admin.id and (data.role != Role.ADMIN or not data.active):
        errors["role" if data.role != Role.ADMIN else "active"] = (
            "You cannot remove your own administrator access; ask another administrator."
        )
    if errors:
        raise RecordError(errors)
    before = _audited(user)
    demoted = user.role == Role.ADMIN and user.active and (data.role != Role.ADMIN or not data.active)
    if demoted and active_admins(session) <= 1:
        raise RecordError({"role": "This is the last active administrator; make someone else one first."})
    deactivated = user.active and not data.active
    access_reduced = data.role != user.role or deactivated
    user.email, user.name, user.role, user.title, user.active = email, data.name, data.role, data.title, data.active
    if data.password:
        _set_password(user, data.password)
    elif access_reduced:
        user.end_sessions()
    revoked = 0
    if data.password or deactivated:  # whoever knew the old password may have made tokens or copied the feed
        revoked = tokens.revoke_all(session, user, utcnow())
        user.revoke_calendar_token()
    session.flush()
    audit.record_change(
        session,
        admin,
        "user_changed",
        user,
        before=before,
        after={**_audited(user), "password_reset": bool(data.password), "tokens_revoked": revoked},
    )
    return user


def change_own_password(session: Session, user: User, data: PasswordChangeIn) -> None:
    """A person's own password change: needs the current one, ends every other session."""
    errors = {}
    if not user.check_password(data.current_password):
        errors["current_password"] = "This is not your current password."
    if data.new_password != data.confirm_password:
        errors["confirm_password"] = "The two new passwords differ."
    elif data.new_password == data.current_password:
        errors["new_password"] = "Choose a password different from the current one."
    if errors:
        raise RecordError(errors)
    _set_password(user, data.new_password, "new_password")
    session.flush()
    audit.record_change(session, user, "password_changed", user)


def list_people(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.active.desc(), User.name)))


def issue_token(session: Session, user: User, data: TokenIn, today: date) -> str:
    """A personal access token for `user`, valid until a date within a year; returns the secret, shown once."""
    if not today < data.expires_on <= today + timedelta(days=tokens.MAX_DAYS):
        raise RecordError(
            {"expires_on": f"Choose an expiry date after today and at most {tokens.MAX_DAYS} days ahead."}
        )
    record, secret = tokens.issue(session, user, data.name, data.scope, data.expires_on)
    audit.record_change(
        session,
        user,
        "token_issued",
        record,
        after={"name": record.name, "scope": record.scope, "expires_on": record.expires_on},
    )
    return secret


def revoke_token(session: Session, user: User, token_id: int, now: datetime) -> Optional[tokens.AccessToken]:
    """Revoke one of `user`'s own tokens; None if they have no such token, someone else's included."""
    record = tokens.revoke(session, user, token_id, now)
    if record is not None:
        audit.record_change(session, user, "token_revoked", record)
    return record


def issue_calendar_address(session: Session, user: User) -> str:
    """A new secret for `user`'s calendar feed, shown once; any earlier address stops working. Audited."""
    token = user.issue_calendar_token()
    session.flush()
    audit.record_change(session, user, "calendar_issued", user)
    return token


def revoke_calendar_address(session: Session, user: User) -> None:
    """Stop `user`'s calendar feed. Audited."""
    user.revoke_calendar_token()
    session.flush()
    audit.record_change(session, user, "calendar_revoked", user)


def set_language(session: Session, user: User, language: str | None) -> None:
    """The language the person reads Drillbook in; None to follow their browser. RecordError for another."""
    if language is not None and language not in LANGUAGE_CODES:
        raise RecordError({"language": "Choose English, Français or Nederlands."})
    user.language = language
    session.add(user)

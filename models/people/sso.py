"""Single sign-on: who an identity provider says signed in, and what that makes them here.

The provider is the authority on who a person is and which groups they belong to; Drillbook keeps
the role those groups map to, and follows the groups at every sign-in, so a person moved or removed
at the provider is moved or refused here too. Nobody becomes an administrator unless the role map
says so for a group the provider puts them in.

No Flask and no HTTP here: the view checks the ID token (signature, issuer, audience, expiry, nonce)
and hands over its claims.
"""

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional

from sqlmodel import Session, select

from models import audit
from models.core.types import utcnow
from models.people import throttle, tokens
from models.people.accounts import active_admins
from models.people.users import Role, User, find_user, normalise_email

#: the throttle's address for refusals of people the provider vouched for: they count against no real address
REFUSALS = "(refused by role)"

#: when a person is in groups mapped to several roles, the one listed first wins
PRECEDENCE = (Role.ADMIN, Role.APPROVER, Role.EDITOR, Role.AUDITOR)


def parse_role_map(text: str) -> dict[str, Role]:
    """`dr-admins=admin,dr-cto=approver` as a mapping from group to role; refuses unknown roles."""
    mapping: dict[str, Role] = {}
    for pair in filter(None, (part.strip() for part in (text or "").split(","))):
        group, sep, role = pair.rpartition("=")
        if not sep or not group.strip():
            raise ValueError(f"{pair!r} is not group=role.")
        try:
            mapping[group.strip()] = Role(role.strip().lower())
        except ValueError:
            known = ", ".join(r.value for r in Role)
            raise ValueError(f"{role.strip()!r} in {pair!r} is not a role; use one of {known}.") from None
    return mapping


def role_for(groups, role_map: dict[str, Role]) -> Optional[Role]:
    """The role the person's groups give, or None when no group of theirs is in the map."""
    if isinstance(groups, str):
        groups = groups.replace(",", " ").split()
    if not isinstance(groups, (list, tuple)):
        return None
    roles = {role_map[g] for g in groups if isinstance(g, str) and g in role_map}
    return next((role for role in PRECEDENCE if role in roles), None)


@dataclass(frozen=True)
class ProviderIdentity:
    """The claims of a checked ID token that matter here."""

    issuer: str
    subject: str
    email: str
    email_verified: bool
    name: str
    groups: object
    #: when the person last proved who they are to the provider
    auth_time: Optional[datetime]

    @classmethod
    def from_claims(cls, claims: dict, roles_claim: str) -> "ProviderIdentity":
        """Read the identity from ID-token claims; `roles_claim` names the claim holding the groups.

        `email_verified` speaks of the `email` claim only: an address taken from `preferred_username`
        or `upn` (Entra ID sends no `email` unless asked) is never taken as verified.
        """
        texts = {k: v for k, v in claims.items() if isinstance(v, str)}
        email = texts.get("email") or texts.get("preferred_username") or texts.get("upn") or ""
        return cls(
            issuer=str(claims["iss"]),
            subject=str(claims["sub"]),
            email=normalise_email(email)[:254] if "@" in email else "",
            email_verified=claims.get("email_verified") is True and "email" in texts,
            name=texts.get("name", "")[:200],
            groups=claims.get(roles_claim),
            auth_time=_instant(claims.get("auth_time")),
        )


def _instant(seconds) -> Optional[datetime]:
    """A token's seconds since 1970 as a time, or None for anything else (a string, or past year 9999)."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        return None
    try:
        return datetime.fromtimestamp(seconds, timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


@dataclass(frozen=True)
class ProviderSignIn:
    """What a sign-in through the provider came to: the person, or why they are refused."""

    user: Optional[User] = None
    refused: str = ""

    NO_ROLE = "no role"
    DEACTIVATED = "deactivated"
    NO_EMAIL = "no e-mail"
    TAKEN = "e-mail taken"


def _linked(session: Session, identity: ProviderIdentity) -> Optional[User]:
    return session.exec(
        select(User).where(User.sso_issuer == identity.issuer, User.sso_subject == identity.subject)
    ).first()


def sign_in_with_provider(
    session: Session,
    identity: ProviderIdentity,
    role_map: dict[str, Role],
    address: str,
    break_glass: str = "",
    limits: Optional[throttle.Limits] = None,
) -> ProviderSignIn:
    """Find or create the person the provider vouches for, with the role their groups give; flushed.

    An existing local account is taken over only when the provider says it verified the e-mail
    address; otherwise anyone able to choose their e-mail at the provider could become them. The
    break-glass administrator's account (`break_glass`) is never taken over: it must work when the
    provider does not. Every refusal, creation, link and role change is in the audit trail;
    refusals once per person and window of `limits`, as the provider lets them retry at will.
    """
    limits = limits or throttle.Limits()
    role = role_for(identity.groups, role_map)
    user = _linked(session, identity)
    if user is None and identity.email:
        local = find_user(session, identity.email)
        takeable = local is not None and local.sso_subject is None and local.email != normalise_email(break_glass)
        if takeable and identity.email_verified:
            if not local.active:
                return _refuse(session, identity, address, ProviderSignIn.DEACTIVATED, limits, local)
            if role is None:
                return _refuse(session, identity, address, ProviderSignIn.NO_ROLE, limits, local)
            local.sso_issuer, local.sso_subject = identity.issuer, identity.subject
            local.password_hash = None  # from now on the provider decides whether this person may sign in
            local.end_sessions()
            audit.record_change(session, local, "sso_linked", local, after={"issuer": identity.issuer})
            user = local
        elif local is not None:
            return _refuse(session, identity, address, ProviderSignIn.TAKEN, limits)
    if user is None:
        if role is None:
            return _refuse(session, identity, address, ProviderSignIn.NO_ROLE, limits)
        if not identity.email:
            return _refuse(session, identity, address, ProviderSignIn.NO_EMAIL, limits)
        user = User(
            email=identity.email,
            name=identity.name or identity.email,
            role=role,
            sso_issuer=identity.issuer,
            sso_subject=identity.subject,
        )
        session.add(user)
        session.flush()
        audit.record_change(
            session, user, "user_created", user, after={"role": role.value, "issuer": identity.issuer, "by": "sso"}
        )
    if not user.active:
        return _refuse(session, identity, address, ProviderSignIn.DEACTIVATED, limits, user)
    if follow_groups(session, user, identity, role_map) is None:
        return _refuse(session, identity, address, ProviderSignIn.NO_ROLE, limits, user)
    audit.record_change(
        session, user, "login", user, after={"address": address, "method": "sso", "issuer": identity.issuer}
    )
    return ProviderSignIn(user=user)


def follow_groups(
    session: Session, user: User, identity: ProviderIdentity, role_map: dict[str, Role]
) -> Optional[Role]:
    """Take what the provider says now: the role the groups give, the name, a verified e-mail; flushed.

    No mapped group left means no access: the person's sessions end and their API tokens and
    calendar address are revoked, the provider's word that they left. The last active
    administrator keeps the role, so the organisation is never left without one.
    """
    role = role_for(identity.groups, role_map)
    if role is None:
        user.end_sessions()
        tokens.revoke_all(session, user, utcnow())
        user.revoke_calendar_token()
        return None
    before = {"role": user.role.value, "name": user.name, "email": user.email}
    if role != user.role and not (user.role == Role.ADMIN and active_admins(session) <= 1):
        user.role = role
        user.end_sessions()
    if identity.name:
        user.name = identity.name
    if identity.email_verified and identity.email != user.email and find_user(session, identity.email) is None:
        user.email = identity.email
    after = {"role": user.role.value, "name": user.name, "email": user.email}
    if after != before:
        session.flush()
        audit.record_change(session, user, "user_changed", user, before=before, after={**after, "by": "sso"})
    return user.role


def _refuse(
    session: Session,
    identity: ProviderIdentity,
    address: str,
    reason: str,
    limits: throttle.Limits,
    user: Optional[User] = None,
) -> ProviderSignIn:
    """Audit a refusal of someone the provider vouched for, once per person and window."""
    key = f"sso:{identity.subject}@{identity.issuer}"[:254]
    if throttle.first_in_window(session, key, REFUSALS, limits):
        audit.record(
            session,
            "login_refused",
            actor=identity.email or identity.subject,
            actor_id=user.id if user else None,
            entity_type="user" if user else "",
            entity_id=user.id if user else None,
            after={"address": address, "method": "sso", "issuer": identity.issuer, "reason": reason},
        )
    throttle.record_failure(session, key, REFUSALS, limits)
    return ProviderSignIn(refused=reason)

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
from models.people.users import Role, User, find_user, normalise_email

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
        """Read the identity from ID-token claims; `roles_claim` names the claim holding the groups."""
        auth_time = claims.get("auth_time")
        email = claims.get("email") or claims.get("preferred_username") or claims.get("upn") or ""
        return cls(
            issuer=str(claims["iss"]),
            subject=str(claims["sub"]),
            email=normalise_email(str(email))[:254],
            email_verified=claims.get("email_verified") is True,
            name=str(claims.get("name") or "")[:200],
            groups=claims.get(roles_claim),
            auth_time=datetime.fromtimestamp(auth_time, timezone.utc) if isinstance(auth_time, (int, float)) else None,
        )


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
    session: Session, identity: ProviderIdentity, role_map: dict[str, Role], address: str, break_glass: str = ""
) -> ProviderSignIn:
    """Find or create the person the provider vouches for, with the role their groups give; flushed.

    An existing local account is taken over only when the provider says it verified the e-mail
    address; otherwise anyone able to choose their e-mail at the provider could become them. The
    break-glass administrator's account (`break_glass`) is never taken over: it must work when the
    provider does not.
    Every refusal, creation, link and role change is in the audit trail.
    """
    role = role_for(identity.groups, role_map)
    user = _linked(session, identity)
    if user is None and identity.email and "@" in identity.email:
        local = find_user(session, identity.email)
        takeable = local is not None and local.sso_subject is None and local.email != normalise_email(break_glass)
        if takeable and identity.email_verified:
            if role is None:
                return _refuse(session, identity, address, ProviderSignIn.NO_ROLE, local)
            local.sso_issuer, local.sso_subject = identity.issuer, identity.subject
            local.password_hash = None  # from now on the provider decides whether this person may sign in
            local.end_sessions()
            audit.record_change(session, local, "sso_linked", local, after={"issuer": identity.issuer})
            user = local
        elif local is not None:
            return _refuse(session, identity, address, ProviderSignIn.TAKEN)
    if user is None:
        if role is None:
            return _refuse(session, identity, address, ProviderSignIn.NO_ROLE)
        if not identity.email or "@" not in identity.email:
            return _refuse(session, identity, address, ProviderSignIn.NO_EMAIL)
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
        return _refuse(session, identity, address, ProviderSignIn.DEACTIVATED, user)
    if role is None:
        user.end_sessions()
        return _refuse(session, identity, address, ProviderSignIn.NO_ROLE, user)
    _follow_provider(session, user, identity, role)
    audit.record_change(
        session, user, "login", user, after={"address": address, "method": "sso", "issuer": identity.issuer}
    )
    return ProviderSignIn(user=user)


def _follow_provider(session: Session, user: User, identity: ProviderIdentity, role: Role) -> None:
    """Take the role, name and e-mail the provider gives now; a changed role ends older sessions."""
    before = {"role": user.role.value, "name": user.name, "email": user.email}
    if role != user.role:
        user.role = role
        user.end_sessions()
    if identity.name:
        user.name = identity.name
    if identity.email and identity.email != user.email and find_user(session, identity.email) is None:
        user.email = identity.email
    after = {"role": user.role.value, "name": user.name, "email": user.email}
    if after != before:
        session.flush()
        audit.record_change(session, user, "user_changed", user, before=before, after={**after, "by": "sso"})


def _refuse(
    session: Session, identity: ProviderIdentity, address: str, reason: str, user: Optional[User] = None
) -> ProviderSignIn:
    """Audit a refusal of someone the provider vouched for; the provider bounds how often this can happen."""
    audit.record(
        session,
        "login_refused",
        actor=identity.email or identity.subject,
        actor_id=user.id if user else None,
        entity_type="user" if user else "",
        entity_id=user.id if user else None,
        after={"address": address, "method": "sso", "issuer": identity.issuer, "reason": reason},
    )
    return ProviderSignIn(refused=reason)

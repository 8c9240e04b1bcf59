"""Who may open which page: every route declares its rule, and a route without one refuses to start."""

from flask import Flask, abort, current_app, flash, g, redirect, request
from flask_login import current_user, login_url

from models.core.types import utcnow
from models.people import tokens
from models.people.users import Role
from views.support.session import auth_db, own_write

_RULE = "_drillbook_access"


def allow(*roles: Role):
    """Open the view to signed-in users holding one of `roles`."""

    def mark(view):
        setattr(view, _RULE, frozenset(roles))
        return view

    return mark


def public(view):
    """Open the view to everyone, signed in or not (the login page, error pages)."""
    setattr(view, _RULE, "public")
    return view


class TokenRule:
    """An API route's rule: the roles whose access tokens may call it, and whether it writes."""

    def __init__(self, roles: frozenset, write: bool):
        self.roles, self.write = roles, write


def by_token(*roles: Role, write: bool = False):
    """Open an API view to access tokens of users holding one of `roles`; `write` also needs a read-write token.

    Session cookies do not count here, so a page in a browser cannot be tricked into calling the API.
    """

    def mark(view):
        setattr(view, _RULE, TokenRule(frozenset(roles), write))
        return view

    return mark


def _check_token(rule: TokenRule) -> None:
    """Authenticate the bearer token and make its owner the current user for this request only."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    found = tokens.authenticate(auth_db(), secret.strip(), utcnow().date()) if scheme.lower() == "bearer" else None
    if found is None:
        abort(
            401,
            description="Send a valid, unexpired access token: Authorization: Bearer dbk_... (create one under Your account).",
        )
    token, user = found
    g._login_user = user  # Flask-Login's per-request user; nothing is written to the session
    if tokens.note_use(token, now := utcnow()):
        with own_write() as session:
            session.get(tokens.AccessToken, token.id).last_used_at = now
    if user.role not in rule.roles:
        abort(403, description=f"The {user.role.english.lower()} role may not do this.")
    if rule.write and token.scope != tokens.Scope.WRITE:
        abort(403, description="This token is read-only; create a read-write token to make changes.")


def enforce_access() -> None:
    """Before every request: send anonymous users to sign in, refuse roles without the right (403)."""
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if view is None or request.endpoint == "static":
        return None
    rule = getattr(view, _RULE, None)
    if rule == "public":
        return None
    if isinstance(rule, TokenRule):
        return _check_token(rule)
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if rule is None or current_user.role not in rule:
        abort(403)
    return None


def send_to_sign_in():
    """Flask-Login's answer to a stranger: the sign-in page, then back here; quiet if a session just ended."""
    if not g.get("session_ended"):
        flash("Please sign in to see this page.", "info")
    return redirect(login_url("auth.login", request.url))


def check_every_route_has_a_rule(app: Flask) -> None:
    """Refuse to build an app that has a route nobody decided the access rule for."""
    missing = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and getattr(view, _RULE, None) is None
    ]
    if missing:
        raise RuntimeError(f"routes without an access rule: {', '.join(sorted(missing))}")

"""Who may open which page: every route declares its rule, and a route without one refuses to start."""

from flask import Flask, abort, current_app, request
from flask_login import current_user

from models.users import Role

#: every signed-in role may read
READERS = (Role.ADMIN, Role.EDITOR, Role.APPROVER, Role.AUDITOR)
#: roles that record drills, findings, actions and evidence
WRITERS = (Role.ADMIN, Role.EDITOR)

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


def enforce_access() -> None:
    """Before every request: send anonymous users to sign in, refuse roles without the right (403)."""
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if view is None or request.endpoint == "static":
        return None
    rule = getattr(view, _RULE, None)
    if rule == "public":
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if rule is None or current_user.role not in rule:
        abort(403)
    return None


def check_every_route_has_a_rule(app: Flask) -> None:
    """Refuse to build an app that has a route nobody decided the access rule for."""
    missing = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and getattr(view, _RULE, None) is None
    ]
    if missing:
        raise RuntimeError(f"routes without an access rule: {', '.join(sorted(missing))}")


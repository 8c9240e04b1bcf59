"""Single sign-on: the way out to the identity provider and the one way back, for signing in and for signing off."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from models import audit
from models.people import throttle
from models.people.sign_in import note_provider_failure
from models.people.sso import ProviderSignIn, follow_groups, sign_in_with_provider
from models.signoff.workflow import sign_requested
from views.auth import limits, safe_next
from views.signoff import load_or_404, review_page
from views.support.access import public
from views.support.oidc import ID_TOKEN, SIGNING, ProviderFailure, provider_or_404
from views.support.saving import save
from views.support.session import get_db, writes

bp = Blueprint("sso", __name__)

#: the session key of where to go after signing in
NEXT = "drillbook.sso_next"

#: an ID token larger than this is not kept for signing out: the session cookie must stay under 4 KB
ID_TOKEN_KEPT = 2000

#: what a person refused by the provider's word reads, by reason
REFUSALS = {
    ProviderSignIn.NO_ROLE: "Your account at {name} gives you no access to Drillbook. Ask an administrator to add "
    "you to one of the groups that do.",
    ProviderSignIn.DEACTIVATED: "Your Drillbook account is deactivated. Ask an administrator if you need access.",
    ProviderSignIn.NO_EMAIL: "{name} did not tell Drillbook your e-mail address, which it needs to create your account. "
    "Ask an administrator to release the email claim to Drillbook.",
    ProviderSignIn.TAKEN: "A Drillbook account with your e-mail address already exists and {name} has not verified "
    "that the address is yours. Ask an administrator.",
}


@bp.route("/auth/oidc/login")
@public
def login():
    """Send the person to the identity provider to sign in."""
    provider = provider_or_404()
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    try:
        url, _ = provider.start()
    except ProviderFailure as failure:
        return _failed(failure)
    session[NEXT] = safe_next(request.args.get("next"))
    return redirect(url)


@bp.route("/auth/oidc/callback")
@public
@writes
def callback():
    """The provider's answer: sign the person in, or complete the signature waiting for a fresh sign-in.

    The exchange with the provider happens before the database is touched, so the write lock is
    never held while waiting for it.
    """
    provider = provider_or_404()
    address = request.remote_addr or "unknown"
    waiting = session.get(SIGNING)
    signing = current_user.is_authenticated and waiting and waiting.get("state") == request.args.get("state")
    if current_user.is_authenticated and not signing:
        return redirect(url_for("dashboard.index"))
    try:
        identity, id_token = provider.finish()
        failure = None
    except ProviderFailure as exc:
        identity, id_token, failure = None, "", exc
    db = get_db()
    refused = throttle.address_lockout(db, address, limits())
    if refused is not None:
        db.commit()
        return _failed(ProviderFailure("locked", refused.message, 429))
    if failure is not None:
        session.pop(SIGNING, None)
        note_provider_failure(db, address, failure.reason, limits())
        db.commit()
        return _failed(failure)
    if signing:
        session.pop(SIGNING, None)
        return _sign(waiting, identity, provider)
    glass = current_app.config.get("BREAK_GLASS_ADMIN") or ""
    outcome = sign_in_with_provider(db, identity, provider.role_map, address, glass, limits())
    db.commit()
    if outcome.user is None:
        message = REFUSALS[outcome.refused].format(name=provider.name)
        return render_template("auth/no_access.html", message=message, provider=provider.name), 403
    target = session.get(NEXT) or url_for("dashboard.index")
    session.clear()
    login_user(outcome.user)
    if len(id_token) <= ID_TOKEN_KEPT:
        session[ID_TOKEN] = id_token
    return redirect(target)


def _sign(waiting: dict, identity, provider):
    """Make the waiting signature with the provider's word on who just signed in, or say why not.

    The fresh token's groups count first: someone moved out of the approvers' group while at the
    provider takes their new role, and ensure_signer then refuses them.
    """
    db = get_db()
    if follow_groups(db, current_user, identity, provider.role_map) is None:
        audit.record_change(db, current_user, "sign_reauth_failed", current_user, after={"reason": "no role"})
        db.commit()
        logout_user()
        session.clear()
        message = REFUSALS[ProviderSignIn.NO_ROLE].format(name=provider.name)
        return render_template("auth/no_access.html", message=message, provider=provider.name), 403
    db.commit()
    drill = load_or_404(waiting["drill"])
    independent = current_app.config["REQUIRE_INDEPENDENT_SIGNER"]
    result = save(
        lambda: sign_requested(
            get_db(),
            drill,
            current_user,
            waiting.get("request"),
            identity.issuer,
            identity.subject,
            identity.auth_time,
            independent,
        )
    )
    if not result.ok:
        db = get_db()
        audit.record_change(
            db,
            current_user,
            "sign_reauth_failed",
            drill,
            after={"issuer": identity.issuer, "reason": " ".join(result.errors.values())[:500]},
        )
        db.commit()
        return review_page(load_or_404(drill.id), result.errors, 422)
    flash(f"Revision {drill.revision} signed. The record is now frozen.", "success")
    return redirect(url_for("drills.detail", drill_id=drill.id))


def _failed(failure: ProviderFailure):
    return render_template("auth/sso_failed.html", message=failure.message), failure.status

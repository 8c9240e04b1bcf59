"""Signing in and out."""

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from models import audit
from models.people import throttle
from models.people.sign_in import refuse_password, sign_in
from models.permissions import READERS
from views.support import oidc
from views.support.access import allow, public
from views.support.forms import LoginForm
from views.support.session import get_db

bp = Blueprint("auth", __name__)

#: the one message for a wrong password, an unknown user and a disabled account
BAD_LOGIN = _l("E-mail or password is not right.")


def limits() -> throttle.Limits:
    """The sign-in limits from configuration (DRILLBOOK_LOGIN_*)."""
    config = current_app.config
    return throttle.Limits(
        per_account=int(config["LOGIN_FAILURES_PER_ACCOUNT"]),
        per_address=int(config["LOGIN_FAILURES_PER_ADDRESS"]),
        window=timedelta(minutes=int(config["LOGIN_LOCKOUT_MINUTES"])),
    )


def safe_next(target: str | None) -> str:
    """Only a path on this site may be a redirect target after sign-in."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("dashboard.index")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Show the sign-in form; on success start a fresh session."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    if form.validate_on_submit():
        db = get_db()
        email, password, address = form.email.data, form.password.data, request.remote_addr or "unknown"
        if oidc.password_sign_in_allowed(email):
            attempt = sign_in(
                db, email, password, address, limits(), break_glass=not current_app.config["LOCAL_SIGN_IN"]
            )
        else:
            attempt = refuse_password(db, email, password, address, limits())
        db.commit()
        if attempt.refused is not None:
            flash(attempt.refused.message, "error")
            seconds = int(attempt.refused.retry_after.total_seconds()) + 1
            return _login_page(form), 429, {"Retry-After": str(seconds)}
        if attempt.user is None:
            flash(BAD_LOGIN, "error")
            return _login_page(form), 401
        session.clear()
        login_user(attempt.user)
        return redirect(safe_next(request.args.get("next")))
    status = 400 if form.errors else 200
    return _login_page(form), status


def _login_page(form):
    """The sign-in page: the provider's button and, where passwords are allowed, the password form.

    With password sign-in turned off the form is still reachable under "Emergency access", for the
    break-glass administrator; everyone else is told to use the provider.
    """
    provider = oidc.provider()
    return render_template(
        "auth/login.html",
        form=form,
        provider_name=provider.name if provider else "",
        passwords=current_app.config["LOCAL_SIGN_IN"],
        next=safe_next(request.args.get("next")) if request.args.get("next") else "",
    )


@bp.route("/logout", methods=["POST"])
@allow(*READERS)
def logout():
    """End every session of this user; POST with a CSRF token, so no link or image can sign anyone out."""
    db = get_db()
    at_provider = current_user.signs_in_with_provider and oidc.provider() is not None
    id_token = session.get(oidc.ID_TOKEN, "")
    current_user.end_sessions()
    audit.record_change(db, current_user, "logout", current_user, after={"at_provider": at_provider})
    db.commit()
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    if at_provider and (elsewhere := oidc.provider().logout_url(id_token, oidc.address(url_for("auth.login")))):
        return redirect(elsewhere)  # RP-initiated logout: the provider ends its own session and sends the person back
    return redirect(url_for("auth.login"))

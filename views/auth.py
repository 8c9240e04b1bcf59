"""Signing in and out."""

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from models import audit
from models.people import throttle
from models.people.users import authenticate, normalise_email
from models.permissions import READERS
from views.support.access import allow, public
from views.support.forms import LoginForm
from views.support.session import get_db

bp = Blueprint("auth", __name__)

#: the one message for a wrong password, an unknown user and a disabled account
BAD_LOGIN = "E-mail or password is not right."


def limits() -> throttle.Limits:
    """The sign-in limits from configuration (DRILLBOOK_LOGIN_*)."""
    config = current_app.config
    return throttle.Limits(
        per_account=int(config["LOGIN_FAILURES_PER_ACCOUNT"]),
        per_address=int(config["LOGIN_FAILURES_PER_ADDRESS"]),
        window=timedelta(minutes=int(config["LOGIN_LOCKOUT_MINUTES"])),
    )


def _safe_next(target: str | None) -> str:
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
        email, address = normalise_email(form.email.data)[:254], request.remote_addr or "unknown"
        refused = throttle.lockout(db, email, address, limits())
        if refused is not None:
            audit.record(db, "login_refused", actor=email, after={"address": address, "reason": refused.reason})
            db.commit()
            flash(refused.message, "error")
            seconds = int(refused.retry_after.total_seconds()) + 1
            return render_template("auth/login.html", form=form), 429, {"Retry-After": str(seconds)}
        user = authenticate(db, form.email.data, form.password.data)
        if user is None:
            throttle.record_failure(db, email, address, limits())
            audit.record(db, "login_failed", actor=email, after={"address": address})
            db.commit()
            flash(BAD_LOGIN, "error")
            return render_template("auth/login.html", form=form), 401
        throttle.clear_account(db, email)
        audit.record_change(db, user, "login", user, after={"address": address})
        db.commit()
        session.clear()
        login_user(user)
        return redirect(_safe_next(request.args.get("next")))
    status = 400 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@allow(*READERS)
def logout():
    """End every session of this user; POST with a CSRF token, so no link or image can sign anyone out."""
    db = get_db()
    current_user.end_sessions()
    audit.record_change(db, current_user, "logout", current_user)
    db.commit()
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))

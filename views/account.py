"""The signed-in user's own settings: their password and the private calendar feed of their action due dates."""

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from evidence.rendering.formatting import org_today
from models.actions.calendar import calendar_feed
from models.actions.queries import list_actions
from models.core.changes import validate
from models.core.errors import RecordError
from models.core.types import utcnow
from models.notifications.outbox import opted_out, set_opt_outs
from models.notifications.tables import NotificationKind
from models.people import accounts, throttle, tokens
from models.people.inputs import PasswordChangeIn, TokenIn
from models.people.sign_in import note_failure
from models.people.users import find_by_calendar_token
from models.permissions import READERS
from views.auth import limits
from views.support.access import allow, public
from views.support.forms import parse_form
from views.support.saving import save
from views.support.session import get_db

bp = Blueprint("account", __name__)


def base_url() -> str:
    """Where links in feeds and e-mails point: DRILLBOOK_BASE_URL, else this request's own address."""
    return current_app.config.get("BASE_URL") or request.url_root


@bp.route("/account")
@allow(*READERS)
def index():
    """Show whether a calendar feed is issued, and which notifications the person gets."""
    return _index_page()


def _index_page(feed_url: str | None = None):
    return render_template(
        "account/index.html",
        feed_url=feed_url,
        kinds=list(NotificationKind),
        off=opted_out(get_db(), current_user),
    )


@bp.route("/account/language", methods=["POST"])
@allow(*READERS)
def language():
    """Choose the language to read Drillbook in, or follow the browser's."""
    chosen = request.form.get("language") or None
    try:
        accounts.set_language(get_db(), current_user, chosen)
    except RecordError as exc:
        flash(exc.errors["language"], "error")
        return redirect(url_for("account.index", _anchor="language")), 303
    get_db().commit()
    flash(_("Your language is saved."), "success")
    return redirect(url_for("account.index", _anchor="language"))


@bp.route("/account/notifications", methods=["POST"])
@allow(*READERS)
def notifications():
    """Turn kinds of notification on or off: the ticked ones are sent, by e-mail."""
    ticked = set(request.form.getlist("kind"))
    set_opt_outs(get_db(), current_user, {kind for kind in NotificationKind if kind.value not in ticked})
    get_db().commit()
    flash(_("Your notification choices are saved."), "success")
    return redirect(url_for("account.index", _anchor="notifications"))


@bp.route("/account/password", methods=["GET", "POST"])
@allow(*READERS)
def change_password():
    """Change one's own password: the current one is needed, and every other session ends.

    Wrong current passwords count against the sign-in limit, so a borrowed session
    cannot be used to guess the password.
    """
    if current_user.signs_in_with_provider:
        abort(403, description="You sign in through your identity provider; your password is kept there, not here.")
    if request.method == "GET":
        return render_template("account/password.html", errors={})
    db = get_db()
    address = request.remote_addr or "unknown"
    refused = throttle.lockout(db, current_user.email, address, limits())
    if refused is not None:
        return render_template("account/password.html", errors={"current_password": refused.message}), 429
    data, errors = parse_form(PasswordChangeIn, request.form)
    result = save(lambda: accounts.change_own_password(db, current_user, validate(PasswordChangeIn, data)), errors)
    if not result.ok:
        if "current_password" in result.errors and data.get("current_password"):
            note_failure(db, current_user.email, address, limits(), "password_check_failed")
            db.commit()
        return render_template("account/password.html", errors=result.errors), 422
    user, started = current_user._get_current_object(), session.get("signed_in_at")
    session.clear()
    login_user(user)
    session["signed_in_at"] = started  # a new session cookie, but the 12 hours still count from the sign-in
    flash("Password changed. Every other session of yours has been signed out.", "success")
    return redirect(url_for("account.index"))


def _tokens_page(values: dict, errors: dict, secret: str | None = None, status: int = 200):
    return render_template(
        "account/tokens.html",
        tokens=tokens.tokens_of(get_db(), current_user),
        values=values,
        errors=errors,
        secret=secret,
        scopes=[(s.value, s.label) for s in tokens.Scope],
        today=org_today(),
    ), status


@bp.route("/account/tokens", methods=["GET", "POST"])
@allow(*READERS)
def access_tokens():
    """The person's API tokens; a new one is shown once, then only its first characters."""
    default = {"scope": tokens.Scope.READ.value, "expires_on": (org_today() + timedelta(days=90)).isoformat()}
    if request.method == "GET":
        return _tokens_page(default, {})
    data, errors = parse_form(TokenIn, request.form)
    result = save(lambda: accounts.issue_token(get_db(), current_user, validate(TokenIn, data), org_today()), errors)
    if not result.ok:
        return _tokens_page(request.form.to_dict(), result.errors, status=422)
    flash("Token created. Copy it now: it is shown only once.", "success")
    return _tokens_page(default, {}, secret=result.value, status=201)


@bp.route("/account/tokens/<id:token_id>/revoke", methods=["POST"])
@allow(*READERS)
def revoke_token(token_id: int):
    """Stop one of one's own tokens at once; another person's token id is simply not found."""
    record = accounts.revoke_token(get_db(), current_user, token_id, utcnow())
    if record is None:
        abort(404)
    get_db().commit()
    flash(f"Token “{record.name}” revoked.", "success")
    return redirect(url_for("account.access_tokens"))


@bp.route("/account/calendar", methods=["POST"])
@allow(*READERS)
def issue_calendar():
    """Issue a new secret feed URL, shown once; any earlier URL stops working."""
    db = get_db()
    token = accounts.issue_calendar_address(db, current_user)
    db.commit()
    feed_url = base_url().rstrip("/") + url_for("account.calendar", token=token)
    flash(_("New calendar address issued. Copy it now: it is shown only once."), "success")
    return _index_page(feed_url)


@bp.route("/account/calendar/revoke", methods=["POST"])
@allow(*READERS)
def revoke_calendar():
    """Stop the feed; calendars subscribed to it get nothing more."""
    accounts.revoke_calendar_address(get_db(), current_user)
    get_db().commit()
    flash(_("Calendar address revoked."), "success")
    return _index_page()


@bp.route("/calendar/<token>.ics")
@public
def calendar(token: str):
    """The feed itself, authorised by the secret in its address (calendar apps cannot sign in)."""
    db = get_db()
    user = find_by_calendar_token(db, token)
    if user is None:
        abort(404)
    actions = list_actions(db, status="outstanding", owner_id=user.id)
    body = calendar_feed(actions, base_url(), urlsplit(base_url()).hostname or "drillbook", utcnow())
    return Response(body, mimetype="text/calendar", headers={"Cache-Control": "private, max-age=300"})

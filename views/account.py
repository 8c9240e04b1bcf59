"""The signed-in user's own settings: the private calendar feed of their action due dates."""

from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, flash, render_template, request, url_for
from flask_login import current_user

from models import queries
from models.calendar import calendar_feed
from models.types import utcnow
from models.users import find_by_calendar_token
from views.access import READERS, allow, public
from views.database import get_db

bp = Blueprint("account", __name__)


def base_url() -> str:
    """Where links in feeds and e-mails point: DRILLBOOK_BASE_URL, else this request's own address."""
    return current_app.config.get("BASE_URL") or request.url_root


@bp.route("/account")
@allow(*READERS)
def index():
    """Show whether a calendar feed is issued."""
    return render_template("account/index.html", feed_url=None)


@bp.route("/account/calendar", methods=["POST"])
@allow(*READERS)
def issue_calendar():
    """Issue a new secret feed URL, shown once; any earlier URL stops working."""
    db = get_db()
    token = current_user.issue_calendar_token()
    db.commit()
    feed_url = base_url().rstrip("/") + url_for("account.calendar", token=token)
    flash("New calendar address issued. Copy it now: it is shown only once.", "success")
    return render_template("account/index.html", feed_url=feed_url)


@bp.route("/account/calendar/revoke", methods=["POST"])
@allow(*READERS)
def revoke_calendar():
    """Stop the feed; calendars subscribed to it get nothing more."""
    current_user.revoke_calendar_token()
    get_db().commit()
    flash("Calendar address revoked.", "success")
    return render_template("account/index.html", feed_url=None)


@bp.route("/calendar/<token>.ics")
@public
def calendar(token: str):
    """The feed itself, authorised by the secret in its address (calendar apps cannot sign in)."""
    db = get_db()
    user = find_by_calendar_token(db, token)
    if user is None:
        abort(404)
    actions = queries.list_actions(db, status="outstanding", owner_id=user.id)
    body = calendar_feed(actions, base_url(), urlsplit(base_url()).hostname or "drillbook", utcnow())
    return Response(body, mimetype="text/calendar", headers={"Cache-Control": "private, max-age=300"})

"""One database session per request, kept on `g` and closed at teardown; and how long a signed-in session lasts."""

import time
from collections.abc import Iterator
from contextlib import contextmanager

from flask import abort, current_app, flash, g, request, session
from flask_login import current_user
from sqlmodel import Session

from models import audit
from models.core.database import open_session
from models.people.users import User
from views.support.forms import record_id

#: methods that never change anything, so their session need not take the write lock
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


_WRITES = "_drillbook_writes"


def writes(view):
    """Mark a GET view that writes (the identity provider's callback): its session takes the write lock
    from its first statement, as a POST's does, so two at once wait their turn instead of failing."""
    setattr(view, _WRITES, True)
    return view


def _writes() -> bool:
    if not request or request.method not in SAFE_METHODS:
        return True
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    return bool(getattr(view, _WRITES, False))


def get_db() -> Session:
    """The request's session; a POST's session holds the write lock from its first statement.

    A POST opens it only when its view first reads or writes, never while authenticating, and the
    signed-in person is read again inside it, so the lock is not held while a body streams and what
    the view does it does as the person is now: one signed out or deactivated meanwhile gets a 401.
    """
    if "db" not in g:
        g.db = open_session(current_app.extensions["drillbook.engine"], write=_writes())
        if (reader := g.pop("auth_db", None)) is not None:
            reader.close()  # its work is done: no request holds two connections, nor a read open while it writes
        if isinstance(known := g.get("_login_user"), User) and known not in g.db:
            user = g.db.get(User, known.id)
            if user is None or not user.is_active or user.session_nonce != known.session_nonce:
                abort(401)
            g._login_user = user
    return g.db


def auth_db() -> Session:
    """The session that finds who is asking: the request's own for a read; a lock-free read for a POST."""
    if not _writes():
        return get_db()
    if "auth_db" not in g:
        g.auth_db = open_session(current_app.extensions["drillbook.engine"])
    return g.auth_db


def close_db(exc: BaseException | None = None) -> None:
    """Close, which rolls back whatever was not committed: an error never leaves half a record.

    Closing detaches the loaded records without first expiring each of them, as a rollback would:
    a drill page loads thousands.
    """
    for name in ("db", "auth_db"):
        db = g.pop(name, None)
        if db is not None:
            db.close()


def load_user(identity: str) -> User | None:
    """Flask-Login's loader: the session identity is "id:nonce", so a rotated nonce signs out."""
    user_id, _, nonce = identity.partition(":")
    if (number := record_id(user_id)) is None:
        return None
    user = auth_db().get(User, number)
    if user is None or not user.is_active or user.session_nonce != nonce:
        return None
    return user


@contextmanager
def own_write() -> Iterator[Session]:
    """A short write transaction of its own, committed on leaving, so that a GET's session stays a read."""
    with open_session(current_app.extensions["drillbook.engine"], write=True) as session:
        yield session
        session.commit()


def record_event(action: str, entity_type: str = "", entity_id=None, after=None) -> None:
    """Append to the audit trail from a read-only request (an export, say)."""
    with own_write() as session:
        audit.record(
            session,
            action,
            actor=current_user.email,
            actor_id=current_user.id,
            entity_type=entity_type,
            entity_id=entity_id,
            after=after,
        )


def start_session_clock(_app, user=None, **_extra) -> None:
    """On sign-in (Flask-Login's `user_logged_in` signal): the moment both session limits count from."""
    session["signed_in_at"] = session["seen_at"] = int(time.time())


def end_stale_session() -> None:
    """Before anything loads the person: a session idle past DRILLBOOK_SESSION_IDLE_MINUTES, or older than
    DRILLBOOK_SESSION_MAX_HOURS since sign-in, ends here, whatever its cookie's age or origin.

    A cookie from before these limits carries no clock and ends too. The clock moves at most once a
    minute, so a page full of requests does not rewrite the cookie each time.
    """
    if "_user_id" not in session:
        return
    now, started, seen = int(time.time()), session.get("signed_in_at"), session.get("seen_at")
    idle = int(current_app.config["SESSION_IDLE_MINUTES"]) * 60
    longest = int(current_app.config["SESSION_MAX_HOURS"]) * 3600
    if not isinstance(started, int) or not isinstance(seen, int) or now - seen > idle or now - started > longest:
        session.clear()
        g.session_ended = True
        flash("Your session has ended; please sign in again.", "info")
    elif now - seen >= 60:
        session["seen_at"] = now

"""The one way a form is saved: call the domain, commit once, or hand back what went wrong."""

from collections.abc import Callable
from typing import TypeVar

from flask import abort, render_template
from sqlalchemy.orm.exc import StaleDataError

from models.core.errors import NotAllowed, RecordError, StaleEdit
from views.support.session import get_db

T = TypeVar("T")


class Outcome:
    """What a save produced: the saved object, field errors, or a stale edit."""

    def __init__(self, value=None, errors: dict[str, str] | None = None, stale: StaleEdit | None = None):
        self.value, self.errors, self.stale = value, errors or {}, stale

    @property
    def ok(self) -> bool:
        return not self.errors and self.stale is None


def commit_once(action: Callable[[], T], commit: bool = True) -> T:
    """Run `action` and commit its work once; roll back on any exception, and report a version clash as StaleEdit.

    Pages (through `save`) and the API both write through here, so a concurrent edit caught only
    when the row is written is a stale edit (409) everywhere, never a 500.
    """
    db = get_db()
    try:
        value = action()
        if commit:
            db.commit()
        return value
    except StaleDataError:
        db.rollback()
        raise StaleEdit([]) from None
    except BaseException:
        db.rollback()
        raise


def save(action: Callable[[], T], errors: dict[str, str] | None = None) -> Outcome:
    """Run `action` and commit; roll back on a broken rule, a stale version, or `errors` found while parsing.

    The domain checks run even when parsing already failed, so a person sees every problem at once.
    """
    errors = errors or {}
    try:
        value = commit_once(action, commit=not errors)
    except RecordError as exc:
        return Outcome(errors={**exc.errors, **errors})
    except StaleEdit as exc:
        return Outcome(stale=exc)
    except NotAllowed as exc:
        abort(403, description=str(exc))
    if errors:
        get_db().rollback()
        return Outcome(errors=errors)
    return Outcome(value=value)


def stale_page(stale: StaleEdit, back_url: str):
    """409: someone saved this record first; show what differs instead of overwriting it."""
    return render_template("errors/stale.html", changes=stale.changes, back_url=back_url), 409


def get_or_404(model, record_id: int):
    """The record with `record_id`, or a 404 page (also for a missing or unusable id)."""
    record = get_db().get(model, record_id) if record_id else None
    if record is None:
        abort(404)
    return record

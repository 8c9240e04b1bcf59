"""What every command shares: the blueprint the commands hang on, and sessions on a database whose schema is current."""

import click
from flask import Blueprint, current_app

from models.core.database import open_session
from models.core.schema import SchemaNotCurrent, require_current_schema

bp = Blueprint("commands", __name__, cli_group=None)


def engine():
    """The app's database engine."""
    return current_app.extensions["drillbook.engine"]


def require_current():
    """Stop the command with the fix named when the schema is not at the newest migration."""
    try:
        require_current_schema(engine())
    except SchemaNotCurrent as exc:
        raise click.ClickException(str(exc)) from None


def migrated_session():
    """A write session, after making sure the schema is current (else a clear error)."""
    require_current()
    return open_session(engine(), write=True)

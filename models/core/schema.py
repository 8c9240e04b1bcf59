"""Running and checking Alembic migrations, the only way the schema changes."""

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.exc import SQLAlchemyError

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic configuration for `url`, built in code so no alembic.ini is needed."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations up to `revision`."""
    command.upgrade(alembic_config(url), revision)


def head_revision() -> str:
    """The newest revision the code knows."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def is_known_revision(revision: str) -> bool:
    """Whether `revision` is one of this code's migrations, so a database at it can be upgraded to head."""
    try:
        return ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision(revision) is not None
    except CommandError:
        return False


def current_revision(engine: sa.Engine) -> str | None:
    """The revision the database is at, or None if it was never migrated."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


class SchemaNotCurrent(Exception):
    """The database cannot be used as it stands; the message names the command that fixes it."""


def require_current_schema(engine: sa.Engine) -> None:
    """Refuse to go on with a database that is not at the newest migration, naming the fix."""
    try:
        current = current_revision(engine)
    except SQLAlchemyError as exc:
        raise SchemaNotCurrent(
            f"Cannot open the database {engine.url!r}: {exc.__class__.__name__}: {exc.orig or exc}"
        ) from None
    head = head_revision()
    if current != head:
        state = "has never been migrated" if current is None else f"is at revision {current}, the code needs {head}"
        raise SchemaNotCurrent(f"The database {engine.url!r} {state}. Run: drillbook db upgrade")

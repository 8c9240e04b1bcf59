"""Migrations: the only way the schema changes, so they must work on a database that holds data."""

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from models.core.database import make_engine
from models.core.schema import alembic_config, current_revision, head_revision, upgrade
from tests.helpers import POSTGRES


def test_upgrade_keeps_existing_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    upgrade(url, "0003")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO user (email, name, role, title, active, session_nonce, created_at) VALUES ('a@x.test', 'A', 'editor', '', 1, 'n', '2020-01-01 00:00:00')"
        )
        conn.exec_driver_sql(
            "INSERT INTO action (title, description, team, priority, kind, status, created_at, completion_note, cancelled_reason, verification_method, verification_notes, owner_id) "
            "VALUES ('kept', '', '', 'medium', 'corrective', 'open', '2020-01-01 00:00:00', '', '', '', '', 1)"
        )
    upgrade(url)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT title, verification_evidence, version FROM action").one() == ("kept", "", 1)
    engine.dispose()


def test_downgrade_to_nothing_and_back(empty_database_url):
    url = empty_database_url
    upgrade(url)
    command.downgrade(alembic_config(url), "base")
    engine = make_engine(url)
    assert set(sa.inspect(engine).get_table_names()) == {"alembic_version"}
    upgrade(url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM control").scalar() == 93 + 23
    engine.dispose()


def test_the_suite_runs_on_the_database_it_was_asked_for(app):
    expected = "postgresql" if POSTGRES else "sqlite"
    assert app.extensions["drillbook.engine"].dialect.name == expected


#: indexes on expressions, which the comparison cannot reflect and skips with these warnings: checked by name below
EXPRESSION_INDEXES = {"ix_finding_newest"}


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
def test_the_migrations_build_what_the_models_describe(database_url):
    """Tables, columns, indexes and keys: a model change without its migration (or the reverse) fails here."""
    engine = make_engine(database_url)
    with engine.connect() as conn:
        differences = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": False}), SQLModel.metadata
        )
        listed = (
            "SELECT indexname FROM pg_indexes"
            if engine.dialect.name == "postgresql"
            else "SELECT name FROM sqlite_master WHERE type = 'index'"
        )
        indexes = set(conn.exec_driver_sql(listed).scalars())
    engine.dispose()
    assert differences == []
    assert indexes >= EXPRESSION_INDEXES

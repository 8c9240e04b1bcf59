"""Alembic environment: runs migrations against the URL that models.core.schema puts in the config."""

from alembic import context
from sqlmodel import SQLModel

import models  # noqa: F401  (registers every table on SQLModel.metadata)
from models.core.database import make_engine

config = context.config


def run_migrations_online() -> None:
    """Migrate over one connection; batch mode lets SQLite alter tables by copying them."""
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode rebuilds a table by copy, drop and rename; with foreign keys enforced, the drop of
        # a referenced table fails. Turn them off outside any transaction, then check them afterwards.
        connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    if sqlite:
        broken = connection.connection.dbapi_connection.execute("PRAGMA foreign_key_check").fetchall()
        connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")
        if broken:
            raise RuntimeError(f"migration left rows with broken foreign keys: {broken[:5]}")


if context.is_offline_mode():
    raise SystemExit("Offline migrations are not supported; run `drillbook db upgrade`.")
run_migrations_online()

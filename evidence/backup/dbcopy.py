"""Copying the whole database out and back in, with each engine's own consistent tools.

SQLite: the online backup API, which copies a consistent snapshot while other processes keep
writing (WAL readers never block writers). PostgreSQL: pg_dump inside a snapshot exported from
a read-only REPEATABLE READ transaction, so whatever else the caller reads in that transaction
(the evidence files to copy, the record counts) describes exactly the dumped data; pg_restore
loads it back in a single transaction, all or nothing. Passwords go to pg_dump and pg_restore
through the environment, never on a command line that other users can list.
"""

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import sqlalchemy as sa


class CopyError(Exception):
    """The database could not be copied out or loaded; the message says why and what to do."""


#: the database file inside a backup folder, per engine
FILE_NAMES = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}


def sqlite_path(url: str) -> Path:
    """The file a sqlite:/// URL points to."""
    return Path(sa.engine.make_url(url).database or "")


@contextmanager
def snapshot_out(engine: sa.Engine, url: str, target: Path) -> Iterator[sa.Connection]:
    """Write a consistent copy of the database to `target`; yields a connection that sees the same data."""
    if engine.dialect.name == "sqlite":
        with closing(sqlite3.connect(sqlite_path(url), timeout=30)) as source, closing(sqlite3.connect(target)) as copy:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        inspector = sa.create_engine(f"sqlite:///{target}")
        try:
            with inspector.connect() as conn:
                yield conn
        finally:
            inspector.dispose()
        return
    with (
        engine.connect().execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True) as conn,
        conn.begin(),
    ):
        exported = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
        _run_pg(
            "pg_dump",
            url,
            ["--format=custom", "--no-owner", "--no-privileges", f"--snapshot={exported}", f"--file={target}"],
        )
        yield conn


def load_in(engine: sa.Engine, url: str, source: Path) -> None:
    """Load a copy made by `snapshot_out` into the (empty) database behind `engine`."""
    if engine.dialect.name == "sqlite":
        engine.dispose()
        target = sqlite_path(url)
        for leftover in (target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
            leftover.unlink(missing_ok=True)
        with closing(sqlite3.connect(source)) as original, closing(sqlite3.connect(target)) as restored:
            original.backup(restored)
            restored.execute("PRAGMA journal_mode=WAL")
        return
    _run_pg(
        "pg_restore", url, ["--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges", str(source)]
    )


def drop_loaded(engine: sa.Engine, url: str) -> None:
    """Undo `load_in` after a failed check: the database was empty before, so it is made empty again."""
    if engine.dialect.name == "sqlite":
        engine.dispose()
        target = sqlite_path(url)
        for path in (target, target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
            path.unlink(missing_ok=True)
        return
    with engine.begin() as conn:
        for table in sa.inspect(conn).get_table_names():
            conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{table}" CASCADE')


def _run_pg(program: str, url: str, arguments: list[str]) -> None:
    """Run pg_dump or pg_restore against `url`; CopyError with its own message when it fails."""
    if shutil.which(program) is None:
        raise CopyError(
            f"{program} is not installed. Install PostgreSQL's client tools (Debian: apt-get install postgresql-client), "
            "in a version at least as new as the server."
        )
    parsed = sa.engine.make_url(url)
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    conninfo = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    result = subprocess.run(
        [program, *arguments, f"--dbname={conninfo}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if result.returncode != 0:
        raise CopyError(f"{program} failed: {result.stderr.strip() or f'exit status {result.returncode}'}")

"""Engine and session set-up: SQLite with WAL and immediate write transactions, or PostgreSQL."""

import hashlib

import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import Session

#: execution option that makes a SQLite transaction take the write lock at BEGIN
IMMEDIATE = "drillbook_begin_immediate"


def make_engine(url: str) -> sa.Engine:
    """Create the engine for `url`, tuned so several workers can write without losing anything."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30})
        _tune_sqlite(engine)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def _tune_sqlite(engine: sa.Engine) -> None:
    """WAL, foreign keys, a busy timeout, and BEGIN IMMEDIATE for write sessions.

    pysqlite's own transaction handling is switched off so that SQLAlchemy's BEGIN is the
    one that runs; a write session asks for IMMEDIATE so two writers queue on the busy
    timeout instead of failing later with "database is locked" on lock upgrade.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = "IMMEDIATE" if conn.get_execution_options().get(IMMEDIATE) else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


def open_session(engine: sa.Engine, write: bool = False) -> Session:
    """A session; with `write`, its transaction starts now and holds SQLite's write lock."""
    session = Session(engine, expire_on_commit=False)
    if write:
        session.connection(execution_options={IMMEDIATE: True})
    return session


def serialise(session: Session, *names: str) -> None:
    """Hold `names` until the session's transaction ends, so two requests that check-then-write the same
    thing (a sign-in limit, a queue) take turns: a PostgreSQL advisory lock per name, taken in one order so
    two holders never wait on each other. On SQLite a write session already holds the one write lock."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted(
        {int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True) for name in names}
    ):
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

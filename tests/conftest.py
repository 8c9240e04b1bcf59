"""Fixtures: a fresh, migrated database per test, a client, a CLI runner, and signed-in users per role."""

import contextlib
import email
import email.policy
import gc
import hashlib
import itertools
import os
import socket
import sqlite3
import threading

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from argon2 import PasswordHasher
from werkzeug.serving import make_server

import models.people.users
from app import create_app
from evidence.intake import store_evidence
from models.core.database import open_session
from models.core.schema import upgrade
from models.core.types import utcnow
from models.drills.demo import load_reference_drill
from models.drills.tables import Drill, DrillKind
from models.people.users import Role, add_user
from models.reports import IssuedReport, ReportKind
from models.signoff.workflow import sign, submit_for_review
from tests.helpers import PASSWORD, POSTGRES, Auth
from tests.oidc import TestProvider


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing():
    """Argon2 with minimal cost: the suite signs in hundreds of times; production keeps the default."""
    original = models.people.users.password_hasher
    models.people.users.password_hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    yield
    models.people.users.password_hasher = original


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    """One database migrated to head, copied for every test so each starts fresh and fast."""
    if POSTGRES:
        admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {TEMPLATE}")
            conn.exec_driver_sql(f"CREATE DATABASE {TEMPLATE}")
        upgrade(POSTGRES.rsplit("/", 1)[0] + "/" + TEMPLATE)
        yield admin
        admin.dispose()
        return
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    upgrade(f"sqlite:///{path}")
    yield path


_numbers = itertools.count()
#: each pytest-xdist worker migrates a template of its own: PostgreSQL copies a template only while nobody else uses it
TEMPLATE = f"drillbook_template_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


@contextlib.contextmanager
def _postgres_database(admin, prefix: str, template: str):
    """A new PostgreSQL database made from `template`, dropped afterwards; yields its URL."""
    name = f"{prefix}_{os.getpid()}_{next(_numbers)}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE {template}")
    try:
        yield POSTGRES.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def database_url(tmp_path, migrated_template):
    """URL of this test's own database, a copy of the migrated template."""
    if POSTGRES:
        with _postgres_database(migrated_template, "test", TEMPLATE) as url:
            yield url
        return
    target = tmp_path / "drillbook.sqlite"
    with sqlite3.connect(migrated_template) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    yield f"sqlite:///{target}"


@pytest.fixture
def empty_database_url(tmp_path, migrated_template):
    """URL of a second database with no tables at all, as a new instance starts."""
    if POSTGRES:
        with _postgres_database(migrated_template, "empty", "template0") as url:
            yield url
        return
    yield f"sqlite:///{tmp_path / 'empty.sqlite'}"


def make_app(tmp_path, database_url, **settings):
    """The app on this test's database and instance folder, with `settings` on top.

    The garbage collector is paused while the app is made: a finaliser run in the middle of Werkzeug
    compiling its URL rules (an earlier test's abandoned connection, say) trips CPython 3.11's check in
    the AST constructor ("recursion depth mismatch"), failing a test that did nothing wrong.
    """
    gc.disable()
    try:
        return _create(tmp_path, database_url, settings)
    finally:
        gc.enable()


def _create(tmp_path, database_url, settings):
    return create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATABASE_URL": database_url,
            "REPORT_POLL_SECONDS": 0,  # claims happen on request and as renders end; no thread outlives its test
            "NOTIFY_POLL_SECONDS": 0,  # notifications go out after the request that queued them
            **settings,
        }
    )


def close_app(app) -> None:
    app.extensions["drillbook.outbox"].drain()  # no delivery thread outlives its test's database
    if POSTGRES:  # connections a test abandoned are finalised now, while their database still exists
        gc.collect()
    app.extensions["drillbook.engine"].dispose()


@pytest.fixture
def app(tmp_path, database_url):
    """The app on this test's database and instance folder."""
    app = make_app(tmp_path, database_url)
    yield app
    close_app(app)


@pytest.fixture(scope="session")
def oidc_provider():
    """A real OpenID provider on loopback (tests/oidc_provider.mjs), one per test process."""
    provider = TestProvider()
    yield provider
    provider.stop()


@contextlib.contextmanager
def serving(app):
    """`app` served over HTTP on a free loopback port while the block runs; gives its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@pytest.fixture
def live_server(app):
    """The app served over HTTP on a free loopback port, for browsers and scripts; yields its base URL."""
    with serving(app) as base:
        yield base


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    """A session for arranging and checking data; it takes the write lock only while it writes."""
    session = open_session(app.extensions["drillbook.engine"])
    yield session
    session.rollback()
    session.close()


@pytest.fixture
def users(db):
    """One signed-in-capable user per role, e-mail "<role>@example.test"."""
    created = {role: add_user(db, f"{role.value}@example.test", role.label, role, PASSWORD) for role in Role}
    db.commit()
    return created


@pytest.fixture
def demo(db):
    """The reference drill, loaded."""
    drill, _ = load_reference_drill(db)
    db.commit()
    return drill


@pytest.fixture
def vault(app):
    return app.extensions["drillbook.vault"]


@pytest.fixture
def evidence_item(db, vault, users, demo):
    """A small text file stored as evidence for the reference drill and control A.5.30."""
    record = store_evidence(
        db,
        vault,
        [b"failover log\n05:00 start\n"],
        "failover.log",
        {"drill_id": demo.id, "collected_on": "2020-06-13"},
        users[Role.EDITOR],
        10_000,
        "A.5.30",
    )
    db.commit()
    return record


@pytest.fixture
def signoff(db, users):
    """A small drill, submitted by the editor and signed by the approver; returns the sign-off."""
    drill = Drill(title="Signed tabletop", kind=DrillKind.TABLETOP, actual_start=utcnow(), actual_end=utcnow())
    db.add(drill)
    db.flush()
    submit_for_review(db, drill, users[Role.EDITOR])
    record = sign(db, drill, users[Role.APPROVER], PASSWORD, "True account.", True, "A tabletop: nothing failed over.")
    db.commit()
    return record


@pytest.fixture
def issued(db, vault, users):
    """A register entry for a small stored file, as if a report had been issued."""
    data = b"%PDF-1.7 stand-in for an issued report"
    vault.commit(vault.receive([data], len(data)))
    record = IssuedReport(
        sha256=hashlib.sha256(data).hexdigest(),
        kind=ReportKind.ACTIONS,
        title="Action follow-up report",
        subject="actions",
        size=len(data),
        issued_by="auditor@example.test",
    )
    db.add(record)
    db.commit()
    return record


@pytest.fixture
def auth(client, users):
    return Auth(client)


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def smtp(app):
    """A real SMTP server on loopback (aiosmtpd), the app configured to send through it; its inbox."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=port,
        SMTP_FROM="drillbook@example.test",
        BASE_URL="https://drillbook.example.test/",
    )
    yield inbox
    controller.stop()

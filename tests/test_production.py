"""Serving as in production: gunicorn with several workers, and several processes writing at once."""

import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from models import audit
from tests.helpers import gunicorn, reread

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent

WRITER = """
import sys
from app import create_app
from models import audit
from models.core.database import open_session
app = create_app({"INSTANCE_PATH": sys.argv[1], "DATABASE_URL": sys.argv[2]})
engine = app.extensions["drillbook.engine"]
for i in range(int(sys.argv[4])):
    with open_session(engine, write=True) as session:
        audit.record(session, "test", actor=f"process-{sys.argv[3]}", entity_id=i)
        session.commit()
"""


def test_several_processes_writing_at_once_lose_nothing(tmp_path, database_url, db):
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path / "instance"), database_url, str(n), "40"],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    errors = [p.communicate(timeout=120)[1] for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0, 0], errors
    assert not any("database is locked" in e for e in errors)
    reread(db)
    assert audit.event_count(db) == 160 and audit.first_broken(db) is None


def test_gunicorn_serves_the_app_with_several_workers(tmp_path, database_url):
    env = {"DRILLBOOK_INSTANCE_PATH": str(tmp_path / "instance"), "DRILLBOOK_DATABASE_URL": database_url}
    with gunicorn(env) as base:
        pages = {urllib.request.urlopen(f"{base}/login", timeout=5).status for _ in range(10)}
    assert pages == {200}


def test_workers_starting_together_share_one_secret_key(tmp_path):
    script = "import sys; from app import _instance_path, _instance_secret; print(_instance_secret(_instance_path(sys.argv[1])))"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(tmp_path / "instance")], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        for _ in range(6)
    ]
    keys = {p.communicate(timeout=60)[0].strip() for p in processes}
    assert len(keys) == 1 and len(keys.pop()) == 64
    key_file = tmp_path / "instance" / "secret_key"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in key_file.parent.iterdir()] == ["secret_key"]

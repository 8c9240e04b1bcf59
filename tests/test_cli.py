"""The `drillbook` commands, run the way a person runs them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import select

from models.core.schema import head_revision
from models.people.users import Role, User, authenticate

ROOT = Path(__file__).resolve().parent.parent


def drillbook(*args, env=None, input=None):
    """Run the real console entry point in a subprocess, as `make run` does."""
    return subprocess.run(
        [sys.executable, "-c", "import app; app.main()", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        input=input,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_user_add_with_password_from_stdin(runner, db):
    result = runner.invoke(
        args=["user", "add", "Ann@Example.test", "--role", "approver", "--title", "CTO", "--password-stdin"],
        input="a sufficiently long one\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created approver ann@example.test" in result.output
    user = authenticate(db, "ann@example.test", "a sufficiently long one")
    assert user is not None and user.role == Role.APPROVER and user.title == "CTO"


def test_user_add_prompts_for_the_password_twice(runner, db):
    result = runner.invoke(
        args=["user", "add", "bob@example.test", "--role", "editor"],
        input="a sufficiently long one\na sufficiently long one\n",
    )
    assert result.exit_code == 0, result.output
    assert authenticate(db, "bob@example.test", "a sufficiently long one") is not None


@pytest.mark.parametrize(
    "args, password, message",
    [
        (["user", "add", "c@example.test", "--role", "editor"], "short", "at least 12 characters"),
        (["user", "add", "not-an-email", "--role", "editor"], "long enough password", "is not an e-mail address"),
        (
            ["user", "add", "c@example.test", "--role", "superuser"],
            "long enough password",
            "Invalid value for '--role'",
        ),
    ],
)
def test_user_add_refuses_bad_input_clearly(runner, db, args, password, message):
    result = runner.invoke(args=[*args, "--password-stdin"], input=password + "\n")
    assert result.exit_code != 0
    assert message in result.output
    assert db.exec(select(User)).all() == []


def test_user_add_refuses_a_duplicate(runner, users):
    result = runner.invoke(
        args=["user", "add", "editor@example.test", "--role", "editor", "--password-stdin"],
        input="long enough password\n",
    )
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_bootstrap_admin_prints_a_random_password_once(runner, db):
    first = runner.invoke(args=["user", "bootstrap-admin"])
    assert first.exit_code == 0, first.output
    password = first.output.split("shown this once: ")[1].strip()
    assert len(password) >= 20
    assert authenticate(db, "admin@localhost", password).role == Role.ADMIN
    second = runner.invoke(args=["user", "bootstrap-admin"])
    assert "exists already" in second.output and password not in second.output


def test_bootstrap_admin_takes_credentials_from_the_environment(runner, db, monkeypatch):
    monkeypatch.setenv("DRILLBOOK_ADMIN_EMAIL", "root@example.test")
    monkeypatch.setenv("DRILLBOOK_ADMIN_PASSWORD", "chosen by the operator")
    result = runner.invoke(args=["user", "bootstrap-admin"])
    assert result.exit_code == 0 and "shown this once" not in result.output
    assert authenticate(db, "root@example.test", "chosen by the operator") is not None


def test_demo_command_is_idempotent(runner):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0 and "Loaded the reference drill: /drills/1" in first.output
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0 and "already loaded" in second.output


def test_fresh_instance_needs_migrating_and_says_how(tmp_path):
    env = {"DRILLBOOK_INSTANCE_PATH": str(tmp_path / "inst")}
    refused = drillbook("demo", env=env)
    assert refused.returncode == 1
    assert "has never been migrated. Run: drillbook db upgrade" in refused.stderr
    assert "Traceback" not in refused.stderr
    upgraded = drillbook("db", "upgrade", env=env)
    assert upgraded.returncode == 0 and f"revision {head_revision()}" in upgraded.stdout
    assert drillbook("demo", env=env).returncode == 0


def test_the_web_app_refuses_to_start_on_an_unmigrated_database(tmp_path):
    from app import StartupError, create_app

    with pytest.raises(StartupError, match="Run: drillbook db upgrade"):
        create_app({"INSTANCE_PATH": str(tmp_path)})


def test_instance_folder_that_cannot_be_created_is_a_clear_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = drillbook("db", "upgrade", env={"DRILLBOOK_INSTANCE_PATH": str(blocker / "instance")})
    assert result.returncode == 1
    assert "Cannot create the instance folder" in result.stderr and "Traceback" not in result.stderr


def test_bad_time_zone_is_a_clear_error(tmp_path):
    result = drillbook(
        "db", "current", env={"DRILLBOOK_INSTANCE_PATH": str(tmp_path), "DRILLBOOK_TIMEZONE": "Mars/Olympus"}
    )
    assert result.returncode == 1 and "is not a time zone name" in result.stderr

"""Backup and restore of Drillbook itself: identical records and hashes, checks that refuse damage, and the restore drill."""

import base64
import json
import os
import sqlite3
import stat
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel, select

from app import create_app
from evidence.backup import restore as restore_module
from evidence.backup.backup import file_sha256, read_manifest, stored_path
from evidence.intake import store_evidence
from evidence.witness import Checkpoint
from models import audit
from models.core.database import open_session
from models.drills.tables import Drill, StepOutcome
from models.evidence import Evidence
from models.people.users import Role
from tests.helpers import Auth, sign_demo

pytestmark = [pytest.mark.usefixtures("users", "demo"), pytest.mark.slow]


def rows(engine: sa.Engine) -> dict[str, set[tuple]]:
    """Every row of every table, as comparable tuples."""
    with engine.connect() as conn:
        return {
            table.name: {tuple(row) for row in conn.execute(sa.select(table))}
            for table in SQLModel.metadata.sorted_tables
        }


@pytest.fixture
def source(app, db, users, demo, evidence_item, issued):
    """The instance to back up: the reference drill signed, an evidence file and an issued report."""
    sign_demo(db, demo, users)
    store_evidence(
        db,
        app.extensions["drillbook.vault"],
        [b"second file\n" * 100],
        "dns.log",
        {"drill_id": None},
        users[Role.EDITOR],
        10**6,
        "A.8.13",
    )
    db.commit()
    return app


@pytest.fixture
def target(app, tmp_path, empty_database_url):
    """A new, empty instance holding the source's instance key (kept apart from backups), as the command line starts it."""
    app = create_app(
        {
            "TESTING": True,
            "CHECK_SCHEMA": False,
            "INSTANCE_PATH": str(tmp_path / "restored"),
            "DATABASE_URL": empty_database_url,
            "SIGNING_KEY": str(Path(app.config["INSTANCE_PATH"]) / "keys" / "instance-ed25519.pem"),
        }
    )
    yield app
    app.extensions["drillbook.engine"].dispose()


def run(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.output


def is_empty(app) -> bool:
    vault = app.extensions["drillbook.vault"]
    files = [p for p in vault.objects.rglob("*") if p.is_file()] if vault.objects.exists() else []
    return not sa.inspect(app.extensions["drillbook.engine"]).get_table_names() and not files


def test_backup_then_restore_gives_identical_records_and_hashes(source, target, tmp_path):
    folder = tmp_path / "backup"
    code, output = run(source, "backup", str(folder))
    assert code == 0, output
    before = rows(source.extensions["drillbook.engine"])
    manifest = read_manifest(folder)
    # the backup's own audit entry comes after the snapshot, so the restored trail ends just before it
    assert before["audit_event"] and manifest.audit_entries == len(before["audit_event"]) - 1

    code, output = run(target, "restore", str(folder))
    assert code == 0, output
    after = rows(target.extensions["drillbook.engine"])

    backed_up = {
        t: {r for r in found if not (t == "audit_event" and r[0] > manifest.audit_entries)}
        for t, found in before.items()
    }
    held = {"notification"}  # what the original still had to send is restored as not sent: compared apart
    assert all(backed_up[t] <= after[t] for t in after if t not in held), (
        "a record of the backup is missing or different after the restore"
    )
    assert len(after["notification"]) == len(backed_up["notification"])
    added = {t: after[t] - backed_up[t] for t in after if after[t] - backed_up[t] and t not in held}
    engine = target.extensions["drillbook.engine"]
    with open_session(engine) as session:
        drill = session.exec(select(Drill).order_by(Drill.id.desc())).first()
        assert drill.title.startswith("Drillbook restored from its backup of")
        assert [c.code for c in drill.controls] == ["A.8.13"]
        assert drill.actual_start <= drill.actual_end and len(drill.steps) == 7
        assert all(s.outcome == StepOutcome.SUCCESS and s.ended_at >= s.started_at for s in drill.steps)
        manifest_evidence = session.exec(select(Evidence).where(Evidence.drill_id == drill.id)).one()
        assert manifest_evidence.original_name == "manifest.json" and [c.code for c in manifest_evidence.controls] == [
            "A.8.13"
        ]
        assert audit.first_broken(session) is None
    assert set(added) == {"drill", "drill_control", "step", "objective", "evidence", "evidence_control", "audit_event"}
    assert len(added["drill"]) == 1 and len(added["step"]) == 7 and len(added["evidence"]) == 1

    vault = target.extensions["drillbook.vault"]
    assert manifest.evidence_sha256 and all(vault.rehash(sha) == sha for sha in manifest.evidence_sha256)
    code, output = run(target, "verify")
    assert code == 0 and "chain intact" in output, output


def test_the_restored_instance_serves_its_people_and_shows_the_restore_drill(source, target, tmp_path):
    run(source, "backup", str(tmp_path / "backup"))
    assert run(target, "restore", str(tmp_path / "backup"))[0] == 0
    client = target.test_client()
    Auth(client).login_as(Role.AUDITOR)
    with open_session(target.extensions["drillbook.engine"]) as session:
        drill = session.exec(select(Drill).order_by(Drill.id.desc())).first()
    page = client.get(f"/drills/{drill.id}").get_data(as_text=True)
    assert "Drillbook restored from its backup" in page and "Walk the audit trail" in page and "A.8.13" in page


def test_a_backup_taken_while_people_write_is_consistent(source, target, tmp_path):
    """Writers keep adding evidence during the backup; the restore's own checks (counts, files, chain) must all hold."""
    vault, engine = source.extensions["drillbook.vault"], source.extensions["drillbook.engine"]
    stop, written = threading.Event(), []

    def writer():
        while not stop.is_set():
            with open_session(engine, write=True) as session:
                record = store_evidence(
                    session, vault, [f"log {len(written)}\n".encode() * 50], "live.log", {}, None, 10**6
                )
                session.commit()
                written.append(record.id)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 5:
            stop.wait(0.01)
        code, output = run(source, "backup", str(tmp_path / "backup"))
    finally:
        stop.set()
        thread.join()
    assert code == 0, output
    manifest = read_manifest(tmp_path / "backup")
    assert 5 <= manifest.records["evidence"] <= 2 + len(written)
    code, output = run(target, "restore", str(tmp_path / "backup"))
    assert code == 0, output


def test_backup_files_are_private_and_the_manifest_is_written_last(source, tmp_path):
    folder = tmp_path / "backup"
    assert run(source, "backup", str(folder))[0] == 0
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in folder.rglob("*") if p.is_file())
    manifest = json.loads((folder / "manifest.json").read_text())
    assert (folder / manifest["database"]["file"]).is_file()
    assert not list(folder.glob(".*.part"))


def test_a_backup_refuses_a_folder_in_use(source, tmp_path):
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "notes.txt").write_text("keep me")
    code, output = run(source, "backup", str(tmp_path / "used"))
    assert code == 1 and "not an empty folder" in output
    assert (tmp_path / "used" / "notes.txt").read_text() == "keep me"


def test_a_backup_to_a_place_that_cannot_be_written_says_so(source, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    code, output = run(source, "backup", str(tmp_path / "a-file" / "backup"))
    assert code == 1 and "Cannot write the backup" in output and "Traceback" not in output


def test_a_backup_stops_at_an_altered_vault_file_and_leaves_nothing(source, evidence_item, tmp_path):
    path = source.extensions["drillbook.vault"].path_for(evidence_item.sha256)
    os.chmod(path, 0o600)
    path.write_bytes(b"rewritten afterwards\n")
    code, output = run(source, "backup", str(tmp_path / "backup"))
    assert code == 1 and evidence_item.sha256 in output and "drillbook verify" in output
    assert not (tmp_path / "backup").exists()


def damage_file(folder, manifest, key):
    path = stored_path(folder, manifest.evidence_sha256[0])
    os.chmod(path, 0o600)
    path.write_bytes(path.read_bytes() + b"tampered")
    return manifest.evidence_sha256[0]


def damage_database(folder, manifest, key):
    path = folder / manifest.database.file
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    return "does not have the hash"


def drop_manifest(folder, manifest, key):
    (folder / "manifest.json").unlink()
    return "did not finish"


def garble_manifest(folder, manifest, key):
    (folder / "manifest.json").write_text('{"format": "drillbook-backup", "format_version": 1, "engine": "oracle"}')
    return "not a Drillbook backup manifest"


def other_engine(folder, manifest, key):
    data = json.loads((folder / "manifest.json").read_text())
    data["engine"] = "postgresql" if manifest.engine == "sqlite" else "sqlite"
    resign(folder, json.dumps(data), key)
    return "same database engine"


def miscount(folder, manifest, key):
    """Caught only after the database is loaded: the restore must undo the load."""
    data = json.loads((folder / "manifest.json").read_text())
    data["records"]["finding"] += 1
    resign(folder, json.dumps(data), key)
    return "finding: 6 in the backup, 5 restored"  # the reference drill has five findings


def raised_role(folder, manifest, key):
    """The attack: the auditor made an administrator in the copied database, every hash in the manifest recomputed."""
    path = folder / manifest.database.file
    if manifest.engine != "sqlite":
        path.write_bytes(path.read_bytes() + b"\0")  # a changed dump: what matters is the manifest rewritten to match
    else:
        with sqlite3.connect(path) as conn:
            conn.execute("UPDATE user SET role = 'admin' WHERE role = 'auditor'")
            conn.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
            conn.execute("DELETE FROM audit_event WHERE seq = (SELECT MAX(seq) FROM audit_event)")
    data = json.loads((folder / "manifest.json").read_text())
    data["database"].update(sha256=file_sha256(path), size=path.stat().st_size)
    (folder / "manifest.json").write_text(json.dumps(data))
    return "does not verify: the manifest was changed after the backup was made"


def resign(folder, text: str, key) -> None:
    """Rewrite the manifest and sign it with the instance key, to reach the checks that come after the signature."""
    body = text.encode()
    (folder / "manifest.json").write_bytes(body)
    (folder / "manifest.sig").write_bytes(base64.b64encode(key.sign(body)))


@pytest.mark.parametrize(
    "damage", [damage_file, damage_database, drop_manifest, garble_manifest, other_engine, miscount, raised_role]
)
def test_a_damaged_backup_is_refused_and_the_instance_stays_empty(source, target, tmp_path, damage):
    folder = tmp_path / "backup"
    assert run(source, "backup", str(folder))[0] == 0
    expected = damage(folder, read_manifest(folder), source.extensions["drillbook.key"])
    code, output = run(target, "restore", str(folder))
    assert code == 1 and expected in output, output
    assert "Traceback" not in output
    assert is_empty(target)


def test_a_restore_refuses_an_instance_that_is_not_empty(source, app, tmp_path):
    assert run(source, "backup", str(tmp_path / "backup"))[0] == 0
    before = rows(app.extensions["drillbook.engine"])
    code, output = run(app, "restore", str(tmp_path / "backup"))
    assert code == 1 and "needs an empty database" in output
    assert rows(app.extensions["drillbook.engine"]) == before


def test_a_restore_can_be_retried_after_a_refusal(source, target, tmp_path):
    folder = tmp_path / "backup"
    assert run(source, "backup", str(folder))[0] == 0
    sha = damage_file(folder, read_manifest(folder), None)
    assert run(target, "restore", str(folder))[0] == 1
    original = source.extensions["drillbook.vault"].path_for(sha).read_bytes()
    stored_path(folder, sha).write_bytes(original)
    code, output = run(target, "restore", str(folder))
    assert code == 0, output
    assert "Recorded as drill #" in output
    assert not is_empty(target)


def test_a_backup_restores_elsewhere_only_with_the_signing_keys_fingerprint(source, tmp_path, empty_database_url):
    folder = tmp_path / "backup"
    assert run(source, "backup", str(folder))[0] == 0
    elsewhere = create_app(
        {
            "TESTING": True,
            "CHECK_SCHEMA": False,
            "INSTANCE_PATH": str(tmp_path / "new"),
            "DATABASE_URL": empty_database_url,
        }
    )
    fingerprint = source.extensions["drillbook.key"].public.fingerprint
    code, output = run(elsewhere, "restore", str(folder))
    assert code == 1 and "not this instance's key" in output and is_empty(elsewhere)
    code, output = run(elsewhere, "restore", str(folder), "--key-fingerprint", "0" * 64)
    assert code == 1 and "not the expected" in output and is_empty(elsewhere)
    (folder / "manifest.sig").unlink()
    code, output = run(elsewhere, "restore", str(folder), "--key-fingerprint", fingerprint)
    assert code == 1 and "unsigned backup" in output and is_empty(elsewhere)
    elsewhere.extensions["drillbook.engine"].dispose()


def test_the_manifest_carries_the_signed_audit_checkpoint(source, tmp_path):
    folder = tmp_path / "backup"
    assert run(source, "backup", str(folder))[0] == 0
    manifest = read_manifest(folder)
    checkpoint = Checkpoint.parse(manifest.checkpoint)
    assert checkpoint.verifies(source.extensions["drillbook.key"].public) and checkpoint.seq == manifest.audit_entries
    assert checkpoint.hash == manifest.audit_last_hash


def test_a_database_file_swapped_after_its_check_is_refused(source, target, tmp_path, monkeypatch):
    """Someone who can write to the backup folder replaces the database while the evidence files are copied."""
    folder = tmp_path / "backup"
    assert run(source, "backup", str(folder))[0] == 0
    place = restore_module._place_files

    def then_swap(directory, manifest, vault, placed):
        place(directory, manifest, vault, placed)
        (directory / manifest.database.file).write_bytes(b"not the database that was checked")

    monkeypatch.setattr(restore_module, "_place_files", then_swap)
    code, output = run(target, "restore", str(folder))
    assert code == 1 and "changed during the restore" in output and is_empty(target)


def test_a_restored_copy_never_sends_what_the_original_had_queued(source, target, tmp_path, db, users):
    """A restored copy (a staging restore, say) would have e-mailed people and called real webhooks again."""
    from models.notifications.outbox import notify
    from models.notifications.tables import DeliveryStatus, Notification, NotificationKind

    notify(db, NotificationKind.SUBMITTED, [users[Role.APPROVER]], users[Role.EDITOR], "Awaiting", "Text", "/", {})
    db.commit()
    run(source, "backup", str(tmp_path / "backup"))
    code, output = run(target, "restore", str(tmp_path / "backup"))
    assert code == 0, output
    with open_session(target.extensions["drillbook.engine"]) as session:
        held = session.exec(select(Notification).where(Notification.subject == "Awaiting")).one()
        waiting = session.exec(select(Notification).where(Notification.status == DeliveryStatus.QUEUED)).all()
    assert held.status == DeliveryStatus.FAILED and "restored from a backup" in held.last_error and waiting == []
    assert target.extensions["drillbook.outbox"].deliver_due() == 0

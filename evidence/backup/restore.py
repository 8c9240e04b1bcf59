"""Restoring Drillbook from a backup into an empty instance, checking every hash on the way.

Nothing is written until the backup has shown it is whole: the manifest is read, the database
file is re-hashed, and the target must hold no tables and no files. Each evidence file is then
re-hashed as it is copied into the vault, the database is loaded, and the restored records are
counted against the manifest before the schema is brought up to this version and the audit
trail's chain is walked. Any failure undoes what the restore wrote, so the instance is empty
again and the restore can be retried. Each stage is timed: the caller records the restore as a
drill, evidence for ISO 27001 control A.8.13 that Drillbook's own recovery is tested.
"""

import base64
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, select

from evidence.backup import dbcopy
from evidence.backup.backup import (
    MANIFEST,
    SIGNATURE,
    BackupError,
    Manifest,
    copy_hashed,
    file_sha256,
    read_manifest,
    stored_path,
    take_inventory,
)
from evidence.keys import PublicKey
from evidence.vault import Vault, read_chunks
from models import audit
from models.core.database import open_session
from models.core.schema import head_revision, is_known_revision, upgrade
from models.drills.restore_drill import RestoreStage
from models.drills.tables import Phase
from models.notifications.tables import DeliveryStatus, Notification


class RestoreError(Exception):
    """The restore stopped; the message says why, and the instance was left empty."""


@dataclass
class RestoreReport:
    """What was restored from where, and how long each stage took."""

    manifest: Manifest
    manifest_sha256: str
    started_at: datetime
    stages: list[RestoreStage] = field(default_factory=list)

    @property
    def finished_at(self) -> datetime:
        return self.stages[-1].ended_at if self.stages else self.started_at


class _Timer:
    """Times stages with the given clock and keeps them in the report."""

    def __init__(self, report: RestoreReport, clock: Callable[[], datetime]):
        self.report, self.clock = report, clock

    @contextmanager
    def stage(self, phase: Phase, title: str) -> Iterator[list[str]]:
        started, notes = self.clock(), []
        yield notes
        self.report.stages.append(RestoreStage(phase, title, started, self.clock(), " ".join(notes)))


def _check_signature(directory: Path, manifest: Manifest, expected: PublicKey, fingerprint: str | None) -> None:
    """The manifest must be signed by the expected key: this instance's, or the one whose fingerprint was given."""
    if manifest.signing_key is None or not (directory / SIGNATURE).is_file():
        raise RestoreError(f"{directory} holds an unsigned backup; only backups signed with an instance key restore.")
    try:
        signer = PublicKey.from_text(manifest.signing_key)
        signature = base64.b64decode((directory / SIGNATURE).read_bytes().strip(), validate=True)
    except ValueError:
        raise RestoreError(f"{directory / SIGNATURE} or the manifest's signing key is not readable.") from None
    if fingerprint is not None and signer.fingerprint != fingerprint.strip().lower():
        raise RestoreError(
            f"The backup was signed with the key {signer.fingerprint}, not the expected {fingerprint.strip().lower()}."
        )
    if fingerprint is None and signer != expected:
        raise RestoreError(
            f"The backup was signed with the key {signer.fingerprint}, not this instance's key {expected.fingerprint}. "
            "To restore another instance's backup, give that instance's key fingerprint with --key-fingerprint."
        )
    if not signer.verifies(signature, (directory / MANIFEST).read_bytes()):
        raise RestoreError(
            f"The signature in {directory / SIGNATURE} does not verify: the manifest was changed after the backup was made."
        )


def _check_backup(directory: Path, engine: sa.Engine, expected: PublicKey, fingerprint: str | None) -> Manifest:
    manifest = read_manifest(directory)
    _check_signature(directory, manifest, expected, fingerprint)
    if manifest.engine != engine.dialect.name:
        raise RestoreError(
            f"This backup holds a {manifest.engine} database and this instance uses {engine.dialect.name}. "
            "Restore it into an instance on the same database engine."
        )
    if not is_known_revision(manifest.schema_revision):
        raise RestoreError(
            f"The backup's schema is at revision {manifest.schema_revision}, which this Drillbook (newest: "
            f"{head_revision()}) does not know. Restore it with the Drillbook version that made it, "
            f"{manifest.drillbook_version}, or a newer one."
        )
    database = directory / manifest.database.file
    if not database.is_file() or file_sha256(database) != manifest.database.sha256:
        raise RestoreError(
            f"{database} is missing or does not have the hash the manifest gives. The backup is damaged; use another one."
        )
    return manifest


def _check_empty(engine: sa.Engine, vault: Vault) -> None:
    tables = sa.inspect(engine).get_table_names()
    if tables:
        raise RestoreError(
            f"The database already has {len(tables)} tables. A restore needs an empty database: "
            "point DRILLBOOK_DATABASE_URL at a new one."
        )
    if vault.objects.is_dir() and any(p.is_file() for p in vault.objects.rglob("*")):
        raise RestoreError(
            f"The evidence folder {vault.root} already holds files. A restore needs an empty instance: "
            "point DRILLBOOK_INSTANCE_PATH at a new folder."
        )


def _place_files(directory: Path, manifest: Manifest, vault: Vault, placed: list[Path]) -> None:
    """Copy each file into the vault, re-hashing it; the paths written are appended to `placed` as they appear."""
    vault.ensure()
    for sha256 in manifest.evidence_sha256:
        try:
            with open(stored_path(directory, sha256), "rb") as source:
                received = vault.receive(read_chunks(source), limit=2**62)
        except FileNotFoundError:
            raise RestoreError(
                f"Evidence file {sha256} is missing from the backup. The backup is damaged; use another one."
            ) from None
        if received.sha256 != sha256:
            vault.discard(received)
            raise RestoreError(
                f"Evidence file {sha256} in the backup has been altered (it now hashes to {received.sha256}). "
                "The backup is damaged; use another one."
            )
        placed.append(vault.commit(received))


def _check_loaded(engine: sa.Engine, manifest: Manifest) -> None:
    with engine.connect() as conn:
        restored = take_inventory(conn, list(manifest.records))
    differences = [
        f"{table}: {manifest.records[table]} in the backup, {count} restored"
        for table, count in restored.records.items()
        if count != manifest.records[table]
    ]
    if differences:
        raise RestoreError("The restored records do not match the manifest: " + "; ".join(differences) + ".")
    if restored.files != manifest.evidence_sha256:
        raise RestoreError("The restored records refer to other evidence files than the manifest lists.")
    if restored.audit_head != manifest.audit_last_hash:
        raise RestoreError("The restored audit trail does not end with the hash the manifest gives.")


def _check_audit_chain(engine: sa.Engine) -> None:
    with Session(engine) as session:
        broken = audit.first_broken(session)
    if broken is not None:
        raise RestoreError(f"The restored audit trail's hash chain breaks at entry {broken}.")


def restore_instance(
    engine: sa.Engine,
    url: str,
    vault: Vault,
    directory: Path,
    clock: Callable[[], datetime],
    expected: PublicKey,
    fingerprint: str | None = None,
) -> RestoreReport:
    """Rebuild the empty instance behind `engine` and `vault` from the backup in `directory`; RestoreError if anything fails.

    Nothing is written before the manifest's signature is checked against `expected` (this instance's
    key) or the key whose `fingerprint` is given.
    """
    started = clock()
    try:
        manifest = _check_backup(directory, engine, expected, fingerprint)
    except BackupError as exc:
        raise RestoreError(str(exc)) from None
    report = RestoreReport(manifest, file_sha256(directory / "manifest.json"), started)
    timer = _Timer(report, clock)
    _check_empty(engine, vault)
    report.stages.append(
        RestoreStage(
            Phase.PREPARATION,
            "Check the backup's manifest and database hash, and that this instance is empty",
            started,
            clock(),
            f"Backup made on {manifest.host} by Drillbook {manifest.drillbook_version}, "
            f"{manifest.engine} at schema revision {manifest.schema_revision}.",
        )
    )
    placed: list[Path] = []
    loaded = False
    try:
        with timer.stage(Phase.FAILOVER, "Copy the evidence files into the vault, re-hashing each") as notes:
            _place_files(directory, manifest, vault, placed)
            notes.append(
                f"{len(manifest.evidence_sha256)} files, {manifest.evidence_bytes:,} bytes, every SHA-256 matched."
            )
        with timer.stage(Phase.FAILOVER, f"Load the database ({manifest.database.file})") as notes:
            private = _private_copy(directory / manifest.database.file, manifest, vault)
            placed.append(private)
            loaded = True
            dbcopy.load_in(engine, url, private)
            private.unlink()
            notes.append(f"{sum(manifest.records.values()):,} records in {len(manifest.records)} tables.")
        with timer.stage(Phase.VALIDATION, "Count the restored records per table against the manifest") as notes:
            _check_loaded(engine, manifest)
            notes.append(
                "Every table has the number of records the manifest gives; the records refer to exactly the files restored."
            )
        with timer.stage(Phase.RECONFIGURATION, "Bring the schema up to this version of Drillbook") as notes:
            upgrade(url)
            notes.append(f"From revision {manifest.schema_revision} to {head_revision()}.")
        with timer.stage(Phase.RECONFIGURATION, "Hold back the notifications the original had queued") as notes:
            notes.append(f"{_hold_back_outbox(engine)} not sent here: the original may have sent them already.")
        with timer.stage(Phase.VALIDATION, "Walk the audit trail's hash chain") as notes:
            _check_audit_chain(engine)
            notes.append(f"{manifest.audit_entries:,} entries, chain intact, ending with the hash the manifest gives.")
    except (RestoreError, dbcopy.CopyError, sa.exc.SQLAlchemyError, OSError) as exc:
        _undo(engine, url, placed, loaded)
        raise RestoreError(f"{exc} Nothing was kept: the instance is empty again.") from None
    return report


def _hold_back_outbox(engine: sa.Engine) -> int:
    """Mark what was still queued as not sent: a restored copy (a staging restore, say) must not e-mail
    people or call webhooks for events the original instance announced, or was about to."""
    with open_session(engine, write=True) as session:
        waiting = session.exec(select(Notification).where(Notification.status == DeliveryStatus.QUEUED)).all()
        for notification in waiting:
            notification.status = DeliveryStatus.FAILED
            notification.last_error = "Not sent: restored from a backup, where the original may have sent it."
        session.commit()
        return len(waiting)


def _private_copy(database: Path, manifest: Manifest, vault: Vault) -> Path:
    """The backup's database copied where only this instance writes, hashed as it is copied, and loaded from there:
    the file in the backup folder may change after its first check, the copy cannot."""
    target = vault.tmp / f"restore-{os.getpid()}-{database.name}"
    with open(database, "rb") as source:
        sha256, _ = copy_hashed(source, target)
    if sha256 != manifest.database.sha256:
        target.unlink()
        raise RestoreError(f"{database} changed during the restore: it no longer has the hash the manifest gives.")
    return target


def _undo(engine: sa.Engine, url: str, placed: list[Path], loaded: bool) -> None:
    """Remove what the restore wrote; the instance was empty before it began."""
    for path in placed:
        path.unlink(missing_ok=True)
    if loaded:
        dbcopy.drop_loaded(engine, url)

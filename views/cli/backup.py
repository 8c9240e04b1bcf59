"""`drillbook backup DIR` and `drillbook restore DIR`: Drillbook's own recovery, tested and recorded like any other."""

import socket
from pathlib import Path

import click
from flask import current_app

from evidence.backup.backup import MANIFEST, BackupError, make_backup
from evidence.backup.dbcopy import CopyError
from evidence.backup.restore import RestoreError, restore_instance
from evidence.intake import store_evidence
from models import audit
from models.core.database import open_session
from models.core.types import utcnow
from models.drills.restore_drill import CONTROLS, record_restore_drill
from views.cli.support import bp, require_current

FOLDER = click.Path(file_okay=False, path_type=Path)


def _instance():
    return (
        current_app.extensions["drillbook.engine"],
        current_app.config["DATABASE_URL"],
        current_app.extensions["drillbook.vault"],
    )


@bp.cli.command("backup")
@click.argument("directory", type=FOLDER)
def backup(directory: Path):
    """Write a backup into DIRECTORY (new or empty) while Drillbook keeps running.

    The database is copied as one consistent snapshot (SQLite's online backup or pg_dump), with every
    evidence file and issued report it refers to, each re-hashed as it is copied, and a manifest of
    the hashes written last. Keep backups on another machine; they hold password and token hashes.
    """
    engine, url, vault = _instance()
    require_current()
    try:
        manifest = make_backup(engine, url, vault, directory, utcnow, current_app.extensions["drillbook.key"])
    except (BackupError, CopyError) as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(
            f"Cannot write the backup to {directory}: {exc.strerror or exc}. Nothing was kept."
        ) from None
    with open_session(engine, write=True) as session:
        audit.record(
            session,
            "backup",
            actor=audit.COMMAND_LINE,
            after={
                "folder": str(directory.resolve()),
                "database_sha256": manifest.database.sha256,
                "records": sum(manifest.records.values()),
                "files": len(manifest.evidence_sha256),
            },
        )
        session.commit()
    click.echo(
        f"Backup written to {directory}: {manifest.engine} database ({manifest.database.size:,} bytes, "
        f"{sum(manifest.records.values()):,} records), {len(manifest.evidence_sha256):,} evidence files "
        f"({manifest.evidence_bytes:,} bytes), {manifest.audit_entries:,} audit entries."
    )
    click.echo(
        f"Taken {manifest.started_at:%Y-%m-%d %H:%M:%S} UTC in {(manifest.finished_at - manifest.started_at).total_seconds():.1f} s. "
        f"Restore it with: drillbook restore {directory}"
    )
    click.echo(
        f"Signed with the instance key {current_app.extensions['drillbook.key'].public.fingerprint}; an instance "
        "without that key restores it only with --key-fingerprint and that fingerprint. Audit checkpoint: "
        f"{manifest.checkpoint or '(empty trail)'}"
    )


@bp.cli.command("restore")
@click.argument("directory", type=FOLDER)
@click.option(
    "--key-fingerprint",
    default=None,
    help="The fingerprint of the instance key that signed the backup, when it is not this instance's own key.",
)
def restore(directory: Path, key_fingerprint: str | None):
    """Rebuild this empty instance from the backup in DIRECTORY, verifying every hash, and record it as a drill.

    The instance's database must have no tables and its evidence folder no files. If any check
    fails, everything the restore wrote is removed again. A successful restore adds a finished
    drill for control A.8.13 with the timings of each stage and the backup's manifest as evidence.
    """
    engine, url, vault = _instance()
    try:
        report = restore_instance(
            engine, url, vault, directory, utcnow, current_app.extensions["drillbook.key"].public, key_fingerprint
        )
    except (RestoreError, CopyError) as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"Cannot read the backup in {directory}: {exc.strerror or exc}.") from None
    manifest = report.manifest
    with open_session(engine, write=True) as session:
        drill = record_restore_drill(
            session,
            backup_taken_at=manifest.started_at,
            backup_host=manifest.host,
            restored_on=socket.gethostname(),
            records=sum(manifest.records.values()),
            files=len(manifest.evidence_sha256),
            stages=report.stages,
        )
        with open(directory / MANIFEST, "rb") as fh:
            store_evidence(
                session,
                vault,
                [fh.read()],
                MANIFEST,
                {
                    "drill_id": drill.id,
                    "collected_on": report.finished_at.date().isoformat(),
                    "description": f"Manifest of the backup restored (SHA-256 {report.manifest_sha256}).",
                },
                None,
                10 * 1024 * 1024,
                " ".join(CONTROLS),
            )
        session.commit()
    for stage in report.stages:
        click.echo(f"{(stage.ended_at - stage.started_at).total_seconds():8.2f} s  {stage.title}. {stage.notes}")
    click.echo(
        f"Restored and verified in {(report.finished_at - report.started_at).total_seconds():.1f} s. "
        f"Recorded as drill #{drill.id} for {', '.join(CONTROLS)}: /drills/{drill.id}"
    )

"""Backing up Drillbook itself: a consistent copy of the database, the files it refers to, and a manifest of hashes.

The database is copied while the application keeps running (see evidence.dbcopy). The files to
copy are read from that same snapshot, so the manifest names exactly the files the copied
database refers to; vault files are never changed or removed, so each is still there. Every
file is re-hashed as it is copied, so a backup never carries an altered file without saying so,
and the manifest is written last: a backup cut off half-way has none and cannot be restored.
"""

import base64
import hashlib
import os
import shutil
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import Annotated, BinaryIO, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import SQLModel

import models  # noqa: F401  every table, so the metadata is complete
from evidence.backup import dbcopy
from evidence.keys import SigningKey
from evidence.vault import CHUNK, Vault
from evidence.witness import sign_head

FORMAT = "drillbook-backup"
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
#: the instance key's Ed25519 signature over the manifest's exact bytes, base64
SIGNATURE = "manifest.sig"
#: tables whose rows name files in the vault by their SHA-256
FILE_COLUMNS = (("evidence", "sha256"), ("issued_report", "sha256"))


class BackupError(Exception):
    """The backup could not be made or read; the message says why and what to do."""


@dataclass
class Inventory:
    """What a database holds, as a backup records it and a restore checks it."""

    schema_revision: str | None
    records: dict[str, int]
    audit_entries: int
    audit_head: str | None
    files: list[str]


def take_inventory(conn: sa.Connection, tables: list[str] | None = None) -> Inventory:
    """Record counts per table, the audit trail's last hash, and the vault files the rows refer to."""
    tables = tables if tables is not None else [t.name for t in SQLModel.metadata.sorted_tables]
    records = {
        name: conn.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one() for name in tables
    }
    revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    head = conn.exec_driver_sql("SELECT hash FROM audit_event ORDER BY seq DESC LIMIT 1").scalar()
    files = sorted(
        {
            sha
            for table, column in FILE_COLUMNS
            for sha in conn.execute(sa.select(sa.column(column)).select_from(sa.table(table))).scalars()
        }
    )
    return Inventory(revision, records, records.get("audit_event", 0), head, files)


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in chunks."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def copy_hashed(source: BinaryIO, target: Path) -> tuple[str, int]:
    """Copy a stream to a new private file while hashing it; returns its SHA-256 and size."""
    digest, size = hashlib.sha256(), 0
    with open(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest(), size


def stored_path(directory: Path, sha256: str) -> Path:
    """Where a backup keeps one vault file: the vault's own layout under evidence/."""
    return directory / "evidence" / sha256[:2] / sha256[2:4] / sha256


def _prepare(directory: Path) -> bool:
    """Make sure `directory` is a new or empty folder, private to this user; True when it was created now."""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BackupError(f"{directory} already exists and is not an empty folder. Name a new folder for each backup.")
    created = not directory.exists()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return created


def _discard(directory: Path, created: bool) -> None:
    """Remove a backup that did not finish, so nobody mistakes it for one."""
    if created:
        shutil.rmtree(directory, ignore_errors=True)
    else:
        for child in directory.iterdir():
            if child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)


def _copy_files(vault: Vault, directory: Path, hashes: list[str]) -> int:
    """Copy each vault file into the backup, checking it still has its hash; returns the bytes copied."""
    total = 0
    for sha256 in hashes:
        target = stored_path(directory, sha256)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            with vault.open(sha256) as source:
                actual, size = copy_hashed(source, target)
        except FileNotFoundError:
            raise BackupError(
                f"Evidence file {sha256} is missing from the vault. Run `drillbook verify` to list every problem, "
                "put the file back from an earlier backup, then back up again."
            ) from None
        if actual != sha256:
            raise BackupError(
                f"Evidence file {sha256} in the vault no longer has that hash (it is now {actual}). "
                "Run `drillbook verify`, put the file back from an earlier backup, then back up again."
            )
        total += size
    return total


class DatabaseCopy(BaseModel):
    """The database file in a backup."""

    file: Literal["database.sqlite", "database.pgdump"]
    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    size: int = Field(ge=0)


class Manifest(BaseModel):
    """manifest.json: what a backup holds and the hash of every file in it."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["drillbook-backup"]
    format_version: Literal[1, 2]
    drillbook_version: str
    host: str
    started_at: datetime
    finished_at: datetime
    engine: Literal["sqlite", "postgresql"]
    schema_revision: str
    database: DatabaseCopy
    #: rows per table at the moment of the snapshot
    records: dict[str, int]
    audit_entries: int = Field(ge=0)
    audit_last_hash: str | None
    evidence_bytes: int = Field(ge=0)
    #: SHA-256 of every vault file the database refers to, sorted
    evidence_sha256: list[Annotated[str, Field(pattern="^[0-9a-f]{64}$")]]
    #: the public key that signed manifest.sig (base64); a restore checks it against the key it expects
    signing_key: str | None = None
    #: the audit head at the snapshot, signed with that key (SEQ:HASH:TIME:SIGNATURE)
    checkpoint: str | None = None


def make_backup(
    engine: sa.Engine, url: str, vault: Vault, directory: Path, clock: Callable[[], datetime], key: SigningKey
) -> Manifest:
    """Write a backup of the running instance into the new or empty folder `directory`, signed with `key`."""
    created = _prepare(directory)
    try:
        return _write(engine, url, vault, directory, clock, key)
    except BaseException:
        _discard(directory, created)
        raise


def _write(
    engine: sa.Engine, url: str, vault: Vault, directory: Path, clock: Callable[[], datetime], key: SigningKey
) -> Manifest:
    started = clock()
    database = directory / dbcopy.FILE_NAMES[engine.dialect.name]
    with dbcopy.snapshot_out(engine, url, database) as snapshot:
        inventory = take_inventory(snapshot)
    os.chmod(database, 0o600)
    copied = _copy_files(vault, directory, inventory.files)
    manifest = Manifest(
        format=FORMAT,
        format_version=FORMAT_VERSION,
        drillbook_version=version("drillbook"),
        host=socket.gethostname(),
        started_at=started,
        finished_at=clock(),
        engine=engine.dialect.name,
        schema_revision=inventory.schema_revision,
        database=DatabaseCopy(file=database.name, sha256=file_sha256(database), size=database.stat().st_size),
        records=inventory.records,
        audit_entries=inventory.audit_entries,
        audit_last_hash=inventory.audit_head,
        evidence_bytes=copied,
        evidence_sha256=inventory.files,
        signing_key=key.public.text(),
        checkpoint=sign_head(key, inventory.audit_entries, inventory.audit_head).text()
        if inventory.audit_head
        else None,
    )
    body = (manifest.model_dump_json(indent=1) + "\n").encode("utf-8")
    _write_new(directory / SIGNATURE, base64.b64encode(key.sign(body)) + b"\n")
    _write_new(directory / MANIFEST, body)  # last: a backup without its manifest never restores
    return manifest


def _write_new(path: Path, data: bytes) -> None:
    """Write `path` whole or not at all, readable by its owner only."""
    temporary = path.with_name(f".{path.name}.part")
    with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        out.write(data)
    os.replace(temporary, path)


def read_manifest(directory: Path) -> Manifest:
    """The manifest of a finished backup, checked field by field."""
    path = directory / MANIFEST
    if not directory.is_dir():
        raise BackupError(f"{directory} is not a folder.")
    if not path.is_file():
        raise BackupError(f"{directory} has no {MANIFEST}: it is not a Drillbook backup, or the backup did not finish.")
    try:
        return Manifest.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg']}" for e in exc.errors()[:5])
        raise BackupError(f"{path} is not a Drillbook backup manifest this version can read ({problems}).") from None

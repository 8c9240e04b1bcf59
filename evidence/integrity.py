"""Integrity checks: every stored evidence file still has the bytes its record says it has."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from evidence.vault import Vault
from models.evidence import Evidence


@dataclass
class VaultReport:
    """What a check of the vault found, by SHA-256."""

    checked: int = 0
    missing: list[str] = field(default_factory=list)
    altered: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.altered


def verify_vault(session: Session, vault: Vault, now: datetime) -> VaultReport:
    """Re-hash each stored file once; records whose file is intact get `last_verified_at = now`."""
    report = VaultReport()
    records = session.exec(select(Evidence).order_by(Evidence.id)).all()
    intact: set[str] = set()
    for sha256 in sorted({r.sha256 for r in records}):
        report.checked += 1
        actual = vault.rehash(sha256)
        if actual is None:
            report.missing.append(sha256)
        elif actual != sha256:
            report.altered.append((sha256, actual))
        else:
            intact.add(sha256)
    for record in records:
        if record.sha256 in intact:
            record.last_verified_at = now
    session.flush()
    return report

"""The audit trail's head, signed and witnessed outside the database, so a cut or rewritten trail shows.

Every commit that appends to the trail appends the new head (sequence number, entry hash, time),
signed with the instance key, to a log in the instance folder. Someone holding only the database
can delete the last entries or rewrite one and recompute every later hash, but cannot sign the
result: `drillbook verify` compares the trail with every witnessed head. The same signed heads
(checkpoints) are printed in issued PDFs and backup manifests and sent in e-mails, so a head that
has left the system still proves what the trail held, even against someone who also holds the
instance folder (`drillbook verify --expect-head SEQ:HASH`).
"""

import base64
import fcntl
import os
import weakref
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

from evidence.keys import PublicKey, SigningKey
from models.audit import PENDING_HEAD, AuditEvent
from models.core.types import utcnow


@dataclass(frozen=True)
class Checkpoint:
    """A signed audit head: entry `seq` had hash `hash` at `at` (UTC, ISO 8601)."""

    seq: int
    hash: str
    at: str
    signature: str

    @staticmethod
    def message(seq: int, entry_hash: str, at: str) -> bytes:
        """What the instance key signs."""
        return f"drillbook audit head\n{seq}\n{entry_hash}\n{at}".encode("ascii")

    def text(self) -> str:
        """One line to print or send: SEQ:HASH:TIME:SIGNATURE."""
        return f"{self.seq}:{self.hash}:{self.at}:{self.signature}"

    @classmethod
    def parse(cls, text: str) -> "Checkpoint":
        """A checkpoint from its line; ValueError when the line is not one."""
        seq, entry_hash, rest = text.strip().split(":", 2)
        at, signature = rest.rsplit(":", 1)
        if not seq.isdigit() or len(entry_hash) != 64:
            raise ValueError("not a checkpoint")
        return cls(int(seq), entry_hash, at, signature)

    def verifies(self, public: PublicKey) -> bool:
        """Whether the instance key signed exactly this head."""
        try:
            signature = base64.b64decode(self.signature, validate=True)
        except ValueError:
            return False
        return public.verifies(signature, self.message(self.seq, self.hash, self.at))


def sign_head(key: SigningKey, seq: int, entry_hash: str, at: Optional[datetime] = None) -> Checkpoint:
    """A checkpoint for the head `seq`/`entry_hash`, signed now."""
    stamp = (at or utcnow()).isoformat(timespec="seconds")
    signature = base64.b64encode(key.sign(Checkpoint.message(seq, entry_hash, stamp))).decode("ascii")
    return Checkpoint(seq, entry_hash, stamp, signature)


def current_checkpoint(session, key: SigningKey) -> Optional[Checkpoint]:
    """The trail's newest entry, signed now; None for an empty trail."""
    row = (
        session.connection()
        .execute(sa.select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1))
        .first()
    )
    return sign_head(key, row.seq, row.hash) if row else None


class Witness:
    """The append-only log of signed heads, beside the database rather than in it."""

    def __init__(self, path: Path, key: SigningKey):
        self.path, self.key = path, key

    def append(self, seq: int, entry_hash: str) -> None:
        """Sign and record the head; several workers append to one file under an exclusive lock."""
        line = sign_head(self.key, seq, entry_hash).text() + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, line.encode("ascii"))
        finally:
            os.close(fd)

    def lines(self) -> list[str]:
        """Every line of the log, in order; none when nothing was witnessed yet."""
        try:
            return self.path.read_text(encoding="ascii", errors="replace").splitlines()
        except FileNotFoundError:
            return []


def check_trail(session, public: PublicKey, witnessed: list[str], expected: list[str] = ()) -> list[str]:
    """What does not hold between the trail and the heads that left the database: one line per problem, first entry first.

    `witnessed` are the witness log's lines; `expected` are heads copied from a PDF or an e-mail
    (SEQ:HASH, or a whole checkpoint line, whose signature is then checked too).
    """
    problems: list[tuple[int, str]] = []
    heads: dict[int, str] = {}
    for number, line in enumerate(witnessed, start=1):
        try:
            checkpoint = Checkpoint.parse(line)
        except ValueError:
            problems.append((0, f"witness line {number} is not a signed head"))
            continue
        if not checkpoint.verifies(public):
            problems.append(
                (checkpoint.seq, f"witness line {number} (entry {checkpoint.seq}) is not signed by this instance's key")
            )
            continue
        heads[checkpoint.seq] = checkpoint.hash
    for text in expected:
        parts = text.strip().split(":")
        if len(parts) >= 4:
            checkpoint = Checkpoint.parse(text)
            if not checkpoint.verifies(public):
                problems.append(
                    (checkpoint.seq, f"the checkpoint for entry {checkpoint.seq} is not signed by this instance's key")
                )
        if len(parts) < 2 or not parts[0].isdigit():
            problems.append((0, f"{text!r} is not SEQ:HASH"))
            continue
        heads[int(parts[0])] = parts[1]
    if heads:
        stored = dict(
            session.connection()
            .execute(sa.select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.seq.in_(sorted(heads))))
            .all()
        )
        last = session.connection().execute(sa.select(sa.func.max(AuditEvent.seq))).scalar() or 0
        for seq, entry_hash in sorted(heads.items()):
            if seq not in stored:
                problems.append(
                    (seq, f"entry {seq} was witnessed but is gone: the trail ends at {last}, cut or deleted")
                )
            elif stored[seq] != entry_hash:
                problems.append((seq, f"entry {seq} does not hold the hash witnessed for it: rewritten"))
    return [message for _, message in sorted(problems)]


_witnesses: "weakref.WeakKeyDictionary[sa.Engine, Witness]" = weakref.WeakKeyDictionary()


def attach(engine: sa.Engine, witness: Witness) -> None:
    """Witness every head that a session on `engine` commits."""
    _witnesses[engine] = witness


@event.listens_for(OrmSession, "after_commit")
def _witness_committed_head(session) -> None:
    head = session.info.pop(PENDING_HEAD, None)
    witness = _witnesses.get(session.get_bind()) if head else None
    if witness is not None:
        witness.append(*head)


@event.listens_for(OrmSession, "after_rollback")
def _forget_rolled_back_head(session) -> None:
    session.info.pop(PENDING_HEAD, None)

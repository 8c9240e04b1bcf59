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
import hashlib
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
from models.audit import GENESIS, PENDING_HEAD, AuditEvent
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
    """The append-only log of signed heads, beside the database rather than in it.

    Each line is SEQ:HASH:TIME:PREVIOUS:SIGNATURE, where PREVIOUS is the SHA-256 of the line before
    it, so the lines form a chain of their own and the last line's signature vouches for all of them:
    checking a log of a million heads costs one signature and a million SHA-256s.
    """

    def __init__(self, path: Path, key: SigningKey):
        self.path, self.key = path, key

    def append(self, seq: int, entry_hash: str) -> None:
        """Sign and record the head after the last line; workers append to one file under an exclusive lock."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            previous = _last_line(fd)
            link = hashlib.sha256(previous.encode("ascii")).hexdigest() if previous else GENESIS
            at = utcnow().isoformat(timespec="seconds")
            signature = self.key.sign(Checkpoint.message(seq, entry_hash, at) + f"\n{link}".encode("ascii"))
            line = f"{seq}:{entry_hash}:{at}:{link}:{base64.b64encode(signature).decode('ascii')}\n"
            os.write(fd, line.encode("ascii"))
        finally:
            os.close(fd)

    def lines(self) -> list[str]:
        """Every line of the log, in order; none when nothing was witnessed yet."""
        try:
            return self.path.read_text(encoding="ascii", errors="replace").splitlines()
        except FileNotFoundError:
            return []


def _last_line(fd: int) -> str:
    """The last complete line of the open file, or "" for an empty one."""
    size = os.fstat(fd).st_size
    if size == 0:
        return ""
    tail = os.pread(fd, min(size, 4096), max(0, size - 4096)).decode("ascii", errors="replace")
    return tail.rstrip("\n").rsplit("\n", 1)[-1]


@dataclass(frozen=True)
class _Head:
    number: int
    seq: int
    hash: str


def _read_log(lines: list[str], public: PublicKey) -> tuple[list[_Head], list[tuple[int, str]]]:
    """The witnessed heads, and what does not hold in the log itself: its own chain and its last signature."""
    heads, problems, previous = [], [], None
    for number, line in enumerate(lines, start=1):
        parts = line.split(":")
        if len(parts) < 5 or not parts[0].isdigit() or len(parts[1]) != 64:
            problems.append((0, f"witness line {number} is not a signed head"))
            previous = line
            continue
        expected = hashlib.sha256(previous.encode("ascii")).hexdigest() if previous is not None else GENESIS
        if parts[-2] != expected:
            problems.append(
                (int(parts[0]), f"witness line {number} does not follow line {number - 1}: the log was edited")
            )
        heads.append(_Head(number, int(parts[0]), parts[1]))
        previous = line
    if lines and not problems:
        last = lines[-1].split(":")
        seq, entry_hash, link, signature = int(last[0]), last[1], last[-2], last[-1]
        at = ":".join(last[2:-2])
        try:
            raw = base64.b64decode(signature, validate=True)
        except ValueError:
            raw = b""
        if not public.verifies(raw, Checkpoint.message(seq, entry_hash, at) + f"\n{link}".encode("ascii")):
            problems.append((seq, f"witness line {len(lines)} (entry {seq}) is not signed by this instance's key"))
    return heads, problems


def _holds(session, head: _Head) -> bool:
    stored = session.connection().execute(sa.select(AuditEvent.hash).where(AuditEvent.seq == head.seq)).scalar()
    return stored == head.hash


def _first_failing(session, heads: list[_Head]) -> Optional[_Head]:
    """The earliest witnessed head the trail no longer holds, found by bisection: a rewrite breaks every later head."""
    if not heads or _holds(session, heads[-1]):
        return None
    low, high = 0, len(heads) - 1  # heads[high] fails
    while low < high:
        middle = (low + high) // 2
        if _holds(session, heads[middle]):
            low = middle + 1
        else:
            high = middle
    return heads[high]


def check_trail(session, public: PublicKey, witnessed: list[str], expected: list[str] = ()) -> list[str]:
    """What does not hold between the trail and the heads that left the database: one line per problem, first entry first.

    `witnessed` are the witness log's lines; `expected` are heads copied from a PDF or an e-mail
    (SEQ:HASH, or a whole checkpoint line, whose signature is then checked too). A head is checked
    against the trail as it stands, so together with the chain walk every entry up to the newest
    witnessed head is proven.
    """
    heads, problems = _read_log(witnessed, public)
    by_seq: dict[int, _Head] = {}
    for head in heads:  # commits may be witnessed out of order, but an entry keeps one hash for ever
        seen = by_seq.setdefault(head.seq, head)
        if seen.hash != head.hash:
            problems.append(
                (
                    head.seq,
                    f"entry {head.seq} was witnessed with two different hashes: the trail was cut and written again",
                )
            )
    last = session.connection().execute(sa.select(sa.func.max(AuditEvent.seq))).scalar() or 0
    failing = _first_failing(session, sorted(by_seq.values(), key=lambda h: h.seq))
    if failing is not None:
        problems.append((failing.seq, _broken(session, failing.seq, last)))
    for text in expected:
        parts = text.strip().split(":")
        if len(parts) < 2 or not parts[0].isdigit():
            problems.append((0, f"{text!r} is not SEQ:HASH"))
            continue
        if len(parts) >= 4 and not Checkpoint.parse(text).verifies(public):
            problems.append(
                (int(parts[0]), f"the checkpoint for entry {parts[0]} is not signed by this instance's key")
            )
        if not _holds(session, _Head(0, int(parts[0]), parts[1])):
            problems.append((int(parts[0]), _broken(session, int(parts[0]), last)))
    return [message for _, message in sorted(set(problems))]


def _broken(session, seq: int, last: int) -> str:
    if seq > last:
        return f"entry {seq} was witnessed but is gone: the trail ends at {last}, cut or deleted"
    return f"entry {seq} does not hold the hash witnessed for it: rewritten at or before it"


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

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
import time
import weakref
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import NamedTuple, Optional

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

from evidence.keys import PublicKey, SigningKey
from models.audit import GENESIS, PENDING_HEAD, AuditEvent, walk
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

    Each line is FIRST-SEQ:HASH:TIME:PREVIOUS:SIGNATURE: one commit appended entries FIRST to SEQ,
    the last of which has HASH. PREVIOUS is the SHA-256 of the line before, so the lines form a chain
    of their own and the last line's signature vouches for all of them: checking a log of a million
    heads costs one signature check and a million SHA-256s.
    """

    def __init__(self, path: Path, key: SigningKey):
        self.path, self.key = path, key

    def append(self, first: int, seq: int, entry_hash: str) -> None:
        """Sign and record a commit's head after the last line; workers append under an exclusive lock."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            previous = _last_line(fd)
            link = hashlib.sha256(previous.encode("ascii")).hexdigest() if previous else GENESIS
            at = utcnow().isoformat(timespec="seconds")
            signature = self.key.sign(_line_message(first, seq, entry_hash, at, link))
            line = f"{first}-{seq}:{entry_hash}:{at}:{link}:{base64.b64encode(signature).decode('ascii')}\n"
            os.write(fd, line.encode("ascii"))
        finally:
            os.close(fd)

    def lines(self) -> list[str]:
        """Every line of the log, in order; none when nothing was witnessed yet."""
        try:
            return self.path.read_text(encoding="ascii", errors="replace").splitlines()
        except FileNotFoundError:
            return []


def _line_message(first: int, seq: int, entry_hash: str, at: str, link: str) -> bytes:
    return Checkpoint.message(seq, entry_hash, at) + f"\n{first}\n{link}".encode("ascii")


def _last_line(fd: int) -> str:
    """The last complete line of the open file, or "" for an empty one."""
    size = os.fstat(fd).st_size
    if size == 0:
        return ""
    tail = os.pread(fd, min(size, 4096), max(0, size - 4096)).decode("ascii", errors="replace")
    return tail.rstrip("\n").rsplit("\n", 1)[-1]


class _Head(NamedTuple):
    number: int
    first: int
    seq: int
    hash: str


def _parse_line(line: str) -> tuple[int, int, str, str, str, str]:
    """FIRST, SEQ, HASH, TIME, PREVIOUS, SIGNATURE of a witness line; ValueError when it is not one."""
    head, link, signature = line.rsplit(":", 2)
    span, entry_hash, at = head.split(":", 2)
    first, _, seq = span.partition("-")
    if not first.isdigit() or not seq.isdigit() or len(entry_hash) != 64:
        raise ValueError("not a witness line")
    return int(first), int(seq), entry_hash, at, link, signature


def _read_log(lines: list[str], public: PublicKey) -> tuple[list[_Head], list[tuple[int, str]]]:
    """The witnessed heads, and what does not hold in the log itself: its own chain and its last signature."""
    heads, problems, previous, parsed = [], [], None, None
    for number, line in enumerate(lines, start=1):
        try:
            parsed = _parse_line(line)
        except ValueError:
            problems.append((0, f"witness line {number} is not a signed head"))
            previous, parsed = line, None
            continue
        expected = hashlib.sha256(previous.encode("ascii")).hexdigest() if previous is not None else GENESIS
        if parsed[4] != expected:
            problems.append((parsed[1], f"witness line {number} does not follow line {number - 1}: the log was edited"))
        heads.append(_Head(number, parsed[0], parsed[1], parsed[2]))
        previous = line
    if parsed is not None and not problems:
        first, seq, entry_hash, at, link, signature = parsed
        try:
            raw = base64.b64decode(signature, validate=True)
        except ValueError:
            raw = b""
        if not public.verifies(raw, _line_message(first, seq, entry_hash, at, link)):
            problems.append((seq, f"witness line {len(lines)} (entry {seq}) is not signed by this instance's key"))
    return heads, problems


def _uncovered(heads: list[_Head], last: int) -> list[tuple[int, int]]:
    """Runs of entries after the first witnessed commit that no commit witnessed: written outside Drillbook."""
    gaps, covered = [], None
    for head in sorted(heads, key=lambda h: h.first):
        if covered is not None and head.first > covered + 1:
            gaps.append((covered + 1, head.first - 1))
        covered = head.seq if covered is None else max(covered, head.seq)
    if covered is not None and last > covered:
        gaps.append((covered + 1, last))
    return gaps


@dataclass
class TrailCheck:
    """What `check_trail` found: the first entry whose own hash or link fails, and every other problem."""

    broken: Optional[int]
    problems: list[str]
    heads: int


def check_trail(session, public: PublicKey, witness: "Witness", expected: list[str] = ()) -> TrailCheck:
    """The trail walked once from its first entry and held against the heads that left the database.

    Every witnessed head must still be in the trail with its hash, every entry since the first
    witnessed commit must belong to a witnessed commit, and `expected` heads copied from a PDF or an
    e-mail (SEQ:HASH, or a whole checkpoint line, whose signature is then checked too) must hold.
    Problems come one line each, first entry first.
    """
    last = session.connection().execute(sa.select(sa.func.max(AuditEvent.seq))).scalar() or 0
    heads, problems = _read_log(witness.lines(), public)
    gaps = _uncovered(heads, last)
    if any(end == last for _, end in gaps):
        time.sleep(0.5)  # a commit made just now may not have reached the log yet
        heads, problems = _read_log(witness.lines(), public)
        gaps = _uncovered(heads, last)
    by_seq: dict[int, str] = {}
    for head in heads:  # commits may be witnessed out of order, but an entry keeps one hash for ever
        if by_seq.setdefault(head.seq, head.hash) != head.hash:
            problems.append(
                (
                    head.seq,
                    f"entry {head.seq} was witnessed with two different hashes: the trail was cut and written again",
                )
            )
    broken, unheld = walk(session, sorted(by_seq.items()))
    if unheld is not None:
        problems.append((unheld, _broken(unheld, last)))
    for start, end in gaps[:3]:
        problems.append(
            (
                start,
                f"entries {start} to {end} belong to no witnessed commit: written outside Drillbook, or the witness log was cut",
            )
        )
    for text in expected:
        problems.append(_expected(session, public, text, last))
    return TrailCheck(broken, [message for _, message in sorted({p for p in problems if p})], len(heads))


def _expected(session, public: PublicKey, text: str, last: int) -> tuple[int, str] | None:
    parts = text.strip().split(":")
    if len(parts) < 2 or not parts[0].isdigit() or len(parts[1]) != 64:
        return (0, f"{text.strip()[:80]!r} is not SEQ:HASH")
    seq = int(parts[0])
    if len(parts) >= 4:
        try:
            if not Checkpoint.parse(text).verifies(public):
                return (seq, f"the checkpoint for entry {seq} is not signed by this instance's key")
        except ValueError:
            return (0, f"{text.strip()[:80]!r} is not a checkpoint")
    stored = session.connection().execute(sa.select(AuditEvent.hash).where(AuditEvent.seq == seq)).scalar()
    return None if stored == parts[1] else (seq, _broken(seq, last))


def _broken(seq: int, last: int) -> str:
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

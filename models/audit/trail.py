"""The audit trail: an append-only, hash-chained log of everything people do in Drillbook."""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy import func, text
from sqlmodel import Field, Session, SQLModel, select

from models.core.types import UTCDateTime, utcnow

#: the hash a chain starts from
GENESIS = "0" * 64
#: the actor named for what the `drillbook` command line does
COMMAND_LINE = "system (command line)"
#: the session.info key under which a transaction's entries (first seq, last seq, last hash) wait to be witnessed
PENDING_HEAD = "drillbook.audit_head"
#: key for PostgreSQL's transaction-level advisory lock that serialises appends
_PG_LOCK_KEY = 27001


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
#: the encoder's own escaping of one string, quotes included
_text = json.encoder.encode_basestring
#: the fields an entry's hash covers, in the order they are read back for verification
HASHED = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor",
    "action",
    "entity_type",
    "entity_id",
    "before",
    "after",
    "prev_hash",
)


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 text: the same value always gives the same string."""
    return _CANONICAL.encode(value)


def entry_hash(
    seq: int,
    occurred_at: str,
    actor_id: Optional[int],
    actor: str,
    action: str,
    entity_type: str,
    entity_id: Optional[str],
    before: str,
    after: str,
    prev_hash: str,
) -> str:
    """SHA-256 over the canonical JSON of an entry's fields (`occurred_at` in ISO 8601 with its +00:00 offset).

    The JSON is written out field by field in sorted-key order with the encoder's own string
    escaping, byte for byte what canonical_json gives for the same dict, because verification
    runs this on every entry of the trail and must manage hundreds of thousands a second.
    """
    payload = (
        f'{{"action":{_text(action)},"actor":{_text(actor)},"actor_id":{_number(actor_id)},"after":{_text(after)},'
        f'"before":{_text(before)},"entity_id":{_optional_text(entity_id)},"entity_type":{_text(entity_type)},'
        f'"occurred_at":{_text(occurred_at)},"prev_hash":{_text(prev_hash)},"seq":{seq}}}'
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _number(value: Optional[int]) -> str:
    return "null" if value is None else str(value)


def _optional_text(value: Optional[str]) -> str:
    return "null" if value is None else _text(value)


class AuditEvent(SQLModel, table=True):
    """One entry of the trail; `hash` covers its fields and the previous entry's hash."""

    __tablename__ = "audit_event"
    #: position in the chain, 1-based, without gaps
    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    actor_id: Optional[int] = Field(default=None, foreign_key="user.id", ondelete="RESTRICT")
    #: who acted as they were known then (e-mail, or "system" for the CLI)
    actor: str = Field(max_length=254)
    #: e.g. "create", "update", "login", "login_failed", "export"
    action: str = Field(max_length=40)
    entity_type: str = Field(default="", max_length=40)
    entity_id: Optional[str] = Field(default=None, max_length=64)
    #: canonical JSON of the entity before the change, or "null"
    before: str = Field(default="null")
    #: canonical JSON of the entity after the change, or "null"
    after: str = Field(default="null")
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)

    def compute_hash(self) -> str:
        """SHA-256 over the entry's fields and the previous entry's hash."""
        return entry_hash(self.seq, self.occurred_at.isoformat(), *(getattr(self, name) for name in HASHED[2:]))


def record(
    session: Session,
    action: str,
    actor: str,
    actor_id: Optional[int] = None,
    entity_type: str = "",
    entity_id: Any = None,
    before: Any = None,
    after: Any = None,
) -> AuditEvent:
    """Append one event to the chain; appends are serialised by the database's write lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.exec(text("SELECT pg_advisory_xact_lock(:key)").bindparams(key=_PG_LOCK_KEY))
    head = session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).first()
    event = AuditEvent(
        seq=(head.seq + 1) if head else 1,
        occurred_at=utcnow(),
        actor_id=actor_id,
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        before=canonical_json(before),
        after=canonical_json(after),
        prev_hash=head.hash if head else GENESIS,
    )
    event.hash = event.compute_hash()
    session.add(event)
    session.flush()
    first = session.info.get(PENDING_HEAD, (event.seq,))[0]
    session.info[PENDING_HEAD] = (first, event.seq, event.hash)
    return event


def snapshot(record: SQLModel) -> dict:
    """The record's column values, as the trail keeps them before and after a change."""
    return {column.key: getattr(record, column.key) for column in record.__table__.columns}


def record_change(
    session: Session, actor, action: str, entity: SQLModel, before: Any = None, after: Any = None
) -> AuditEvent:
    """Append `action` by `actor` (a person with an id and an e-mail) on `entity`, named by its table and id."""
    return record(
        session,
        action,
        actor=actor.email,
        actor_id=actor.id,
        entity_type=entity.__tablename__,
        entity_id=entity.id,
        before=before,
        after=after,
    )


def head_hash(session: Session) -> str:
    """The hash of the newest entry, or the genesis hash of an empty trail."""
    head = session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).first()
    return head.hash if head else GENESIS


def event_count(session: Session) -> int:
    """How many entries the trail holds."""
    return session.exec(select(func.count()).select_from(AuditEvent)).one()


def first_broken(session: Session, batch: int = 5000) -> Optional[int]:
    """The sequence number of the first entry whose hash, link or position does not hold, or None if the chain is whole."""
    return walk(session, (), batch)[0]


def walk(session: Session, heads: Sequence[tuple[int, str]], batch: int = 5000) -> tuple[Optional[int], Optional[int]]:
    """One pass over the trail: the first entry whose hash, link or position does not hold, and the first of
    `heads` (sequence number and hash, sorted by number) the trail does not hold; None for each that holds.

    Both in one pass, because verification reads every entry anyway and must manage hundreds of
    thousands a second.
    """
    broken = _walk(session, heads, batch)
    return broken.link, broken.head


@dataclass
class _Broken:
    link: Optional[int] = None
    head: Optional[int] = None


def _walk(session: Session, heads: Sequence[tuple[int, str]], batch: int) -> _Broken:
    found, index, count = _Broken(), 0, len(heads)
    expected_prev, expected_seq = GENESIS, 1
    table = AuditEvent.__table__.c
    # occurred_at is read as the naive UTC value it is stored as: its ISO text plus "+00:00" is the aware value's
    columns = [
        table.seq,
        sa.type_coerce(table.occurred_at, sa.DateTime()),
        *(table[name] for name in HASHED[2:]),
        table.hash,
    ]
    rows = session.connection().execute(sa.select(*columns).order_by(table.seq).execution_options(yield_per=batch))
    for seq, occurred_at, actor_id, actor, action, entity_type, entity_id, before, after, prev_hash, stored in rows:
        if (
            seq != expected_seq
            or prev_hash != expected_prev
            or stored
            != entry_hash(
                seq,
                occurred_at.isoformat() + "+00:00",
                actor_id,
                actor,
                action,
                entity_type,
                entity_id,
                before,
                after,
                prev_hash,
            )
        ):
            found.link = found.link or seq
            if index >= count:
                return found
        while index < count and heads[index][0] <= seq:
            if found.head is None and (heads[index][0] < seq or heads[index][1] != stored):
                found.head = heads[index][0]
                if found.link is not None:
                    return found
            index += 1
        expected_prev, expected_seq = stored, seq + 1
    if found.head is None and index < count:
        found.head = heads[index][0]  # witnessed beyond the end of the trail
    return found


def _filtered(query, actor: str = "", action: str = "", entity_type: str = "", entity_id: str = ""):
    """`query` narrowed to the entries matching every filter given."""
    table = AuditEvent.__table__.c
    for column, value in (
        (table.actor, actor),
        (table.action, action),
        (table.entity_type, entity_type),
        (table.entity_id, entity_id),
    ):
        if value:
            query = query.where(column == value)
    return query


def list_events(session: Session, limit: int = 100, before_seq: Optional[int] = None, **filters) -> list[AuditEvent]:
    """Newest entries first, filtered, one page at a time (pass the last seq seen as `before_seq`)."""
    query = _filtered(select(AuditEvent), **filters).order_by(AuditEvent.seq.desc()).limit(limit)
    if before_seq is not None:
        query = query.where(AuditEvent.seq < before_seq)
    return list(session.exec(query).all())


def stream_events(session: Session, up_to_seq: int, batch: int = 2000, **filters):
    """Entries up to `up_to_seq`, oldest first, filtered, as plain rows fetched `batch` at a time.

    For exports of the whole trail: memory stays flat however long the trail grows, because rows
    never enter the session's identity map and the database hands them over in batches.
    """
    table = AuditEvent.__table__
    query = _filtered(sa.select(table), **filters).where(table.c.seq <= up_to_seq).order_by(table.c.seq)
    return session.connection().execute(query.execution_options(yield_per=batch))


def count_events(session: Session, up_to_seq: int, **filters) -> int:
    """How many entries up to `up_to_seq` match the filters."""
    table = AuditEvent.__table__
    return session.execute(
        _filtered(sa.select(func.count()).select_from(table), **filters).where(table.c.seq <= up_to_seq)
    ).scalar_one()

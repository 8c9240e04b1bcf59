"""The audit trail: append-only, hash-chained; every change people make is recorded here."""

from models.audit.trail import (
    COMMAND_LINE,
    GENESIS,
    HASHED,
    PENDING_HEAD,
    AuditEvent,
    canonical_json,
    count_events,
    entry_hash,
    event_count,
    first_broken,
    head_hash,
    list_events,
    record,
    record_change,
    snapshot,
    stream_events,
)

__all__ = [
    "COMMAND_LINE",
    "GENESIS",
    "HASHED",
    "PENDING_HEAD",
    "AuditEvent",
    "canonical_json",
    "count_events",
    "entry_hash",
    "event_count",
    "first_broken",
    "head_hash",
    "list_events",
    "record",
    "record_change",
    "snapshot",
    "stream_events",
]

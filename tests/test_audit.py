"""The audit trail: a hash chain whose entry hashes are SHA-256 of canonical JSON, stable across runs."""

import hashlib
from datetime import datetime, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from models import audit


def test_audit_trail_is_a_hash_chain(db):
    first = audit.record(db, "login", actor="a@example.test")
    second = audit.record(db, "create", actor="a@example.test", entity_type="drill", entity_id=7, after={"title": "x"})
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == audit.GENESIS
    assert second.prev_hash == first.hash
    assert second.hash == second.compute_hash()
    altered = audit.AuditEvent(**{**second.model_dump(), "after": audit.canonical_json({"title": "y"})})
    assert altered.compute_hash() != second.hash, "altering a field must break the entry's hash"
    assert audit.head_hash(db) == second.hash


def test_canonical_json_is_stable():
    assert audit.canonical_json({"b": 1, "a": "é"}) == '{"a":"é","b":1}'


TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)


@settings(max_examples=300, deadline=None)
@given(
    seq=st.integers(1, 2**31),
    actor_id=st.none() | st.integers(1, 2**31),
    actor=TEXT,
    action=TEXT,
    entity_type=TEXT,
    entity_id=st.none() | TEXT,
    before=TEXT,
    after=TEXT,
    micro=st.integers(0, 999_999),
)
def test_an_entrys_hash_is_sha256_of_its_canonical_json(
    seq, actor_id, actor, action, entity_type, entity_id, before, after, micro
):
    """The fast hash verification uses must equal the documented rule, or every existing trail would read as broken."""
    occurred_at = datetime(2026, 3, 29, 1, 59, 59, micro, tzinfo=timezone.utc)
    fields = {
        "seq": seq,
        "occurred_at": occurred_at.isoformat(),
        "actor_id": actor_id,
        "actor": actor,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "before": before,
        "after": after,
        "prev_hash": audit.GENESIS,
    }
    expected = hashlib.sha256(audit.canonical_json(fields).encode("utf-8")).hexdigest()
    assert audit.entry_hash(**fields) == expected

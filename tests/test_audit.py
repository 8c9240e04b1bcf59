"""The audit trail: a hash chain whose entry hashes are SHA-256 of canonical JSON, stable across runs."""

import hashlib
from datetime import datetime, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import select

from evidence.keys import SigningKey
from evidence.witness import Witness
from models import audit
from tests.helpers import rewrite_trail_from, without_audit_guards


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


# Anchoring: heads signed with the instance key and witnessed outside the database --------------


def _trail(db, entries: int = 5) -> None:
    for number in range(entries):
        audit.record(
            db, "create", actor="editor@example.test", entity_type="drill", entity_id=number, after={"n": number}
        )
        db.commit()  # each commit's head is witnessed


def test_an_intact_trail_and_its_witnessed_heads_verify(runner, db):
    _trail(db)
    result = runner.invoke(args=["verify"])
    assert result.exit_code == 0, result.output
    assert "chain intact" in result.output and "5 signed heads hold" in result.output


def test_cutting_the_tail_is_detected(runner, db):
    _trail(db)
    without_audit_guards(db, "DELETE FROM audit_event WHERE seq > 3")
    assert audit.first_broken(db) is None, "what is left is still a valid chain: only the witness can tell"
    result = runner.invoke(args=["verify"])
    assert result.exit_code == 1
    assert "entry 4 was witnessed but is gone: the trail ends at 3" in result.output


def test_rewriting_an_entry_and_every_later_hash_is_detected(runner, db):
    _trail(db)
    without_audit_guards(db, "UPDATE audit_event SET after = :a WHERE seq = 2", a='{"n":99}')
    rewrite_trail_from(db, 2)
    assert audit.first_broken(db) is None, "the attacker recomputed the chain"
    result = runner.invoke(args=["verify"])
    assert result.exit_code == 1
    assert "entry 2 does not hold the hash witnessed for it" in result.output.splitlines()[1]


def test_a_witness_line_signed_with_another_key_is_refused(app, runner, db):
    _trail(db, 2)
    forger = SigningKey(Ed25519PrivateKey.generate())
    row = db.exec(select(audit.AuditEvent).where(audit.AuditEvent.seq == 2)).one()
    Witness(app.extensions["drillbook.witness"].path, forger).append(2, 2, row.hash)
    result = runner.invoke(args=["verify"])
    assert result.exit_code == 1 and "is not signed by this instance's key" in result.output


def test_an_edited_witness_line_breaks_the_logs_own_chain(app, runner, db):
    _trail(db, 3)
    path = app.extensions["drillbook.witness"].path
    lines = path.read_text().splitlines()
    lines[0] = lines[0].replace(lines[0].split(":")[1], "0" * 64)
    path.write_text("\n".join(lines) + "\n")
    result = runner.invoke(args=["verify"])
    assert result.exit_code == 1 and "witness line 2 does not follow line 1: the log was edited" in result.output


def test_a_cut_trail_written_again_is_caught_by_the_heads_witnessed_before(runner, db):
    _trail(db, 5)
    without_audit_guards(db, "DELETE FROM audit_event WHERE seq > 2")
    _trail(db, 4)  # the application goes on: entries 3 to 6 again, with other contents
    assert audit.first_broken(db) is None
    result = runner.invoke(args=["verify"])
    assert result.exit_code == 1 and "entry 3 was witnessed with two different hashes" in result.output


def test_a_head_copied_from_a_pdf_still_proves_a_rewrite_when_the_witness_log_was_rewritten_too(app, runner, db):
    _trail(db)
    head = db.exec(select(audit.AuditEvent).where(audit.AuditEvent.seq == 3)).one()
    copied = f"{head.seq}:{head.hash}"
    without_audit_guards(db, "UPDATE audit_event SET after = :a WHERE seq = 3", a='{"n":"forged"}')
    rewrite_trail_from(db, 3)
    app.extensions["drillbook.witness"].path.unlink()  # the attacker holds the instance folder as well
    assert runner.invoke(args=["verify"]).exit_code == 0, "without a head from outside, nothing is left to compare"
    result = runner.invoke(args=["verify", "--expect-head", copied])
    assert result.exit_code == 1 and "entry 3 does not hold the hash witnessed for it" in result.output
    assert runner.invoke(args=["verify", "--expect-head", "not-a-head"]).exit_code == 1


def test_a_rewrite_stays_caught_after_the_application_commits_on_top_of_it(runner, db):
    _trail(db)
    without_audit_guards(db, "UPDATE audit_event SET after = :a WHERE seq = 2", a='{"n":"forged"}')
    rewrite_trail_from(db, 2)
    _trail(db, 1)  # an ordinary commit, witnessed with the rewritten chain's new hash
    result = runner.invoke(args=["verify"])
    assert result.exit_code == 1 and "entry 2 does not hold the hash witnessed for it" in result.output


def test_an_entry_slipped_in_after_the_last_witnessed_head_is_named(runner, db):
    _trail(db, 3)
    head = db.exec(select(audit.AuditEvent).order_by(audit.AuditEvent.seq.desc())).first()
    forged = audit.AuditEvent(
        seq=head.seq + 1,
        occurred_at=head.occurred_at,
        actor="cto@example.test",
        action="sign",
        entity_type="drill",
        entity_id="1",
        before="null",
        after='{"status":"signed"}',
        prev_hash=head.hash,
        hash="",
    )
    forged.hash = forged.compute_hash()
    db.add(forged)
    db.info.pop(audit.PENDING_HEAD, None)  # written straight into the database: no commit of Drillbook's
    db.commit()
    _trail(db, 1)
    assert audit.first_broken(db) is None
    result = runner.invoke(args=["verify"])
    assert (
        result.exit_code == 1
        and f"entries {head.seq + 1} to {head.seq + 1} belong to no witnessed commit" in result.output
    )


@pytest.mark.parametrize("head", ["1:abc:x:y", "1:" + "0" * 64 + ":x:y", "nonsense", "12"])
def test_a_malformed_expected_head_is_a_clear_refusal(runner, db, head):
    _trail(db, 1)
    result = runner.invoke(args=["verify", "--expect-head", head])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output

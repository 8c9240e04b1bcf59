"""Domain rules: time storage, durations, overdue actions, recovery times, the catalogue, the audit chain."""

import hashlib
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, text
from sqlmodel import select

from models import audit
from models.actions.tables import Action, ActionStatus
from models.controls.tables import Control, ControlKind, Theme
from models.drills.tables import Drill, DrillKind, Phase, Step
from models.people.users import PasswordRuleError, Role, add_user, authenticate

UTC = timezone.utc


def test_times_round_trip_as_aware_utc(db):
    start = datetime(2020, 6, 13, 3, 0, tzinfo=UTC)
    drill = Drill(title="t", kind=DrillKind.TABLETOP, actual_start=start)
    db.add(drill)
    db.commit()
    db.expire_all()
    stored = db.exec(text("SELECT actual_start FROM drill")).one()[0]
    assert str(stored).startswith("2020-06-13 03:00:00")
    assert db.get(Drill, drill.id).actual_start == start
    assert db.get(Drill, drill.id).actual_start.tzinfo is not None


def test_naive_times_are_refused(db):
    db.add(Drill(title="t", kind=DrillKind.TABLETOP, actual_start=datetime(2020, 6, 13, 5, 0)))
    with pytest.raises(Exception, match="naive datetime"):
        db.flush()


def test_step_duration_and_variance_are_computed():
    start = datetime(2020, 6, 13, 3, 17, tzinfo=UTC)
    step = Step(
        phase=Phase.RECONFIGURATION,
        title="s",
        planned_minutes=90,
        started_at=start,
        ended_at=start + timedelta(minutes=120),
    )
    assert step.actual_duration == timedelta(minutes=120)
    assert step.variance == timedelta(minutes=30)
    assert Step(phase=Phase.FAILOVER, title="open", started_at=start).actual_duration is None


@pytest.mark.parametrize(
    "status, due, overdue",
    [
        (ActionStatus.OPEN, date(2026, 1, 1), True),
        (ActionStatus.IN_PROGRESS, date(2026, 1, 1), True),
        (ActionStatus.OPEN, date(2026, 1, 2), False),
        (ActionStatus.DONE, date(2025, 1, 1), False),
        (ActionStatus.VERIFIED, date(2025, 1, 1), False),
        (ActionStatus.OPEN, None, False),
    ],
)
def test_action_is_overdue_only_while_work_is_outstanding(status, due, overdue):
    assert Action(title="a", status=status, due_date=due).is_overdue(date(2026, 1, 2)) is overdue


def test_days_open_stops_at_verification():
    created = datetime(2026, 1, 1, 12, tzinfo=UTC)
    action = Action(title="a", created_at=created)
    assert action.days_open(date(2026, 1, 11)) == 10
    action.status, action.verified_at = ActionStatus.VERIFIED, datetime(2026, 1, 5, 9, tzinfo=UTC)
    assert action.days_open(date(2026, 3, 1)) == 4


def test_catalogue_holds_all_93_annex_a_controls_by_theme(db):
    rows = db.exec(
        select(Control.theme, func.count()).where(Control.kind == ControlKind.ANNEX_A).group_by(Control.theme)
    ).all()
    assert dict(rows) == {Theme.ORGANIZATIONAL: 37, Theme.PEOPLE: 8, Theme.PHYSICAL: 14, Theme.TECHNOLOGICAL: 34}
    titles = {c.code: c.title for c in db.exec(select(Control)).all()}
    assert titles["A.5.30"] == "ICT readiness for business continuity"
    assert titles["A.8.13"] == "Information backup"
    assert titles["A.8.34"] == "Protection of information systems during audit testing"
    assert titles["9.2"] == "Internal audit"
    assert titles["10.2"] == "Nonconformity and corrective action"
    assert {code for code in titles if not code.startswith("A.")} >= {"4.1", "6.1", "7.5", "9.3", "10.1"}


def test_catalogue_sorts_clauses_first_and_numerically(db):
    codes = [c.code for c in db.exec(select(Control).order_by(Control.sort_key)).all()]
    assert codes[0] == "4.1" and codes[-1] == "A.8.34"
    assert codes.index("A.5.9") < codes.index("A.5.10") < codes.index("A.6.1")
    assert codes.index("9.3") < codes.index("10.1")


def test_password_rules(db):
    with pytest.raises(PasswordRuleError, match="at least 12"):
        add_user(db, "a@example.test", "A", Role.EDITOR, "short")
    with pytest.raises(PasswordRuleError, match="at most 128"):
        add_user(db, "a@example.test", "A", Role.EDITOR, "x" * 129)
    with pytest.raises(ValueError, match="not an e-mail"):
        add_user(db, "nobody", "A", Role.EDITOR, "long enough password")


def test_authenticate(db):
    user = add_user(db, " Ann@Example.test ", "Ann", Role.EDITOR, "long enough password")
    assert user.email == "ann@example.test"
    assert authenticate(db, "ANN@example.test", "long enough password") is user
    assert authenticate(db, "ann@example.test", "wrong password!!") is None
    assert authenticate(db, "nobody@example.test", "long enough password") is None
    with pytest.raises(ValueError, match="already exists"):
        add_user(db, "ann@example.test", "Ann", Role.EDITOR, "long enough password")
    user.active = False
    assert authenticate(db, "ann@example.test", "long enough password") is None


def test_user_without_password_cannot_sign_in(db):
    add_user(db, "nopass@example.test", "No Pass", Role.EDITOR, None)
    assert authenticate(db, "nopass@example.test", "") is None


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

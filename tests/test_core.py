"""What every feature builds on: times stored as aware UTC, naive times refused."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from models.drills.tables import Drill, DrillKind


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

"""What every feature builds on: times stored as aware UTC, naive times refused."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from models.core.times import LocalTimeError, format_local, parse_local
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


BRUSSELS = ZoneInfo("Europe/Brussels")
WALL_TIMES = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 12, 31), timezones=st.none())


@given(WALL_TIMES)
def test_a_local_time_is_one_instant_or_refused_never_shifted(wall):
    """Across daylight-saving changes a typed wall time maps to the instant that shows that wall time, or is refused."""
    text = wall.strftime("%Y-%m-%dT%H:%M")
    try:
        instant = parse_local(text, BRUSSELS)
    except LocalTimeError:
        early, late = wall.replace(tzinfo=BRUSSELS, fold=0), wall.replace(tzinfo=BRUSSELS, fold=1)
        assert early.utcoffset() != late.utcoffset(), "only a skipped or repeated wall time is refused"
        return
    assert instant.tzinfo is not None and instant.utcoffset() == timedelta(0)
    assert instant.astimezone(BRUSSELS).strftime("%Y-%m-%dT%H:%M") == text
    assert parse_local(format_local(instant, BRUSSELS), BRUSSELS) == instant, (
        "what is shown reads back to the same instant"
    )


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 12, 31), timezones=st.just(UTC)))
def test_every_instant_shown_with_its_offset_reads_back_even_in_the_repeated_hour(instant):
    instant = instant.replace(second=0, microsecond=0)
    assert parse_local(format_local(instant, BRUSSELS), BRUSSELS) == instant


@pytest.mark.parametrize("text", ["0001-01-01T00:00+14:00", "9999-12-31T23:59"])
def test_a_time_at_the_edge_of_the_calendar_is_a_field_error_not_a_crash(text):
    with pytest.raises(LocalTimeError):
        parse_local(text, BRUSSELS)


def test_an_instant_before_year_one_in_utc_is_a_field_error_not_a_crash():
    """Found by schemathesis: 0001-01-01 at +22:01 is before year 1 in UTC, and converting it overflowed (a 500)."""
    from models.core.changes import validate
    from models.core.errors import RecordError
    from models.drills.inputs import DrillIn

    with pytest.raises(RecordError) as caught:
        validate(DrillIn, {"title": "x", "kind": "tabletop", "disaster_declared_at": "0001-01-01T00:00:22+22:01"})
    assert "disaster_declared_at" in caught.value.errors

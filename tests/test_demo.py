"""The reference drill as demo data: complete, and loading it twice changes nothing."""

from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import SQLModel, select

from models.drills.demo import load_reference_drill
from models.findings.tables import DrillRelation, FindingKind

BRUSSELS = ZoneInfo("Europe/Brussels")


def _row_counts(db):
    return {
        name: db.exec(select(func.count()).select_from(table)).one() for name, table in SQLModel.metadata.tables.items()
    }


def test_demo_is_complete(demo):
    assert demo.actual_start.astimezone(BRUSSELS).strftime("%Y-%m-%d %H:%M") == "2020-06-13 05:00"
    assert demo.actual_end.astimezone(BRUSSELS).strftime("%H:%M") == "09:00"
    assert "Kortrijk" in demo.primary_site and "Brussels" in demo.recovery_site
    assert sum(p.headcount for p in demo.participants) == 13
    assert sum(p.headcount for p in demo.participants if p.standby) == 2
    assert {s.name for s in demo.systems} == {
        "Application servers",
        "Internal DNS",
        "GAS/POWER platform",
        "COSMOS platform",
        "AS2/AS4 messaging",
    }
    times = [
        (s.started_at.astimezone(BRUSSELS).strftime("%H:%M"), s.ended_at.astimezone(BRUSSELS).strftime("%H:%M"))
        for s in demo.timeline()
    ]
    assert times == [
        ("05:00", "05:15"),
        ("05:15", "05:17"),
        ("05:17", "05:27"),
        ("05:17", "07:17"),
        ("07:30", "08:25"),
        ("08:25", "09:00"),
    ]
    kinds = {f.kind: f for f in demo.findings}
    assert kinds[FindingKind.IMPROVEMENT].related_to_drill == DrillRelation.YES
    restart = kinds[FindingKind.INCIDENT]
    assert restart.related_to_drill == DrillRelation.NO and "unrelated" in restart.relation_rationale
    assert len(demo.actions) == 4
    assert {c.code for c in demo.controls} == {"A.5.29", "A.5.30", "A.8.13", "A.8.14", "10.2"}
    assert {c.code for c in restart.controls} == {"A.5.24", "A.5.25", "A.5.26", "A.5.27"}
    assert "13 July" in demo.record_notes, "the write-up's date contradiction stays visible"


def test_demo_load_is_idempotent(db, demo):
    before = _row_counts(db)
    drill, created = load_reference_drill(db)
    db.commit()
    assert created is False and drill.id == demo.id
    assert _row_counts(db) == before

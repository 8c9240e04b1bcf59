"""A restore of Drillbook, recorded as a drill in the restored instance.

ISO 27001 control A.8.13 (information backup) asks that backups are tested by restoring them.
Drillbook holds the organisation's continuity evidence, so its own recovery needs the same
proof as any other system's: every `drillbook restore` leaves a finished functional drill with
one timed step per stage, the recovery point and time in its objectives, and the backup's
manifest as evidence. It waits in the register like any other drill to be reviewed and signed.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from models import audit
from models.controls.tables import Control
from models.drills.tables import Drill, DrillKind, DrillStatus, Objective, ObjectiveRating, Phase, Step, StepOutcome

#: the controls a restore test is evidence for
CONTROLS = ("A.8.13",)


@dataclass
class RestoreStage:
    """One timed stage of the restore."""

    phase: Phase
    title: str
    started_at: datetime
    ended_at: datetime
    notes: str


def _how_long(duration: timedelta) -> str:
    """Seconds for a short restore, minutes for a longer one."""
    seconds = duration.total_seconds()
    return f"{seconds:.1f} seconds" if seconds < 120 else f"{seconds / 60:.1f} minutes"


def record_restore_drill(
    session: Session,
    *,
    backup_taken_at: datetime,
    backup_host: str,
    restored_on: str,
    records: int,
    files: int,
    stages: Iterable[RestoreStage],
) -> Drill:
    """Add the finished drill that documents one successful restore, with its steps and objectives; the caller commits."""
    stages = list(stages)
    started, ended = stages[0].started_at, stages[-1].ended_at
    drill = Drill(
        title=f"Drillbook restored from its backup of {backup_taken_at:%Y-%m-%d %H:%M} UTC",
        kind=DrillKind.FUNCTIONAL,
        status=DrillStatus.RUNNING,
        actual_start=started,
        actual_end=ended,
        primary_site=backup_host[:200],
        recovery_site=restored_on[:200],
        scenario="Drillbook itself is lost and rebuilt from its latest backup into an empty instance with "
        "`drillbook restore`, which checks every hash before it keeps anything.",
        record_notes="Recorded by `drillbook restore` itself; the step times are the restore's own clock readings.",
    )
    drill.controls = list(session.exec(select(Control).where(Control.code.in_(CONTROLS))).all())
    session.add(drill)
    session.flush()
    for position, stage in enumerate(stages):
        session.add(
            Step(
                drill_id=drill.id,
                position=position,
                phase=stage.phase,
                title=stage.title[:300],
                started_at=stage.started_at,
                ended_at=stage.ended_at,
                outcome=StepOutcome.SUCCESS,
                notes=stage.notes,
            )
        )
    session.add(
        Objective(
            drill_id=drill.id,
            position=0,
            rating=ObjectiveRating.PERFORMED,
            text="Rebuild Drillbook from its backup into an empty instance.",
            rating_notes=f"Restored in {_how_long(ended - started)}. Recovery point: the backup of "
            f"{backup_taken_at:%Y-%m-%d %H:%M} UTC; anything recorded after it is not in this instance.",
        )
    )
    session.add(
        Objective(
            drill_id=drill.id,
            position=1,
            rating=ObjectiveRating.PERFORMED,
            text="Verify every restored record and evidence file against the backup's manifest.",
            rating_notes=f"{records:,} records and {files:,} evidence files matched the manifest's counts and "
            "SHA-256 hashes, and the audit trail's hash chain is intact.",
        )
    )
    session.flush()
    audit.record(
        session,
        "restore",
        actor=audit.COMMAND_LINE,
        entity_type="drill",
        entity_id=drill.id,
        after={
            "backup_taken_at": backup_taken_at.isoformat(),
            "backup_host": backup_host,
            "records": records,
            "files": files,
            "seconds": round((ended - started).total_seconds(), 3),
        },
    )
    return drill

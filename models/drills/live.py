"""The drill cockpit's one-tap operations, stamped by the server's clock.

Each is idempotent: a second tap on "start" or "finish" finds the stamp already there and
changes nothing, so a double tap on a phone never stamps twice.
"""

from datetime import datetime
from typing import Optional

from sqlmodel import Field, Session, SQLModel

from models import audit
from models.audit import snapshot
from models.core.changes import validate
from models.core.errors import RecordError
from models.core.inputs import Text
from models.drills.tables import Drill, DrillStatus, Outage, OutageKind, Step, StepOutcome
from models.findings.inputs import FindingIn
from models.findings.tables import Finding
from models.people.users import User
from models.permissions import ensure_editable
from models.systems import System

#: what a system can be marked as, by the word a person taps or a probe sends; "up" ends its open outage
STATES = {"down": OutageKind.DOWN, "degraded": OutageKind.DEGRADED, "up": None}


def _audit(session: Session, actor: User, action: str, record, before: Optional[dict]) -> None:
    audit.record_change(session, actor, action, record, before=before, after=snapshot(record))


def ensure_live(drill: Drill) -> None:
    """Refuse a cockpit tap once the drill has ended: its record is then corrected on the drill's own pages."""
    ensure_editable(drill)
    if drill.actual_end is not None:
        raise RecordError(
            {"": "The drill has ended; the cockpit no longer takes input. Correct the record from the drill's page."}
        )


def start_drill(session: Session, drill: Drill, now: datetime, actor: User) -> bool:
    """Stamp the drill's actual start; False if it had started already."""
    ensure_editable(drill)
    if drill.actual_start is not None:
        return False
    before = snapshot(drill)
    drill.actual_start, drill.status = now, DrillStatus.RUNNING
    session.flush()
    _audit(session, actor, "update", drill, before)
    return True


def end_drill(session: Session, drill: Drill, now: datetime, actor: User) -> bool:
    """Stamp the drill's actual end; refused while a step is still running (outages still open stay open)."""
    ensure_editable(drill)
    if drill.actual_start is None:
        raise RecordError({"": "The drill has not started."})
    if drill.actual_end is not None:
        return False
    running = [s.title for s in drill.steps if s.started_at is not None and s.ended_at is None]
    if running:
        raise RecordError({"": f"Finish these steps before ending the drill: {'; '.join(running)}."})
    before = snapshot(drill)
    drill.actual_end = now
    session.flush()
    _audit(session, actor, "update", drill, before)
    return True


def start_step(session: Session, drill: Drill, step: Step, now: datetime, actor: User) -> bool:
    """Stamp a step's start; False if it had started already."""
    ensure_live(drill)
    if step.started_at is not None:
        return False
    if drill.actual_start is None:
        start_drill(session, drill, now, actor)
    before = snapshot(step)
    step.started_at = now
    session.flush()
    _audit(session, actor, "update", step, before)
    return True


def finish_step(session: Session, drill: Drill, step: Step, outcome: StepOutcome, now: datetime, actor: User) -> bool:
    """Stamp a step's end with its outcome; False if it had finished already."""
    ensure_live(drill)
    if step.started_at is None:
        raise RecordError({"": f"“{step.title}” has not started yet."})
    if step.ended_at is not None:
        return False
    before = snapshot(step)
    step.ended_at, step.outcome = now, outcome
    session.flush()
    _audit(session, actor, "update", step, before)
    return True


def open_outage(drill: Drill, system: System) -> Optional[Outage]:
    """The system's outage in this drill that has not ended, if any."""
    return next((o for o in drill.outages if o.system_id == system.id and o.ended_at is None), None)


def mark_system(
    session: Session, drill: Drill, system: System, state: Optional[OutageKind], now: datetime, actor: User
) -> bool:
    """Mark a system down or degraded (opening an outage) or back up (None, ending it); False if already so."""
    ensure_live(drill)
    current = open_outage(drill, system)
    if (current.kind if current else None) == state:
        return False
    if current is not None:
        before = snapshot(current)
        current.ended_at = max(now, current.started_at)
        session.flush()
        _audit(session, actor, "update", current, before)
    if state is not None:
        outage = Outage(drill=drill, system=system, kind=state, started_at=now)
        session.add(outage)
        session.flush()
        _audit(session, actor, "create", outage, None)
    return True


def log_finding(session: Session, drill: Drill, title: str, kind: str, now: datetime, actor: User):
    """A finding noted during the drill with its detection time; details are added afterwards."""
    ensure_live(drill)
    checked = validate(FindingIn, {"title": title, "kind": kind, "detected_at": now})
    finding = Finding(drill_id=drill.id, kind=checked.kind, title=checked.title, detected_at=now)
    session.add(finding)
    session.flush()
    _audit(session, actor, "create", finding, None)
    return finding


class HotwashIn(SQLModel):
    """The hot wash right after the drill: three short answers, any of them may be left empty."""

    went_well: Text = Field(default="", max_length=4000)
    to_improve: Text = Field(default="", max_length=4000)
    other: Text = Field(default="", max_length=4000)


HOTWASH_QUESTIONS = (
    ("went_well", "What went well"),
    ("to_improve", "What to improve"),
    ("other", "Other feedback"),
)


def record_hotwash(session: Session, drill: Drill, data: dict, now: datetime, actor: User, zone) -> None:
    """Add one round of hot-wash feedback to the drill, after it ended and before it is signed; flushed.

    Each round is appended under who gave it and when, so several people can each add theirs.
    """
    ensure_editable(drill)
    if drill.actual_end is None:
        raise RecordError({"": "The hot wash comes after the drill: end the drill first."})
    answers = validate(HotwashIn, data)
    said = [(label, getattr(answers, name).strip()) for name, label in HOTWASH_QUESTIONS]
    said = [(label, text) for label, text in said if text]
    if not said:
        raise RecordError({"went_well": "Write at least one answer."})
    block = f"*{actor.name}, {now.astimezone(zone).strftime('%Y-%m-%d %H:%M')}:*\n\n" + "\n".join(
        f"- **{label}:** {' '.join(text.split())}" for label, text in said
    )
    before = snapshot(drill)
    drill.hotwash = f"{drill.hotwash.rstrip()}\n\n{block}".strip() if drill.hotwash else block
    session.flush()
    _audit(session, actor, "hotwash", drill, before)

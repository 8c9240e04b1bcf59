"""Amendments: a signed drill is never changed; its correction is a copy with the next revision number,
signed anew, and the chain of revisions is read from either end."""

import json
from typing import Optional

from sqlmodel import Session, select

from models import audit
from models.core.errors import RecordError
from models.drills.tables import Drill, DrillStatus
from models.people.users import User
from models.signoff.tables import SignOff
from models.systems import DrillSystem


def amend(session: Session, drill: Drill, actor: User) -> Drill:
    """Open the next revision of a signed drill as a copy; the signed one stays as it is, forever.

    Its follow-up actions move to the new revision, where they go on being followed up.
    """
    if drill.status != DrillStatus.SIGNED:
        raise RecordError({"": "Only a signed drill is amended; this one can still be edited directly."})
    newer = session.exec(select(Drill).where(Drill.previous_revision_id == drill.id)).first()
    if newer is not None:
        raise RecordError({"": f"Revision {newer.revision} already amends this one."})
    fields = {
        c.key: getattr(drill, c.key)
        for c in Drill.__table__.columns
        if c.key
        not in (
            "id",
            "version",
            "status",
            "created_at",
            "revision",
            "previous_revision_id",
            "submitted_by_id",
            "submitted_at",
        )
    }
    copy = Drill(**fields, status=DrillStatus.RUNNING, revision=drill.revision + 1, previous_revision_id=drill.id)
    copy.systems, copy.controls = list(drill.systems), list(drill.controls)
    session.add(copy)
    session.flush()
    _copy_children(session, drill, copy)
    for action in drill.actions:
        # actions are followed up live, so they move on with the record; the signed snapshot keeps how they stood
        action.drill_id = copy.id
    session.flush()
    audit.record_change(session, actor, "amend", copy, after={"amends": drill.id, "revision": copy.revision})
    return copy


def _copy(record, **changes):
    columns = {c.key: getattr(record, c.key) for c in record.__table__.columns if c.key not in ("id", "version")}
    return type(record)(**{**columns, **changes})


def _copy_children(session: Session, old: Drill, new: Drill) -> None:
    for link in old.scope:
        stored = session.get(DrillSystem, (new.id, link.system_id))
        stored.last_data_at = link.last_data_at
    for record in [*old.objectives, *old.participants, *old.steps, *old.outages]:
        session.add(_copy(record, drill_id=new.id))
    for finding in old.findings:
        copy = _copy(finding, drill_id=new.id)
        copy.systems, copy.controls = list(finding.systems), list(finding.controls)
        session.add(copy)
    for item in old.evidence:
        copy = _copy(item, drill_id=new.id, last_verified_at=None)
        copy.controls = list(item.controls)
        session.add(copy)
    session.flush()


def revisions(session: Session, drill: Drill) -> list[Drill]:
    """Every revision of the drill's record, first to last."""
    chain = [drill]
    while chain[0].previous_revision_id is not None:
        chain.insert(0, session.get(Drill, chain[0].previous_revision_id))
    while (newer := session.exec(select(Drill).where(Drill.previous_revision_id == chain[-1].id)).first()) is not None:
        chain.append(newer)
    return chain


def previous_signed_snapshot(session: Session, drill: Drill) -> Optional[dict]:
    """What the previous revision's signature covered, to show what this revision changes."""
    if drill.previous_revision_id is None:
        return None
    signoff = session.exec(
        select(SignOff).where(SignOff.drill_id == drill.previous_revision_id).order_by(SignOff.id.desc())
    ).first()
    return json.loads(signoff.snapshot) if signoff and signoff.snapshot else None

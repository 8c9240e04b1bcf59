"""Planning the next drill from one that ran: the same scope, teams, objectives and steps, with each
step planned to take what it actually took, so the next exercise is measured against the last one."""

from sqlmodel import Session

from models.core.changes import create_record
from models.drills.tables import Drill, DrillKind, DrillStatus, Objective, Participant, Step
from models.people.users import User


def planned_minutes(step: Step):
    """The step's actual duration in whole minutes, else what was planned for it."""
    took = step.actual_duration
    return round(took.total_seconds() / 60) if took is not None else step.planned_minutes


def plan_next_drill(session: Session, drill: Drill, actor: User) -> Drill:
    """A planned drill copying `drill`'s scope, systems, controls, participants' teams, objectives (not their
    ratings) and steps (not their times); flushed and audited. The source may be signed: it is only read."""
    nxt = create_record(
        session,
        Drill(
            title=f"{drill.title} (next)"[:300],
            kind=drill.kind or DrillKind.FUNCTIONAL,
            status=DrillStatus.PLANNED,
            scenario=drill.scenario,
            primary_site=drill.primary_site,
            recovery_site=drill.recovery_site,
            out_of_scope=drill.out_of_scope,
            scenarios=drill.scenarios,
            plans=drill.plans,
            sponsor=drill.sponsor,
            point_of_contact=drill.point_of_contact,
            record_notes=f"Planned from “{drill.title}” (revision {drill.revision}): step durations are those it took.",
        ),
        actor,
    )
    nxt.systems, nxt.controls = list(drill.systems), list(drill.controls)
    nxt.objectives = [Objective(position=o.position, text=o.text) for o in drill.objectives]
    nxt.participants = [
        Participant(
            team=p.team,
            organisation=p.organisation,
            role=p.role,
            headcount=p.headcount,
            location=p.location,
            standby=p.standby,
        )
        for p in drill.participants
    ]
    nxt.steps = [
        Step(position=n, phase=s.phase, title=s.title, system_id=s.system_id, planned_minutes=planned_minutes(s))
        for n, s in enumerate(drill.timeline(), start=1)
    ]
    session.flush()
    return nxt

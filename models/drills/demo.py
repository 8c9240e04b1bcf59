"""The reference drill: a full datacenter failover, Kortrijk to Brussels, on Saturday 13 June 2020.

Loaded by `drillbook demo` as the first thing a new user sees. Loading it twice changes
nothing: every record is looked up by a natural key before it is created.
"""

from sqlmodel import Session, select

from models.controls.tables import Control
from models.drills.demo_records import (
    CONCLUSION,
    EVALUATION_METHOD,
    OUT_OF_SCOPE,
    PARTICIPANTS,
    RECORD_NOTES,
    SCENARIO,
    at,
    findings_and_actions,
    outages,
    steps,
)
from models.drills.tables import (
    Drill,
    DrillKind,
    DrillStatus,
    Objective,
    ObjectiveRating,
    Participant,
)
from models.people.users import Role, User, normalise_email
from models.signoff.workflow import submit_for_review
from models.systems import System

TITLE = "Full datacenter failover: Kortrijk to Brussels"


SYSTEMS = {
    "Application servers": ("All platforms' application servers, failed over as one block.", "IT"),
    "Internal DNS": ("Internal and private DNS zones.", "IT"),
    "GAS/POWER platform": ("Gas and power scheduling platform: application servers and database.", "IT"),
    "COSMOS platform": ("COSMOS platform application servers; network-heavy.", "IT"),
    "AS2/AS4 messaging": ("Message exchange with TSOs, SSOs and other counterparties over AS2/AS4.", "Operations"),
}


#: people records the demo refers to; they have no password and cannot sign in until given one
PEOPLE = [
    ("cto@reference-drill.example", "Chief Technology Officer", Role.APPROVER, "CTO"),
    ("it.lead@reference-drill.example", "IT lead", Role.EDITOR, "IT"),
    ("operations.lead@reference-drill.example", "Operations lead", Role.EDITOR, "Operations"),
]


def load_reference_drill(session: Session) -> tuple[Drill, bool]:
    """The reference drill and whether it was created now; an existing one is left as it is."""
    existing = session.exec(select(Drill).where(Drill.title == TITLE)).first()
    if existing is not None:
        return existing, False
    people = {row[3]: _person(session, *row) for row in PEOPLE}
    systems = {name: _system(session, name, *info) for name, info in SYSTEMS.items()}
    controls = {c.code: c for c in session.exec(select(Control)).all()}

    drill = Drill(
        title=TITLE,
        kind=DrillKind.FULL_SCALE,
        status=DrillStatus.RUNNING,
        scenario=SCENARIO,
        primary_site="Kortrijk (Courtrai), Belgium",
        recovery_site="Brussels, Belgium",
        planned_start=at("05:00"),
        actual_start=at("05:00"),
        actual_end=at("09:00"),
        out_of_scope=OUT_OF_SCOPE,
        record_notes=RECORD_NOTES,
        sponsor="CTO, for the ISO/IEC 27001 certification project",
        point_of_contact="CTO",
        evaluators="CTO (timings and report); Operations and Business analysts (internal tests)",
        evaluation_method=EVALUATION_METHOD,
        conclusion=CONCLUSION,
        claim="All core functions ran in the backup datacenter in under an hour",
        claim_minutes=60,
        scenarios="switchover,failback,site_loss",
        plans="Disaster-recovery plan of the datacenters",
    )
    drill.systems = list(systems.values())
    drill.controls = [controls[code] for code in ("A.5.29", "A.5.30", "A.8.13", "A.8.14", "10.2")]
    drill.objectives = [
        Objective(
            position=1,
            text="Recover every IT system and database in the backup datacenter after a simulated total loss of the primary datacenter.",
            rating=ObjectiveRating.PERFORMED,
            rating_notes="All five systems in scope worked from Brussels by 07:30; see recovery by system.",
        ),
        Objective(
            position=2,
            text="Measure how long each system takes to work again from the backup datacenter.",
            rating=ObjectiveRating.PERFORMED,
            rating_notes="Each system's recovery was timed, from 15 minutes (application servers) to 2 h 30 min "
            "(AS2/AS4 messaging).",
        ),
        Objective(
            position=3,
            text="Confirm that customers and market parties can exchange messages with the backup datacenter.",
            rating=ObjectiveRating.MAJOR_CHALLENGES,
            rating_notes="Two TSOs had not registered the backup datacenter's IP address; their markets could not be served from Brussels.",
            analysis="Every market party had been told about the exercise weeks ahead, but nobody checked with each "
            "partner that the backup address was registered: being informed was taken for being ready.",
            recommendation="Test the exchange of messages with every AS2/AS4 partner from the backup datacenter "
            "before the next exercise, and keep the result per partner.",
        ),
        Objective(
            position=4,
            text="Return to the primary datacenter without disrupting operations.",
            rating=ObjectiveRating.SOME_CHALLENGES,
            rating_notes="One server did not restart correctly after the failback; the infrastructure partner fixed it in under 30 minutes.",
            analysis="The infrastructure partner found the restart failure unrelated to the exercise.",
            recommendation="None beyond the partner's own fix.",
        ),
    ]
    drill.participants = [
        Participant(team=team, organisation=org, role=role, headcount=n, location=loc, standby=standby)
        for team, org, role, n, loc, standby in PARTICIPANTS
    ]
    drill.steps = steps(systems)
    drill.outages = outages(systems)
    session.add(drill)
    session.flush()
    findings_and_actions(session, drill, systems, controls, people)
    session.flush()
    session.refresh(drill)
    submit_for_review(session, drill, people["IT"], notify=False)
    return drill, True


def _person(session: Session, email: str, name: str, role: Role, title: str) -> User:
    user = session.exec(select(User).where(User.email == normalise_email(email))).first()
    if user is None:
        user = User(email=normalise_email(email), name=name, role=role, title=title)
        session.add(user)
    return user


def _system(session: Session, name: str, description: str, owner: str) -> System:
    system = session.exec(select(System).where(System.name == name)).first()
    if system is None:
        system = System(name=name, description=description, owner=owner)
        session.add(system)
    return system

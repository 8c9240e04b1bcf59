"""A large, realistic Drillbook data set for the scale benchmark, inserted in bulk.

Several years of a busy programme: 200 drills with 20,000 timed steps, 5,000 findings,
10,000 follow-up actions, 50,000 evidence records (sharing 1,000 stored files) and an audit
trail of 500,000 entries whose hash chain is whole. A fifth of the drills are signed. Rows go
in through SQLAlchemy bulk inserts with explicit ids, so building it takes a minute, not hours.
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy import insert
from sqlmodel import Session, select

from models.actions.tables import Action, ActionStatus
from models.audit import GENESIS, AuditEvent
from models.controls.links import ActionControl, DrillControl, EvidenceControl, FindingControl
from models.controls.tables import Control
from models.drills.tables import (
    Drill,
    DrillKind,
    DrillStatus,
    Objective,
    ObjectiveRating,
    Outage,
    OutageKind,
    Participant,
    Phase,
    Step,
    StepOutcome,
)
from models.evidence import Evidence
from models.findings.tables import Finding, FindingKind, Severity
from models.people.users import Role, User
from models.signoff.tables import SignOff
from models.systems import DrillSystem, FindingSystem, System

#: the sizes the production issue names
SIZES = {"drills": 200, "steps": 20_000, "findings": 5_000, "actions": 10_000, "evidence": 50_000, "audit": 500_000}
FILES = 1_000
USERS = 20
SYSTEMS = 20
BATCH = 10_000


@dataclass
class DataSet:
    """Ids the benchmark pages are opened with: a drill and a control linked to it, its findings and its actions."""

    drill_id: int
    control_code: str
    counts: dict[str, int]


def _bulk(session: Session, model, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        session.execute(insert(model), rows[start : start + BATCH])


def build(session: Session, vault, password_hash: str, sizes: dict = SIZES, seed: int = 27001) -> DataSet:
    """Insert the whole data set into a migrated, empty database; the caller commits."""
    rng = random.Random(seed)
    drills, steps_per, findings_per = (
        sizes["drills"],
        sizes["steps"] // sizes["drills"],
        sizes["findings"] // sizes["drills"],
    )
    actions_per_finding, evidence_per = sizes["actions"] // sizes["findings"], sizes["evidence"] // sizes["drills"]
    base = datetime(2019, 1, 5, 6, 0, tzinfo=timezone.utc)
    controls = session.exec(select(Control).where(Control.kind == "annex_a").order_by(Control.sort_key)).all()

    _bulk(
        session,
        User,
        [
            dict(
                id=i,
                email=f"person{i}@bench.example",
                name=f"Person {i}",
                role=list(Role)[i % len(Role)],
                password_hash=password_hash,
                title="CTO" if i == 1 else "",
                session_nonce=f"nonce{i}",
                created_at=base,
            )
            for i in range(1, USERS + 1)
        ],
    )
    _bulk(
        session,
        System,
        [dict(id=i, name=f"System {i:02}", description="Platform", owner="IT") for i in range(1, SYSTEMS + 1)],
    )
    hashes = []
    for i in range(FILES):
        received = vault.receive([f"evidence file {i}\n".encode() * (1 + i % 50)], 10**6)
        vault.commit(received)
        hashes.append((received.sha256, received.size))

    rows = {
        name: []
        for name in (
            "drill",
            "drill_system",
            "drill_control",
            "objective",
            "participant",
            "step",
            "outage",
            "finding",
            "finding_control",
            "finding_system",
            "action",
            "action_control",
            "evidence",
            "evidence_control",
            "sign_off",
        )
    }
    finding_id = action_id = evidence_id = step_id = 0
    for d in range(1, drills + 1):
        start = base + timedelta(days=9 * d)
        signed = d % 5 == 0
        rows["drill"].append(
            dict(
                id=d,
                title=f"Failover drill {d}: site A to site B",
                kind=list(DrillKind)[d % 3],
                status=DrillStatus.RUNNING,
                scenario="The primary datacenter is lost.",
                actual_start=start,
                actual_end=start + timedelta(hours=steps_per // 10),
                planned_start=start,
                created_at=start - timedelta(days=30),
            )
        )
        scope = rng.sample(range(1, SYSTEMS + 1), 5)
        rows["drill_system"] += [dict(drill_id=d, system_id=s) for s in scope]
        codes = rng.sample(range(len(controls)), 4)
        if d == drills - 1:
            shown_control = controls[codes[0]].code  # linked to the shown drill, its findings and actions
        rows["drill_control"] += [dict(drill_id=d, control_id=controls[c].id) for c in codes]
        rows["objective"] += [
            dict(drill_id=d, position=i, text=f"Objective {i}", rating=ObjectiveRating.PERFORMED) for i in range(3)
        ]
        rows["participant"] += [
            dict(drill_id=d, team=f"Team {i}", organisation="Company", headcount=3) for i in range(4)
        ]
        for i in range(steps_per):
            step_id += 1
            at = start + timedelta(minutes=6 * i)
            rows["step"].append(
                dict(
                    id=step_id,
                    drill_id=d,
                    position=i,
                    phase=list(Phase)[i * 5 // steps_per],
                    title=f"Step {i} of drill {d}",
                    system_id=scope[i % 5],
                    planned_minutes=5,
                    started_at=at,
                    ended_at=at + timedelta(minutes=4 + i % 4),
                    outcome=StepOutcome.SUCCESS if i % 17 else StepOutcome.ISSUES,
                    notes="Done as planned.",
                )
            )
        rows["outage"] += [
            dict(
                drill_id=d,
                system_id=s,
                kind=OutageKind.DOWN,
                started_at=start + timedelta(minutes=30),
                ended_at=start + timedelta(minutes=90 + 10 * j),
            )
            for j, s in enumerate(scope)
        ]
        for f in range(findings_per):
            finding_id += 1
            rows["finding"].append(
                dict(
                    id=finding_id,
                    drill_id=d,
                    kind=list(FindingKind)[f % len(FindingKind)],
                    title=f"Finding {finding_id}",
                    description="What was seen.",
                    severity=list(Severity)[f % len(Severity)],
                    detected_at=start + timedelta(minutes=f),
                    created_at=start,
                )
            )
            rows["finding_control"].append(dict(finding_id=finding_id, control_id=controls[codes[f % 4]].id))
            rows["finding_system"].append(dict(finding_id=finding_id, system_id=scope[f % 5]))
            for a in range(actions_per_finding):
                action_id += 1
                status = list(ActionStatus)[action_id % len(ActionStatus)]
                rows["action"].append(
                    dict(
                        id=action_id,
                        finding_id=finding_id,
                        drill_id=d,
                        title=f"Action {action_id}",
                        owner_id=1 + action_id % USERS,
                        due_date=date(2019, 3, 1) + timedelta(days=action_id % 3000),
                        status=status,
                        created_at=start,
                        completed_at=start + timedelta(days=20)
                        if status in (ActionStatus.DONE, ActionStatus.VERIFIED)
                        else None,
                    )
                )
                rows["action_control"].append(dict(action_id=action_id, control_id=controls[codes[a % 4]].id))
        for e in range(evidence_per):
            evidence_id += 1
            sha, size = hashes[evidence_id % FILES]
            rows["evidence"].append(
                dict(
                    id=evidence_id,
                    sha256=sha,
                    original_name=f"log-{evidence_id}.txt",
                    size=size,
                    media_type="text/plain",
                    collected_on=start.date(),
                    drill_id=d,
                    uploaded_by_id=1 + e % USERS,
                    uploaded_at=start + timedelta(hours=e % 48),
                )
            )
            rows["evidence_control"].append(
                dict(evidence_id=evidence_id, control_id=controls[(codes[e % 4] + e) % len(controls)].id)
            )
        if signed:
            rows["sign_off"].append(
                dict(
                    drill_id=d,
                    revision=1,
                    signer_id=1,
                    signer_role="approver",
                    signer_title="CTO",
                    statement="True account.",
                    content_sha256="0" * 64,
                    signed_at=start + timedelta(days=14),
                )
            )
    for table, model in (
        ("drill", Drill),
        ("drill_system", DrillSystem),
        ("drill_control", DrillControl),
        ("objective", Objective),
        ("participant", Participant),
        ("step", Step),
        ("outage", Outage),
        ("finding", Finding),
        ("finding_control", FindingControl),
        ("finding_system", FindingSystem),
        ("action", Action),
        ("action_control", ActionControl),
        ("evidence", Evidence),
        ("evidence_control", EvidenceControl),
        ("sign_off", SignOff),
    ):
        _bulk(session, model, rows[table])
    session.execute(
        sa.update(Drill)
        .where(Drill.id.in_([d for d in range(1, drills + 1) if d % 5 == 0]))
        .values(status=DrillStatus.SIGNED)
    )
    _audit_chain(session, sizes["audit"], base)
    _reset_sequences(session)
    return DataSet(drill_id=drills - 1, control_code=shown_control, counts={k: len(v) for k, v in rows.items()})


def _audit_chain(session: Session, entries: int, base: datetime) -> None:
    """A whole hash chain of ordinary updates, appended in batches."""
    previous = GENESIS
    for start in range(0, entries, BATCH):
        batch = []
        for seq in range(start + 1, min(start + BATCH, entries) + 1):
            event = AuditEvent(
                seq=seq,
                occurred_at=base + timedelta(seconds=30 * seq),
                actor_id=1 + seq % USERS,
                actor=f"person{1 + seq % USERS}@bench.example",
                action="update",
                entity_type="step",
                entity_id=str(1 + seq % 20_000),
                before='{"outcome":"pending"}',
                after='{"outcome":"success"}',
                prev_hash=previous,
                hash="",
            )
            event.hash = previous = event.compute_hash()
            batch.append(event.model_dump())
        session.execute(insert(AuditEvent), batch)


def _reset_sequences(session: Session) -> None:
    """Explicit ids leave PostgreSQL's sequences behind; move each to its table's largest id."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in (
        "user",
        "system",
        "drill",
        "objective",
        "participant",
        "step",
        "outage",
        "finding",
        "action",
        "evidence",
        "sign_off",
    ):
        session.execute(
            sa.text(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT max(id) FROM \"{table}\"))")
        )

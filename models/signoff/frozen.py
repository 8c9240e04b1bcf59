"""A signed revision rebuilt from its signed content alone, so its figures and verdicts never follow live rows.

`frozen_drill` turns a sign-off's snapshot back into unsaved Drill, System, Step, Outage, Finding,
Action and Evidence objects. The metrics, the charts and the report data run on these exactly as
on live records, so editing a system's RTO, renaming it or renaming the signer after signing
changes nothing in what the signed revision shows. The objects are never added to a session.
"""

import json
from datetime import date, datetime

from sqlmodel import select

from models.actions.tables import Action, ActionKind, ActionStatus, Capability, Priority, Verification
from models.audit import AuditEvent
from models.controls.tables import Control
from models.core.errors import RecordError
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
from models.findings.tables import DrillRelation, Finding, FindingKind, Severity
from models.people.users import User
from models.signoff.identity import identity_record
from models.signoff.snapshot import content_hash
from models.signoff.tables import SignOff
from models.systems import DrillSystem, System

#: the fields of each section that hold an instant, a date or a code, and how each is read back
_READ = {
    "started_at": datetime.fromisoformat,
    "ended_at": datetime.fromisoformat,
    "planned_start": datetime.fromisoformat,
    "planned_end": datetime.fromisoformat,
    "actual_start": datetime.fromisoformat,
    "actual_end": datetime.fromisoformat,
    "disaster_declared_at": datetime.fromisoformat,
    "detected_at": datetime.fromisoformat,
    "resolved_at": datetime.fromisoformat,
    "last_data_at": datetime.fromisoformat,
    "created_at": datetime.fromisoformat,
    "completed_at": datetime.fromisoformat,
    "verified_at": datetime.fromisoformat,
    "due_date": date.fromisoformat,
    "start_date": date.fromisoformat,
    "collected_on": date.fromisoformat,
    "uploaded_at": datetime.fromisoformat,
    "effectiveness_checked_on": date.fromisoformat,
}


def _values(item: dict, codes: dict, skip: tuple[str, ...] = ()) -> dict:
    """A snapshot row's fields as the table's types: instants, dates and codes read back; `skip` left out."""
    out = {}
    for name, value in item.items():
        if name in skip:
            continue
        if value is not None and name in codes:
            value = codes[name](value)
        elif value is not None and _READ.get(name):
            value = _READ[name](value)
        out[name] = value
    return out


def _person(name: str | None, email: str | None = None) -> User | None:
    """Someone named in the signed content, as a name only: their live account may have changed since."""
    return User(name=name, email=email or "") if name else None


def _targets(system: System | None) -> dict:
    if system is None:
        return {}
    return {"rto_minutes": system.rto_minutes, "rpo_minutes": system.rpo_minutes, "mtd_minutes": system.mtd_minutes}


def _system(item: dict, number: int) -> System:
    return System(
        id=number,
        name=item["system"],
        rto_minutes=item.get("rto_minutes"),
        rpo_minutes=item.get("rpo_minutes"),
        mtd_minutes=item.get("mtd_minutes"),
    )


def targets_signed(snapshot: dict) -> bool:
    """Whether the snapshot holds the systems' recovery targets (sign-offs made before they were signed do not)."""
    return all("rto_minutes" in item for item in snapshot.get("scope", []))


def frozen_drill(snapshot: dict, drill_id: int, live: Drill | None = None) -> Drill:
    """The drill exactly as signed: every figure computed from this object depends on the signed content alone.

    A snapshot from before targets were signed has no RTO/RPO/MTD: the targets of `live` are used for
    those, and `changes_since_signing` says so.
    """
    d = snapshot["drill"]
    drill = Drill(
        id=drill_id,
        status=DrillStatus.SIGNED,
        revision=snapshot.get("revision", 1),
        **_values(d, {"kind": DrillKind}),
    )
    current = {s.name: s for s in live.systems} if live is not None and not targets_signed(snapshot) else {}
    systems = {
        item["system"]: _system({**_targets(current.get(item["system"])), **item}, n)
        for n, item in enumerate(snapshot.get("scope", []), start=1)
    }

    def system_named(name):
        if name is None:
            return None
        if name not in systems:  # a step or outage on a system outside the scope
            systems[name] = _system({"system": name}, len(systems) + 1)
        return systems[name]

    drill.objectives = [Objective(**_values(o, {"rating": ObjectiveRating})) for o in snapshot.get("objectives", [])]
    drill.participants = [Participant(**_values(p, {})) for p in snapshot.get("participants", [])]
    steps = []
    for s in snapshot.get("steps", []):
        system = system_named(s.get("system"))
        steps.append(
            Step(
                **_values(s, {"phase": Phase, "outcome": StepOutcome}, skip=("system",)),
                system=system,
                system_id=system.id if system else None,
            )
        )
    drill.steps = steps
    outages = []
    for o in snapshot.get("outages", []):
        system = system_named(o["system"])
        outages.append(Outage(**_values(o, {"kind": OutageKind}, skip=("system",)), system=system, system_id=system.id))
    drill.outages = outages
    scoped = [systems[item["system"]] for item in snapshot.get("scope", [])]
    drill.systems = scoped
    drill.scope = [
        DrillSystem(
            system_id=systems[item["system"]].id,
            **_values(item, {}, skip=("system", "rto_minutes", "rpo_minutes", "mtd_minutes")),
        )
        for item in snapshot.get("scope", [])
    ]
    drill.controls = [Control(code=code, title="") for code in snapshot.get("controls", [])]
    drill.findings = [
        Finding(
            **_values(
                f,
                {"kind": FindingKind, "severity": Severity, "related_to_drill": DrillRelation},
                skip=("systems", "controls", "decided_by"),
            ),
            relation_decided_by=_person(f.get("decided_by")),
            systems=[system_named(name) for name in f.get("systems", [])],
            controls=[Control(code=code, title="") for code in f.get("controls", [])],
        )
        for f in snapshot.get("findings", [])
    ]
    drill.actions = [
        Action(
            **_values(
                a,
                {
                    "status": ActionStatus,
                    "priority": Priority,
                    "kind": ActionKind,
                    "capability": Capability,
                    "verification_result": Verification,
                },
                skip=("owner", "owner_name", "finding", "verified_by"),
            ),
            owner=_person(a.get("owner_name") or a.get("owner"), a.get("owner")),
            verified_by=_person(a.get("verified_by")),
            finding=Finding(title=a["finding"]) if a.get("finding") else None,
        )
        for a in snapshot.get("actions", [])
    ]
    drill.evidence = [
        Evidence(
            sha256=e["sha256"],
            original_name=e["name"],
            size=e["size"],
            **{"uploaded_at": None, **_values(e, {}, skip=("sha256", "name", "size"))},
        )
        for e in snapshot.get("evidence", [])
    ]
    return drill


class SignedContentAltered(RecordError):
    """A sign-off's stored content no longer hashes to what was signed: someone changed the database."""


def signed_off(drill: Drill) -> SignOff | None:
    """The sign-off whose content a signed drill is shown from; None while the drill is not signed.

    The stored content must still hash to the signed hash, or nothing is shown from it.
    """
    if drill.status != DrillStatus.SIGNED or not drill.signoffs:
        return None
    signoff = drill.signoffs[-1]
    if not signoff.snapshot:
        return None
    if content_hash(json.loads(signoff.snapshot)) != signoff.content_sha256:
        raise SignedContentAltered(
            {
                "": f"The signed content of this drill no longer matches its hash {signoff.content_sha256[:16]}…: "
                "the database was altered after signing. Run drillbook verify."
            }
        )
    return signoff


def altered_signoffs(session) -> list[str]:
    """Every sign-off whose stored content, hash, signer or statement differs from what the audit trail recorded."""
    problems = []
    for signoff in session.exec(select(SignOff).order_by(SignOff.id)).all():
        label = f"sign-off {signoff.id} (drill {signoff.drill_id})"
        if signoff.snapshot and content_hash(json.loads(signoff.snapshot)) != signoff.content_sha256:
            problems.append(f"{label}: its content no longer matches its hash")
        query = select(AuditEvent.after).where(
            AuditEvent.action == "sign",
            AuditEvent.entity_type == "drill",
            AuditEvent.entity_id == str(signoff.drill_id),
        )
        recorded = [json.loads(after) for after in session.exec(query).all()]
        entry = next((r for r in recorded if r.get("content_sha256") == signoff.content_sha256), None)
        if entry is None:
            problems.append(f"{label}: the audit trail never recorded its hash")
        elif any(
            k in entry and entry[k] != value
            for k, value in (
                *((k, getattr(signoff, k)) for k in ("statement", "signer_name", "signer_title", "override_reason")),
                *identity_record(signoff).items(),
            )
        ):
            problems.append(
                f"{label}: its signer, statement, override reason or proof of identity differs from the audit trail"
            )
    return problems


def changes_since_signing(signed: Drill, live: Drill, snapshot: dict | None = None) -> list[str]:
    """What has changed in the live systems since signing, for a note beside figures that do not follow it."""
    now = {s.name: s for s in live.systems}
    if snapshot is not None and not targets_signed(snapshot):
        return [
            "This drill was signed before recovery targets were part of the signed content: its verdicts use today's targets."
        ]
    notes = []
    for system in signed.systems:
        current = now.get(system.name)
        if current is None:
            notes.append(f"{system.name} has since been renamed or taken out of the scope.")
            continue
        for field, label in (("rto_minutes", "RTO"), ("rpo_minutes", "RPO"), ("mtd_minutes", "MTD")):
            before, after = getattr(system, field), getattr(current, field)
            if before != after:
                notes.append(
                    f"The {label} target of {system.name} has since changed from {_minutes(before)} to {_minutes(after)}."
                )
    return notes


def _minutes(value: int | None) -> str:
    return "not set" if value is None else f"{value} min"

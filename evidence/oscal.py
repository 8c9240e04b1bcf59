"""OSCAL 1.1 exports, for GRC tools that read what Drillbook records.

A drill revision becomes an `assessment-results`: its steps, recovery figures and objective ratings are
observations, its findings are OSCAL findings and (for what needs fixing) risks, with the follow-up
actions as remediations, and the ISO/IEC 27001:2022 controls it gives evidence for are the reviewed
controls. A signed drill is exported from its signed content, with the sign-off as an attestation. The
follow-up actions become a `plan-of-action-and-milestones`, one item per action, in their status today.

Identifiers: every part's UUID is derived from this instance's address and the record's place in it, so
exporting again gives the same UUIDs to the same records; only the document's own UUID is new each time.
ISO 27001 has no published OSCAL catalogue, so controls are named by token: Annex A "A.5.30" as
written, clause "10.2" as "clause-10.2" (a token may not start with a digit).
"""

import json
import uuid
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Optional
from zoneinfo import ZoneInfo

from models.actions.tables import Action, ActionStatus
from models.drills.metrics import drill_metrics
from models.drills.tables import Drill, DrillStatus, ObjectiveRating
from models.findings.tables import Finding, FindingKind
from models.signoff.frozen import frozen_drill, signed_off

OSCAL_VERSION = "1.1.3"
#: the namespace of the properties OSCAL itself does not define: a name, never fetched (.invalid is reserved, RFC 2606)
NS = "https://drillbook.invalid/ns/oscal"
#: findings that record something to fix: they become risks, their actions remediations
TO_FIX = (FindingKind.IMPROVEMENT, FindingKind.INCIDENT, FindingKind.NONCONFORMITY)
DONE = (ActionStatus.DONE, ActionStatus.VERIFIED)


class Ids:
    """Stable UUIDs for the records of one instance: uuid5 of the instance's address and a record's path."""

    def __init__(self, base_url: str):
        self.base = base_url.rstrip("/")
        self.root = uuid.uuid5(uuid.NAMESPACE_URL, self.base + "/")

    def __call__(self, *path: object) -> str:
        return str(uuid.uuid5(self.root, "/".join(str(p) for p in path)))

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


def part(record, n: int) -> str:
    """What a part's UUID is made from: a draft's record by its id, so deleting one leaves the others' UUIDs;
    a signed revision's by its place in the signed content, which never changes (it has no ids)."""
    return f"id-{record.id}" if getattr(record, "id", None) else f"n-{n}"


def control_token(code: str) -> str:
    """An ISO 27001 control code as an OSCAL control id."""
    return code if code[:1].isalpha() else f"clause-{code}"


def _in_order(codes) -> list[str]:
    """Control codes as the standard lists them: Annex A before the clauses, 5.9 before 5.10."""

    def key(code: str):
        numbers = code.removeprefix("A.").split(".")
        return (not code.startswith("A."), [int(n) if n.isdigit() else 0 for n in numbers])

    return sorted(set(codes), key=key)


def _time(value: Optional[datetime]) -> Optional[str]:
    return value.isoformat() if value else None


def _props(**values: object) -> list[dict]:
    """Properties for the values that are set: an OSCAL property value is one line, not empty, not padded."""
    props = []
    for name, value in values.items():
        text = " ".join(str(value).split()) if value is not None else ""
        if text:
            props.append({"name": name.replace("_", "-"), "ns": NS, "value": text})
    return props


def _text(*parts: Optional[str]) -> str:
    """Markup for a description: the parts that are set, one paragraph each; OSCAL needs a description."""
    return "\n\n".join(p.strip() for p in parts if p and p.strip()) or "Not described."


def _minutes(delta) -> Optional[int]:
    return None if delta is None else round(delta.total_seconds() / 60)


def _metadata(title: str, now: datetime, version: str, organisation: str, ids: Ids, **extra) -> dict:
    party = {"uuid": ids("party", "organisation"), "type": "organization", "name": organisation}
    metadata = {
        "title": title,
        "last-modified": now.isoformat(),
        "version": version,
        "oscal-version": OSCAL_VERSION,
        "parties": [party, *extra.pop("parties", [])],
    }
    return {**metadata, **extra}


def _stored(drill: Drill, live: Drill) -> dict:
    """The stored file for each of the drill's evidence items by SHA-256; a draft's own items are their files."""
    if drill is live:
        return {}  # each item is its own file, the same bytes uploaded twice included
    return {e.sha256: e for e in live.evidence}


def _back_matter(ids: Ids, drill: Drill, live: Drill) -> dict:
    """The drill's record and its evidence files, each with its address and SHA-256."""
    resources = [
        {
            "uuid": ids("drill", live.id, "record"),
            "title": f"Drill record: {drill.title}, revision {drill.revision}",
            "rlinks": [{"href": ids.url(f"/drills/{live.id}"), "media-type": "text/html"}],
        }
    ]
    stored = _stored(drill, live)
    for n, e in enumerate(drill.evidence, 1):  # as signed, for a signed drill; the stored file gives the address
        file = stored.get(e.sha256, e)
        resources.append(
            {
                "uuid": ids("evidence", part(e, n)),
                "title": e.original_name,
                **({"description": e.description} if e.description else {}),
                "rlinks": [
                    {
                        "href": ids.url(f"/evidence/{file.id}/download") if file.id else f"urn:sha256:{e.sha256}",
                        "media-type": file.media_type or "application/octet-stream",
                        "hashes": [{"algorithm": "SHA-256", "value": e.sha256}],
                    }
                ],
            }
        )
    return {"resources": resources}


def _observations(ids: Ids, drill: Drill, live: Drill, metrics, collected: str) -> list[dict]:
    key = ("drill", live.id)
    observations = []
    for n, step in enumerate(sorted(drill.steps, key=lambda s: s.position), 1):
        actual = _minutes(step.ended_at - step.started_at) if step.started_at and step.ended_at else None
        observations.append(
            {
                "uuid": ids(*key, "step", part(step, n)),
                "title": f"Step {n}: {step.title}",
                "description": _text(step.notes, f"{step.phase.english}; {step.outcome.english.lower()}."),
                "props": _props(
                    phase=step.phase.value,
                    outcome=step.outcome.value,
                    system=step.system.name if step.system else None,
                    planned_minutes=step.planned_minutes,
                    actual_minutes=actual,
                    started=_time(step.started_at),
                    ended=_time(step.ended_at),
                ),
                "methods": ["TEST"],
                "collected": _time(step.ended_at or step.started_at) or collected,
            }
        )
    for m in metrics.systems:
        verdicts = [
            f"{name} {'met' if met else 'missed'}" for name, met in (("RTO", m.rto_met), ("RPO", m.rpo_met), ("MTD", m.mtd_met))
            if met is not None
        ]  # fmt: skip
        observations.append(
            {
                "uuid": ids(*key, "recovery", m.system.name),
                "title": f"Recovery of {m.system.name}",
                "description": _text(
                    "Still down when the drill ended." if m.still_down else None,
                    f"Back after {_minutes(m.achieved)} min." if m.achieved is not None and not m.still_down else None,
                    ("; ".join(verdicts) + ".") if verdicts else "No recovery target was set.",
                ),
                "props": _props(
                    system=m.system.name,
                    achieved_minutes=_minutes(m.achieved),
                    rto_minutes=m.system.rto_minutes,
                    rpo_minutes=m.system.rpo_minutes,
                    mtd_minutes=m.system.mtd_minutes,
                    data_loss_minutes=_minutes(m.achieved_rpo),
                    still_down="true" if m.still_down else None,
                ),
                "methods": ["TEST"],
                "types": ["control-objective"],
                "collected": _time(m.recovered_at) or collected,
            }
        )
    for n, objective in enumerate(sorted(drill.objectives, key=lambda o: o.position), 1):
        observations.append(
            {
                "uuid": ids(*key, "objective", part(objective, n)),
                "title": f"Objective {n}: {objective.rating.english}",
                "description": _text(objective.text, objective.rating_notes, objective.analysis),
                "props": _props(rating=objective.rating.value),
                "methods": ["TEST"] if objective.rating != ObjectiveRating.NOT_RATED else ["EXAMINE"],
                "types": ["control-objective"],
                "collected": collected,
            }
        )
    for n, finding in enumerate(drill.findings, 1):
        observations.append(
            {
                "uuid": ids(*key, "finding", part(finding, n), "observation"),
                "title": finding.title,
                "description": _text(finding.description, finding.contributing_factors),
                "props": _props(kind=finding.kind.value, severity=finding.severity.value),
                "methods": ["TEST"],
                "types": ["finding"],
                "collected": _time(finding.detected_at) or collected,
            }
        )
    if drill.evidence:
        count = len(drill.evidence)
        observations.append(
            {
                "uuid": ids(*key, "evidence"),
                "title": "Evidence files",
                "description": f"{count} file{'s' if count != 1 else ''} kept with the drill.",
                "methods": ["EXAMINE"],
                "collected": collected,
                "relevant-evidence": [
                    {
                        "href": f"#{ids('evidence', part(e, n))}",
                        "description": f"{e.original_name}, SHA-256 {e.sha256}",
                    }
                    for n, e in enumerate(drill.evidence, 1)
                ],
            }
        )
    return observations


def _remediation(ids: Ids, action: Action, *key: object) -> dict:
    return {
        "uuid": ids(*key),
        "lifecycle": "completed" if action.status in DONE else "planned",
        "title": action.title,
        "description": _text(action.description),
        "props": _props(status=action.status.value, priority=action.priority.value, due_date=action.due_date),
    }


def _risk_status(actions: Iterable[Action]) -> str:
    actions = [a for a in actions if a.status != ActionStatus.CANCELLED]
    if actions and all(a.status == ActionStatus.VERIFIED for a in actions):
        return "closed"
    return "remediating" if actions else "open"


def _follow_up(actions: list[Action]) -> dict:
    """The actions by the finding they follow up: by its id, or by its title in a signed drill's records,
    which have no ids; grouped once, so a drill's thousands of findings and actions stay linear."""
    grouped: dict = {}
    for a in actions:
        key = a.finding_id if a.finding_id is not None else (a.finding.title if a.finding is not None else None)
        if key is not None:
            grouped.setdefault(key, []).append(a)
    return grouped


def _findings_and_risks(ids: Ids, drill: Drill, live: Drill) -> tuple[list[dict], list[dict]]:
    key = ("drill", live.id)
    fallback = _in_order(c.code for c in drill.controls)
    follow_up = _follow_up(drill.actions)
    findings, risks = [], []
    for n, finding in enumerate(drill.findings, 1):
        codes = _in_order(c.code for c in finding.controls) or fallback
        me = part(finding, n)
        entry = {
            "uuid": ids(*key, "finding", me),
            "title": finding.title,
            "description": _text(finding.description, finding.root_cause),
            "props": _props(kind=finding.kind.value, severity=finding.severity.value),
            "target": {
                "type": "objective-id",
                "target-id": f"{control_token(codes[0])}_obj" if codes else "drill_obj",
                "status": {"state": "not-satisfied" if finding.kind in TO_FIX else "satisfied"},
            },
            "related-observations": [{"observation-uuid": ids(*key, "finding", me, "observation")}],
        }
        if finding.kind in TO_FIX:
            actions = follow_up.get(finding.id if finding.id is not None else finding.title, [])
            risk = {
                "uuid": ids(*key, "finding", me, "risk"),
                "title": finding.title,
                "description": _text(finding.description),
                "statement": _text(finding.root_cause, finding.contributing_factors, finding.description),
                "status": _risk_status(actions),
                "remediations": [
                    _remediation(ids, a, *key, "finding", me, "action", part(a, m)) for m, a in enumerate(actions, 1)
                ],
            }
            if not risk["remediations"]:
                del risk["remediations"]
            risks.append(risk)
            entry["related-risks"] = [{"risk-uuid": risk["uuid"]}]
        findings.append(entry)
    return findings, risks


def assessment_results(live: Drill, now: datetime, base_url: str, organisation: str) -> dict:
    """One drill revision as OSCAL assessment results; a signed revision from its signed content alone."""
    ids = Ids(base_url)
    signoff = signed_off(live)
    drill = frozen_drill(json.loads(signoff.snapshot), live.id, live) if signoff else live
    metrics = drill_metrics(drill, signoff.signed_at if signoff else now)
    start = drill.actual_start or drill.planned_start or live.created_at
    collected = _time(drill.actual_end or drill.actual_start or start)
    cited = _in_order([*(c.code for c in drill.controls), *(c.code for f in drill.findings for c in f.controls)])
    findings, risks = _findings_and_risks(ids, drill, live)
    result = {
        "uuid": ids("drill", live.id, "result"),
        "title": f"{drill.kind.english} drill: {drill.title}",
        "description": _text(drill.scenario, drill.conclusion),
        "start": start.isoformat(),
        **({"end": drill.actual_end.isoformat()} if drill.actual_end else {}),
        "props": _props(
            revision=drill.revision,
            status=DrillStatus.SIGNED.value if signoff else live.status.value,
            primary_site=drill.primary_site,
            recovery_site=drill.recovery_site,
            scenarios=",".join(s.value for s in drill.scenario_kinds),
            content_sha256=signoff.content_sha256 if signoff else None,
        ),
        "reviewed-controls": {
            "description": "The ISO/IEC 27001:2022 controls this drill gives evidence for, and those its findings cite.",
            "control-selections": [
                {"include-controls": [{"control-id": control_token(code)} for code in cited]}
                if cited
                else {"include-all": {}}
            ],
        },
        "observations": _observations(ids, drill, live, metrics, collected),
        **({"risks": risks} if risks else {}),
        **({"findings": findings} if findings else {}),
    }
    parties, extra = [], {}
    if signoff:
        signer = {"uuid": ids("party", "user", signoff.signer_id), "type": "person", "name": signoff.signer_name}
        parties.append(signer)
        extra["roles"] = [{"id": "approver", "title": signoff.signer_title or "Approver"}]
        result["attestations"] = [
            {
                "responsible-parties": [{"role-id": "approver", "party-uuids": [signer["uuid"]]}],
                "parts": [
                    {
                        "name": "sign-off",
                        "title": f"Signed {signoff.signed_at.isoformat()}",
                        "prose": _text(signoff.statement),
                        "props": _props(content_sha256=signoff.content_sha256, identity_check=signoff.identity_check),
                    }
                ],
            }
        ]
    state = "signed" if signoff else live.status.english.lower()
    return {
        "assessment-results": {
            "uuid": str(uuid.uuid4()),
            "metadata": _metadata(
                f"Drill results: {drill.title}",
                now,
                f"revision {drill.revision}, {state}",
                organisation,
                ids,
                parties=parties,
                **extra,
            ),
            "import-ap": {"href": f"#{ids('drill', live.id, 'record')}"},
            "results": [result],
            "back-matter": _back_matter(ids, drill, live),
        }
    }


def _end_of(day: date, zone: ZoneInfo) -> str:
    """A due date as the moment it ends where the organisation is: OSCAL deadlines are date-times."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=zone).isoformat()


def poam(actions: list[Action], now: datetime, base_url: str, organisation: str, zone: ZoneInfo) -> dict:
    """Follow-up actions as an OSCAL plan of action and milestones, each in its status today."""
    ids = Ids(base_url)
    findings: dict[int, Finding] = {a.finding.id: a.finding for a in actions if a.finding is not None}
    answering: dict[int, list[Action]] = {}  # grouped once: tens of thousands of actions stay linear
    for a in actions:
        if a.finding_id is not None:
            answering.setdefault(a.finding_id, []).append(a)
    observations = [
        {
            "uuid": ids("finding", f.id, "observation"),
            "title": f.title,
            "description": _text(f.description, f.contributing_factors),
            "props": _props(kind=f.kind.value, severity=f.severity.value),
            "methods": ["TEST"],
            "types": ["finding"],
            "collected": (f.detected_at or f.created_at).isoformat(),
        }
        for f in findings.values()
    ]
    risks = [
        {
            "uuid": ids("finding", f.id, "risk"),
            "title": f.title,
            "description": _text(f.description),
            "statement": _text(f.root_cause, f.contributing_factors, f.description),
            "status": _risk_status(answering[f.id]),
            **({"deadline": _end_of(max(dues), zone)} if (dues := [a.due_date for a in answering[f.id] if a.due_date]) else {}),
        }
        for f in findings.values()
    ]  # fmt: skip
    items = []
    for a in actions:
        item = {
            "uuid": ids("action", a.id),
            "title": a.title,
            "description": _text(a.description, a.completion_note),
            "props": _props(
                status=a.status.value,
                kind=a.kind.value,
                priority=a.priority.value,
                owner=a.owner.name if a.owner else None,
                team=a.team,
                start_date=a.start_date,
                due_date=a.due_date,
                completed=_time(a.completed_at),
                verified=_time(a.verified_at),
                verification_result=a.verification_result.value if a.verification_result else None,
                drill=a.drill.title if a.drill else None,
            ),
            "links": [{"href": ids.url(f"/actions/{a.id}"), "rel": "related", "media-type": "text/html"}],
        }
        if a.finding is not None:
            item["related-observations"] = [{"observation-uuid": ids("finding", a.finding.id, "observation")}]
            item["related-risks"] = [{"risk-uuid": ids("finding", a.finding.id, "risk")}]
        items.append(item)
    return {
        "plan-of-action-and-milestones": {
            "uuid": str(uuid.uuid4()),
            "metadata": _metadata("Follow-up actions", now, now.date().isoformat(), organisation, ids),
            "system-id": {"identifier-type": "https://ietf.org/rfc/rfc4122", "id": str(ids.root)},
            **({"observations": observations} if observations else {}),
            **({"risks": risks} if risks else {}),
            "poam-items": items,
        }
    }

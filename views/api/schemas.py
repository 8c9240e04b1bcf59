"""Records as the API shows them, and the JSON Schema of each shape, from one description.

Each SHAPES entry lists a field and its type; `dump` reads the attribute of the same name,
and views/openapi.py turns the same entry into the schema, so the two cannot drift apart.
Fields ending in `_ids` or named `controls` are lists read from relationships.
"""

from datetime import date, datetime
from enum import Enum

from models.actions.tables import ActionStatus

ACTION_STATUSES = [s.value for s in ActionStatus]

#: type name -> JSON Schema
TYPES = {
    "int": {"type": "integer"},
    "int?": {"type": ["integer", "null"]},
    "str": {"type": "string"},
    "str?": {"type": ["string", "null"]},
    "bool": {"type": "boolean"},
    "datetime": {"type": "string", "format": "date-time"},
    "datetime?": {"type": ["string", "null"], "format": "date-time"},
    "date?": {"type": ["string", "null"], "format": "date"},
    "ids": {"type": "array", "items": {"type": "integer"}},
    "codes": {"type": "array", "items": {"type": "string"}},
}

SYSTEM = {
    "id": "int",
    "name": "str",
    "owner": "str",
    "description": "str",
    "rto_minutes": "int?",
    "rpo_minutes": "int?",
    "mtd_minutes": "int?",
}
STEP = {
    "id": "int",
    "drill_id": "int",
    "position": "int",
    "phase": "str",
    "title": "str",
    "system_id": "int?",
    "planned_minutes": "int?",
    "started_at": "datetime?",
    "ended_at": "datetime?",
    "outcome": "str",
    "notes": "str",
}
OUTAGE = {
    "id": "int",
    "drill_id": "int",
    "system_id": "int",
    "kind": "str",
    "started_at": "datetime",
    "ended_at": "datetime?",
    "notes": "str",
}
DRILL_SUMMARY = {
    "id": "int",
    "title": "str",
    "kind": "str",
    "status": "str",
    "revision": "int",
    "planned_start": "datetime?",
    "actual_start": "datetime?",
    "actual_end": "datetime?",
}
DRILL = {
    **DRILL_SUMMARY,
    "scenario": "str",
    "primary_site": "str",
    "recovery_site": "str",
    "planned_end": "datetime?",
    "disaster_declared_at": "datetime?",
    "out_of_scope": "str",
    "record_notes": "str",
    "system_ids": "ids",
    "controls": "codes",
    "finding_ids": "ids",
    "action_ids": "ids",
}
FINDING = {
    "id": "int",
    "drill_id": "int?",
    "kind": "str",
    "title": "str",
    "description": "str",
    "severity": "str",
    "detected_at": "datetime?",
    "resolved_at": "datetime?",
    "contributing_factors": "str",
    "root_cause": "str",
    "related_to_drill": "str",
    "relation_rationale": "str",
    "system_ids": "ids",
    "controls": "codes",
    "action_ids": "ids",
}
ACTION = {
    "id": "int",
    "finding_id": "int?",
    "drill_id": "int?",
    "title": "str",
    "description": "str",
    "owner_id": "int?",
    "team": "str",
    "due_date": "date?",
    "priority": "str",
    "kind": "str",
    "capability": "str?",
    "status": "str",
    "completed_at": "datetime?",
    "completion_note": "str",
    "verified_at": "datetime?",
    "verification_result": "str?",
    "controls": "codes",
}
CONTROL = {
    "id": "int",
    "code": "str",
    "kind": "str",
    "title": "str",
    "theme": "str?",
    "applicable": "bool",
    "justification": "str",
    "implementation": "str",
}
EVIDENCE = {
    "id": "int",
    "sha256": "str",
    "original_name": "str",
    "size": "int",
    "media_type": "str",
    "description": "str",
    "collected_on": "date?",
    "valid_until": "date?",
    "drill_id": "int?",
    "finding_id": "int?",
    "action_id": "int?",
    "supersedes_id": "int?",
    "uploaded_at": "datetime",
    "controls": "codes",
}

#: component name in the OpenAPI document -> shape
SHAPES = {
    "System": SYSTEM,
    "Step": STEP,
    "Outage": OUTAGE,
    "DrillSummary": DRILL_SUMMARY,
    "Finding": FINDING,
    "Action": ACTION,
    "Control": CONTROL,
    "Evidence": EVIDENCE,
}


def _value(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def dump(record, shape: dict) -> dict:
    """The fields of `shape` read from `record`; `x_ids` from the relationship `xs`, `controls` as codes."""
    result = {}
    for name, kind in shape.items():
        if kind == "ids":
            result[name] = sorted(item.id for item in getattr(record, name.removesuffix("_ids") + "s"))
        elif kind == "codes":
            result[name] = [control.code for control in record.controls]
        else:
            result[name] = _value(getattr(record, name))
    return result


def system(record) -> dict:
    return dump(record, SYSTEM)


def step(record) -> dict:
    return dump(record, STEP)


def outage(record) -> dict:
    return dump(record, OUTAGE)


def drill_summary(record) -> dict:
    return dump(record, DRILL_SUMMARY)


def drill_detail(record) -> dict:
    """A drill with its scope, steps in order, and outages: what a probe or script needs to act on it."""
    return {
        **dump(record, DRILL),
        "steps": [step(s) for s in sorted(record.steps, key=lambda s: (s.position, s.id))],
        "outages": [outage(o) for o in sorted(record.outages, key=lambda o: (o.started_at, o.id))],
    }


def finding(record) -> dict:
    return dump(record, FINDING)


def action(record) -> dict:
    return dump(record, ACTION)


def control(record) -> dict:
    return dump(record, CONTROL)


def evidence(record) -> dict:
    return dump(record, EVIDENCE)

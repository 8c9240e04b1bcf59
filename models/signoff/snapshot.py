"""The canonical serialisation of a drill record: what a sign-off's hash covers, and what changed between two.

Only plain values go in, sorted, with times as UTC ISO strings, so the same record always
gives the same bytes and the same SHA-256, whichever database or revision it is read from.
Record ids are left out: a revision copies records under new ids and must compare equal.
"""

import hashlib
from datetime import date, datetime, timezone
from enum import Enum
from zoneinfo import ZoneInfo

from models.audit import canonical_json
from models.drills.tables import Drill


def _plain(value):
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _fields(record, names: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict:
    """The record's `names`, and those of `optional` that hold a value.

    Fields added after records were first signed are `optional`: left out while empty, so the
    content hash of a record that never used them stays what it was.
    """
    found = {name: _plain(getattr(record, name)) for name in optional}
    return {
        **{name: _plain(getattr(record, name)) for name in names},
        **{k: v for k, v in found.items() if v not in (None, "")},
    }


DRILL_FIELDS = (
    "title",
    "kind",
    "scenario",
    "primary_site",
    "recovery_site",
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
    "disaster_declared_at",
    "out_of_scope",
    "record_notes",
)
#: what the after-action report says of the exercise beyond its timings
DRILL_REPORT_FIELDS = (
    "sponsor",
    "point_of_contact",
    "evaluation_method",
    "evaluators",
    "hotwash",
    "conclusion",
    "claim",
    "claim_minutes",
    "scenarios",
    "plans",
)


#: a system's recovery targets, signed with the drill because its verdicts ("Met", "Missed") depend on them
TARGETS = ("rto_minutes", "rpo_minutes", "mtd_minutes")
#: what an action's row in the improvement plan shows, signed as it stood
ACTION_FIELDS = (
    "title",
    "description",
    "status",
    "due_date",
    "priority",
    "kind",
    "capability",
    "team",
    "created_at",
    "started_at",
    "completed_at",
    "completion_note",
    "verified_at",
    "verification_method",
    "verification_result",
    "effectiveness_checked_on",
)


def drill_snapshot(drill: Drill) -> dict:
    """Everything the sign-off covers, so that the signed revision can be shown from it alone.

    The drill, its scope with each system's RTO/RPO/MTD as they stand, objectives, participants,
    steps, outages, findings, actions as they stand, and each evidence file's name, hash, size
    and collection date.
    """
    last_data = {link.system_id: _plain(link.last_data_at) for link in drill.scope}

    def rows(items):
        return sorted(items, key=canonical_json)

    return {
        "drill": _fields(drill, DRILL_FIELDS, DRILL_REPORT_FIELDS),
        "revision": drill.revision,
        "scope": rows(
            {**_fields(s, TARGETS), "system": s.name, "last_data_at": last_data.get(s.id)} for s in drill.systems
        ),
        "controls": sorted(c.code for c in drill.controls),
        "objectives": rows(
            _fields(o, ("position", "text", "rating", "rating_notes"), ("analysis", "recommendation"))
            for o in drill.objectives
        ),
        "participants": rows(
            _fields(p, ("team", "organisation", "role", "headcount", "location", "standby")) for p in drill.participants
        ),
        "steps": rows(
            {
                **_fields(
                    s, ("position", "phase", "title", "planned_minutes", "started_at", "ended_at", "outcome", "notes")
                ),
                "system": s.system.name if s.system else None,
            }
            for s in drill.steps
        ),
        "outages": rows(
            {**_fields(o, ("kind", "started_at", "ended_at", "notes")), "system": o.system.name} for o in drill.outages
        ),
        "findings": rows(
            {
                **_fields(
                    f,
                    (
                        "kind",
                        "severity",
                        "title",
                        "description",
                        "detected_at",
                        "resolved_at",
                        "contributing_factors",
                        "root_cause",
                        "related_to_drill",
                        "relation_rationale",
                    ),
                ),
                "systems": sorted(s.name for s in f.systems),
                "controls": sorted(c.code for c in f.controls),
                "decided_by": f.relation_decided_by.name if f.relation_decided_by else None,
            }
            for f in drill.findings
        ),
        "actions": rows(
            {
                **_fields(a, ACTION_FIELDS, ("start_date",)),
                "owner": a.owner.email if a.owner else None,
                "owner_name": a.owner.name if a.owner else None,
                "finding": a.finding.title if a.finding else None,
                "verified_by": a.verified_by.name if a.verified_by else None,
            }
            for a in drill.actions
        ),
        "evidence": rows(
            {
                "sha256": e.sha256,
                "name": e.original_name,
                "size": e.size,
                **_fields(e, ("media_type", "description", "collected_on", "uploaded_at")),
            }
            for e in drill.evidence
        ),
    }


def content_hash(snapshot: dict) -> str:
    """SHA-256 of the snapshot's canonical JSON."""
    return hashlib.sha256(canonical_json(snapshot).encode("utf-8")).hexdigest()


def _label(section: str, item) -> str:
    if isinstance(item, str):
        return item
    for key in ("title", "text", "name", "system", "team"):
        if isinstance(item, dict) and item.get(key):
            return str(item[key])
    return canonical_json(item)


def _readable(value, zone: ZoneInfo, seconds: bool = False) -> str:
    """A drill field's signed value as a person reads it: times in the organisation's zone, to the minute
    unless `seconds` (when the minute alone would not show the change)."""
    if value is None or value == "":
        return "not set"
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return f"“{value}”"
        if moment.tzinfo is None:
            return f"“{value}”"
        local = moment.astimezone(zone)
        return f"{local:%-d %b %Y %H:%M:%S}" if seconds else f"{local:%-d %b %Y %H:%M}"
    return str(value)


def differences(old: dict | None, new: dict, zone: ZoneInfo = ZoneInfo("UTC")) -> list[str]:
    """What changed from `old` to `new`, one readable line each; everything is new when there is no `old`."""
    if old is None:
        return ["First version: no earlier review or revision to compare with."]
    lines = []
    for name, value in new["drill"].items():
        if old["drill"].get(name) != value:
            before, after = _readable(old["drill"].get(name), zone), _readable(value, zone)
            if before == after:
                before, after = _readable(old["drill"].get(name), zone, True), _readable(value, zone, True)
            lines.append(f"Drill {name.replace('_', ' ')}: {before} → {after}")
    for section in (
        "scope",
        "controls",
        "objectives",
        "participants",
        "steps",
        "outages",
        "findings",
        "actions",
        "evidence",
    ):
        before = {canonical_json(i): i for i in old.get(section, [])}
        after = {canonical_json(i): i for i in new.get(section, [])}
        removed = [before[k] for k in before.keys() - after.keys()]
        added = [after[k] for k in after.keys() - before.keys()]
        removed_labels = {_label(section, i) for i in removed}
        for item in added:
            label = _label(section, item)
            verb = "changed" if label in removed_labels else "added"
            lines.append(f"{section.capitalize()}: {verb} “{label}”")
        added_labels = {_label(section, i) for i in added}
        lines += [
            f"{section.capitalize()}: removed “{_label(section, i)}”"
            for i in removed
            if _label(section, i) not in added_labels
        ]
    return sorted(lines)

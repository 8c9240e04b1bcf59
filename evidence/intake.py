"""Taking in evidence: a stream of bytes becomes a stored file and an immutable evidence record.

Order matters: the bytes are received and checked first, the record is flushed, and only then
is the file renamed into the vault; the caller's commit follows. A failure before the rename
leaves no file and no record; a failure after it leaves at most an unreferenced, complete file.
"""

from collections.abc import Iterable
from typing import Optional

from sqlmodel import Session

from evidence.filetypes import display_name, sniff
from evidence.vault import Received, Vault
from models import audit
from models.actions.tables import Action
from models.audit import snapshot
from models.controls.queries import resolve_controls
from models.core.changes import validate
from models.core.errors import RecordError
from models.drills.tables import Drill
from models.evidence import Evidence, EvidenceIn
from models.findings.tables import Finding
from models.people.users import User
from models.permissions import ensure_editable


def _targets(session: Session, values: dict) -> None:
    """The records the evidence is attached to must exist; a signed drill takes no new evidence."""
    for field, model, label in (
        ("drill_id", Drill, "drill"),
        ("finding_id", Finding, "finding"),
        ("action_id", Action, "action"),
    ):
        if values[field] is None:
            continue
        record = session.get(model, values[field])
        if record is None:
            raise RecordError({field: f"That {label} does not exist."})
        if isinstance(record, Drill):
            ensure_editable(record)
        if isinstance(record, Finding) and record.drill is not None:
            ensure_editable(record.drill)


def store_evidence(
    session: Session,
    vault: Vault,
    content: Iterable[bytes] | Received,
    original_name: Optional[str],
    meta: dict,
    actor: Optional[User],
    limit: int,
    control_codes: str = "",
    supersedes: Optional[Evidence] = None,
    expected_size: Optional[int] = None,
) -> Evidence:
    """Receive one file and record it; RecordError (and no file, no record) for anything not acceptable.

    `content` is the file's chunks, or a file the vault already received: a request receives its
    body before it opens its write transaction, so no upload holds the database lock while it streams.
    `actor` is None when the command line stores the file (the restore drill's manifest).
    """
    received = content if isinstance(content, Received) else None
    try:
        values = validate(EvidenceIn, meta).model_dump()
        if supersedes is not None:
            # a new version belongs where the file it corrects belongs, unless the form says otherwise; a signed
            # drill's evidence is never corrected in place, whatever the form names
            ensure_editable(supersedes.drill)
            ensure_editable(supersedes.finding.drill if supersedes.finding else None)
            values = {
                **{k: getattr(supersedes, k) for k in ("drill_id", "finding_id", "action_id")},
                **{k: v for k, v in values.items() if v is not None},
            }
        _targets(session, values)
        controls = resolve_controls(session, control_codes)
        if supersedes is not None and not controls:
            controls = list(supersedes.controls)
        received = received or vault.receive(content, limit, expected_size)
        media_type = _check(received)
        record = Evidence(
            sha256=received.sha256,
            original_name=display_name(original_name),
            size=received.size,
            media_type=media_type,
            uploaded_by_id=actor.id if actor else None,
            supersedes_id=supersedes.id if supersedes else None,
            **values,
        )
        record.controls = controls
        session.add(record)
        session.flush()
    except BaseException:
        if received is not None:
            vault.discard(received)
        raise
    vault.commit(received)
    audit.record(
        session,
        "create",
        actor=actor.email if actor else audit.COMMAND_LINE,
        actor_id=actor.id if actor else None,
        entity_type="evidence",
        entity_id=record.id,
        after=snapshot(record),
    )
    return record


def _check(received: Received) -> str:
    if received.size == 0:
        raise RecordError({"file": "The file is empty."})
    media_type = sniff(received.head)
    if media_type is None:
        raise RecordError(
            {
                "file": "This kind of file is not accepted as evidence. Accepted: PDF, PNG, JPEG, GIF, WebP, "
                "Word, Excel, PowerPoint, OpenDocument, ZIP and plain text (logs, CSV, JSON)."
            }
        )
    return media_type

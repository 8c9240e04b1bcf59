"""The register of issued reports, so anyone holding a PDF can learn whether Drillbook issued it, and render jobs."""

import hashlib
import json
from datetime import date, datetime, timedelta
from typing import Optional

from sqlmodel import Field, Session, SQLModel, col, func, select

from models.audit import AuditEvent
from models.core.database import serialise
from models.core.types import Choice, UTCDateTime, text_enum, utcnow
from models.signoff.tables import SignOff


class ReportKind(Choice):
    DRILL = "drill", "Drill after-action report"
    CONTROLS = "controls", "Control evidence pack"
    ACTIONS = "actions", "Action follow-up report"
    PROGRAMME = "programme", "Exercise programme report"


class IssuedReport(SQLModel, table=True):
    """One PDF as issued: its SHA-256, what it reports on, who asked for it and when. Rows never change."""

    __tablename__ = "issued_report"
    id: Optional[int] = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, unique=True, index=True)
    kind: ReportKind = Field(sa_type=text_enum(ReportKind))
    title: str = Field(max_length=400)
    #: what the report is about, comparable across issues: "drill:<first revision id>", "controls:<from>..<to>", "actions"
    subject: str = Field(max_length=100, index=True)
    drill_id: Optional[int] = Field(default=None, foreign_key="drill.id", ondelete="RESTRICT")
    revision: Optional[int] = None
    #: for a signed drill, the content hash its sign-off covers
    signed_content_sha256: Optional[str] = Field(default=None, max_length=64)
    size: int
    #: SHA-256 of the manifest embedded in the PDF: recognises a re-saved copy whose own hash differs
    manifest_sha256: str = Field(default="", max_length=64, index=True)
    issued_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    issued_by_id: Optional[int] = Field(default=None, foreign_key="user.id", ondelete="RESTRICT")
    issued_by: str = Field(max_length=254)


class JobStatus(Choice):
    QUEUED = "queued", "Waiting"
    RUNNING = "running", "Rendering"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"


class ReportJob(SQLModel, table=True):
    """A report asked for: queued until a node's worker claims it, then rendered in a process of its own."""

    __tablename__ = "report_job"
    id: Optional[int] = Field(default=None, primary_key=True)
    kind: ReportKind = Field(sa_type=text_enum(ReportKind))
    #: JSON of what to render: {"drill_id": 1} or {"from": "...", "to": "..."}
    params: str = Field(default="{}")
    requested_by_id: int = Field(foreign_key="user.id", ondelete="RESTRICT")
    status: JobStatus = Field(default=JobStatus.QUEUED, sa_type=text_enum(JobStatus), index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    finished_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    error: str = Field(default="")
    report_id: Optional[int] = Field(default=None, foreign_key="issued_report.id", ondelete="RESTRICT")
    #: the server whose worker claimed the job (DRILLBOOK_NODE_NAME)
    node: str = Field(default="", max_length=100)
    #: what the report would show, so an identical request on unchanged content reuses the issued PDF
    content_key: str = Field(default="", max_length=64, index=True)
    #: answered with a PDF issued earlier for the same content, not rendered again
    reused: bool = False


def find_issued(session: Session, sha256: str) -> Optional[IssuedReport]:
    """The register entry for a PDF's hash, or None if Drillbook never issued it."""
    return session.exec(select(IssuedReport).where(IssuedReport.sha256 == sha256.strip().lower())).first()


def newer_issues(session: Session, report: IssuedReport) -> list[IssuedReport]:
    """Reports on the same subject issued after this one."""
    query = select(IssuedReport).where(
        IssuedReport.subject == report.subject, IssuedReport.issued_at > report.issued_at
    )
    return list(session.exec(query.order_by(IssuedReport.issued_at)).all())


#: audit actions that change nothing any report shows; any other action, known or new, counts as a change
NOT_CHANGES = (
    "export",
    "login",
    "logout",
    "login_failed",
    "login_locked",
    "sign_password_failed",
    "password_check_failed",
    "token_issued",
    "token_revoked",
)
UNFINISHED = (JobStatus.QUEUED, JobStatus.RUNNING)


def content_key(session: Session, kind: ReportKind, params: dict, today: date, settings: str) -> str:
    """What a report would show, as a hash: its kind and parameters, the day (ages and overdue actions move
    with it), the settings printed in it, and the last audited change to any record. Every change to what
    a report shows is audited, so two requests with the same key would render the same content."""
    last_change = session.exec(
        select(AuditEvent.seq)
        .where(col(AuditEvent.action).not_in(NOT_CHANGES))
        .order_by(col(AuditEvent.seq).desc())
        .limit(1)
    ).first()
    basis = [kind.value, params, today.isoformat(), last_change or 0, settings]
    return hashlib.sha256(json.dumps(basis, sort_keys=True, default=str).encode()).hexdigest()


def unfinished_jobs(session: Session, requested_by_id: int) -> int:
    """How many of this person's reports are waiting or rendering; held until the transaction ends, so two
    requests at once cannot both pass the limit."""
    serialise(session, f"report-person:{requested_by_id}")
    return session.exec(
        select(func.count())
        .select_from(ReportJob)
        .where(ReportJob.requested_by_id == requested_by_id, col(ReportJob.status).in_(UNFINISHED))
    ).one()


def queue_job(session: Session, kind: ReportKind, params: dict, requested_by_id: int, key: str = "") -> ReportJob:
    """A render of `kind` with `params` for this person, queued; or, when a PDF was already issued for the same
    content key, answered with that PDF at once. Only a PDF the audit trail saw issued is reused: a job row
    and a register row written straight into the database make no reuse. Flushed, not committed."""
    job = ReportJob(kind=kind, params=json.dumps(params, default=str), requested_by_id=requested_by_id, content_key=key)
    earlier = (
        key
        and session.exec(
            select(ReportJob)
            .where(
                ReportJob.content_key == key, ReportJob.status == JobStatus.DONE, col(ReportJob.report_id).is_not(None)
            )
            .order_by(col(ReportJob.id).desc())
            .limit(1)
        ).first()
    )
    if earlier and recorded_in_trail(session, session.get(IssuedReport, earlier.report_id)):
        now = utcnow()
        job.status, job.report_id, job.reused = JobStatus.DONE, earlier.report_id, True
        job.started_at = job.finished_at = now
    session.add(job)
    session.flush()
    return job


def queue_position(session: Session, job: ReportJob) -> int:
    """1 for the next job to be claimed, on whichever node."""
    ahead = session.exec(
        select(func.count()).select_from(ReportJob).where(ReportJob.status == JobStatus.QUEUED, ReportJob.id < job.id)
    ).one()
    return ahead + 1


def claim_next(session: Session, node: str, workers: int, stale_after: timedelta) -> Optional[ReportJob]:
    """Claim the oldest queued job for `node` if it runs fewer than `workers` renders; the caller commits.

    Claims are taken one at a time per node: on PostgreSQL under an advisory lock named after the node,
    with `FOR UPDATE SKIP LOCKED` so nodes never wait for each other's rows; on SQLite under the write lock
    the caller's session holds. A render whose node vanished counts no more once past `stale_after`.
    """
    now = utcnow()
    serialise(session, f"report-node:{node}")
    for stale in session.exec(
        select(ReportJob).where(ReportJob.status == JobStatus.RUNNING, ReportJob.started_at < now - stale_after)
    ):
        stale.status, stale.finished_at = JobStatus.FAILED, now
        stale.error = "Stopped: the render took longer than the time limit."
    running = session.exec(
        select(func.count()).select_from(ReportJob).where(ReportJob.status == JobStatus.RUNNING, ReportJob.node == node)
    ).one()
    if running >= workers:
        session.flush()
        return None
    job = session.exec(
        select(ReportJob)
        .where(ReportJob.status == JobStatus.QUEUED)
        .order_by(col(ReportJob.id))
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if job is not None:
        job.status, job.node, job.started_at = JobStatus.RUNNING, node, now
    session.flush()
    return job


def find_by_manifest(session: Session, manifest_sha256: str | None) -> Optional[IssuedReport]:
    """The register entry whose PDF embedded this manifest: the same report, even in a rewritten file."""
    if not manifest_sha256:
        return None
    return session.exec(select(IssuedReport).where(IssuedReport.manifest_sha256 == manifest_sha256)).first()


def standing(session: Session, report: IssuedReport) -> dict:
    """Whether an issued report shows a signed record or a draft, and who signed: for the verify page."""
    if report.kind != ReportKind.DRILL:
        return {"state": "report", "signer": None}
    if not report.signed_content_sha256:
        return {"state": "draft", "signer": None}
    signoff = session.exec(
        select(SignOff).where(
            SignOff.drill_id == report.drill_id, SignOff.content_sha256 == report.signed_content_sha256
        )
    ).first()
    signer = (signoff.signer_name or signoff.signer.name, signoff.signer_title, signoff.signed_at) if signoff else None
    return {"state": "signed", "signer": signer}


def recorded_in_trail(session: Session, report: IssuedReport) -> bool:
    """Whether the audit trail holds this report's issue with its hash: a register row written straight
    into the database has no such entry, and the trail itself is anchored outside the database."""
    events = session.exec(
        select(AuditEvent.after).where(
            AuditEvent.action == "export",
            AuditEvent.entity_type == "issued_report",
            AuditEvent.entity_id == str(report.id),
        )
    ).all()
    return any(json.loads(after).get("sha256") == report.sha256 for after in events)

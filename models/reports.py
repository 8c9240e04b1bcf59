"""The register of issued reports, so anyone holding a PDF can learn whether Drillbook issued it, and render jobs."""

import json
from datetime import datetime
from typing import Optional

from sqlmodel import Field, Session, SQLModel, select

from models.audit import AuditEvent
from models.core.types import Choice, UTCDateTime, text_enum, utcnow
from models.signoff.tables import SignOff


class ReportKind(Choice):
    DRILL = "drill", "Drill after-action report"
    CONTROLS = "controls", "Control evidence pack"
    ACTIONS = "actions", "Action follow-up report"


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
    """A report being rendered in its own process, so a long render blocks no one and can be stopped."""

    __tablename__ = "report_job"
    id: Optional[int] = Field(default=None, primary_key=True)
    kind: ReportKind = Field(sa_type=text_enum(ReportKind))
    #: JSON of what to render: {"drill_id": 1} or {"from": "...", "to": "..."}
    params: str = Field(default="{}")
    requested_by_id: int = Field(foreign_key="user.id", ondelete="RESTRICT")
    status: JobStatus = Field(default=JobStatus.QUEUED, sa_type=text_enum(JobStatus))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    finished_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    error: str = Field(default="")
    report_id: Optional[int] = Field(default=None, foreign_key="issued_report.id", ondelete="RESTRICT")


def find_issued(session: Session, sha256: str) -> Optional[IssuedReport]:
    """The register entry for a PDF's hash, or None if Drillbook never issued it."""
    return session.exec(select(IssuedReport).where(IssuedReport.sha256 == sha256.strip().lower())).first()


def newer_issues(session: Session, report: IssuedReport) -> list[IssuedReport]:
    """Reports on the same subject issued after this one."""
    query = select(IssuedReport).where(
        IssuedReport.subject == report.subject, IssuedReport.issued_at > report.issued_at
    )
    return list(session.exec(query.order_by(IssuedReport.issued_at)).all())


def queue_job(session: Session, kind: ReportKind, params: dict, requested_by_id: int) -> ReportJob:
    """A queued render of `kind` with `params`, asked for by this person; flushed, not committed."""
    job = ReportJob(kind=kind, params=json.dumps(params, default=str), requested_by_id=requested_by_id)
    session.add(job)
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

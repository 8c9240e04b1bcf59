"""Reports in the browser: a render runs in its own process under a time limit while the page shows progress;
issued PDFs are listed in the register, and anyone signed in can check whether a PDF is genuine."""

import hashlib
from datetime import date, timedelta

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlmodel import select

from evidence.rendering.formatting import org_today
from evidence.reports.jobs import ReportWorkers
from models.core.inputs import EARLIEST, LATEST
from models.core.paging import page_of
from models.core.types import utcnow
from models.drills.tables import Drill, DrillStatus
from models.permissions import READERS, may_follow_report_job
from models.reports import (
    UNFINISHED,
    IssuedReport,
    JobStatus,
    ReportJob,
    ReportKind,
    content_key,
    find_by_manifest,
    find_issued,
    newer_issues,
    queue_job,
    queue_position,
    recorded_in_trail,
    standing,
    unfinished_jobs,
)
from views.support.access import allow
from views.support.input_guard import receives_files
from views.support.paging import PER_PAGE, page_number
from views.support.saving import get_or_404
from views.support.session import get_db, record_event

bp = Blueprint("reports", __name__, url_prefix="/reports")


def _workers() -> ReportWorkers:
    return current_app.extensions["drillbook.report_workers"]


@bp.before_app_request
def _poll_the_queue() -> None:
    """Every web process keeps claiming queued reports for its node, after a fork too."""
    _workers().ensure_polling()


def _settings() -> str:
    """What a report prints besides records: part of its content key."""
    from evidence.reports.signing import report_certificate  # pyHanko only where a report is asked for

    config = current_app.config
    return "|".join(
        str(v)
        for v in (
            config.get("ORGANISATION"),
            config.get("REPORT_CLASSIFICATION"),
            config.get("REPORT_ATTACHMENTS_MB"),
            config.get("TIMEZONE"),
            current_app.extensions["drillbook.key"].public.fingerprint,
            report_certificate().fingerprint,
        )
    )


def _start(kind: ReportKind, params: dict, reusable: bool = True):
    """Queue a job, or answer at once with the PDF issued for the same content; then let a worker claim it.

    Not `reusable`: a report whose content moves with the clock as well as with the records.
    """
    db = get_db()
    most = int(current_app.config["REPORT_JOBS_PER_PERSON"])
    if unfinished_jobs(db, current_user.id) >= most:
        abort(429, description=f"You have {most} reports waiting or rendering; ask for more when one is ready.")
    key = content_key(db, kind, params, org_today(), _settings()) if reusable else ""
    job = queue_job(db, kind, params, current_user.id, key)
    db.commit()
    if job.status == JobStatus.QUEUED:
        _workers().dispatch()
    return redirect(url_for("reports.job", job_id=job.id))


@bp.route("/drill/<id:drill_id>", methods=["POST"])
@allow(*READERS)
def drill(drill_id: int):
    """Render the after-action report of a drill revision; only a signed one's is reused, since an unsigned
    drill's figures run to the moment of rendering."""
    drill = get_or_404(Drill, drill_id)
    return _start(ReportKind.DRILL, {"drill_id": drill_id}, reusable=drill.status == DrillStatus.SIGNED)


@bp.route("/controls", methods=["POST"])
@allow(*READERS)
def controls():
    """Render the control evidence pack for the audit period in the form; a bad period shows the form again."""
    typed = request.form.get("from", "")[:40], request.form.get("to", "")[:40]
    try:
        start, end = date.fromisoformat(typed[0]), date.fromisoformat(typed[1])
    except ValueError:
        return _index_page(typed, "Give the audit period as two dates, YYYY-MM-DD."), 422
    if end < start:
        return _index_page(typed, "The audit period ends before it starts."), 422
    return _start(ReportKind.CONTROLS, {"from": start.isoformat(), "to": end.isoformat()})


@bp.route("/actions", methods=["POST"])
@allow(*READERS)
def actions():
    """Render the action follow-up report."""
    return _start(ReportKind.ACTIONS, {})


@bp.route("/programme", methods=["POST"])
@allow(*READERS)
def programme():
    """Render the exercise programme report for the year in the form (this year if none); never reused,
    since what is overdue moves with the calendar."""
    year = request.form.get("year", type=int) or org_today().year
    if not EARLIEST.year <= year <= LATEST.year:
        abort(400, description=f"Choose a year from {EARLIEST.year} to {LATEST.year}.")
    return _start(ReportKind.PROGRAMME, {"year": year}, reusable=False)


@bp.route("/jobs/<id:job_id>")
@allow(*READERS)
def job(job_id: int):
    """A render's progress; the page refreshes itself until the PDF is ready."""
    job = get_or_404(ReportJob, job_id)
    if not may_follow_report_job(current_user, job.requested_by_id):
        abort(404)
    if job.status in UNFINISHED:  # claims it if a worker is free here, and stops renders whose node went away
        _workers().dispatch()
        get_db().rollback()  # a fresh read, to see what the workers wrote
    report = get_db().get(IssuedReport, job.report_id) if job.report_id else None
    return render_template(
        "reports/job.html",
        job=job,
        report=report,
        position=queue_position(get_db(), job) if job.status == JobStatus.QUEUED else None,
        running=job.status in UNFINISHED,
        done=job.status == JobStatus.DONE,
        elapsed=(job.finished_at or utcnow()) - job.created_at,
    )


@bp.route("")
@allow(*READERS)
def index():
    """The register of issued reports, newest first, a page at a time, and forms to issue new ones."""
    today = org_today()
    return _index_page(((today - timedelta(days=365)).isoformat(), today.isoformat()))


def _index_page(period: tuple[str, str], problem: str = ""):
    reports = page_of(get_db(), select(IssuedReport).order_by(IssuedReport.id.desc()), page_number(), PER_PAGE)
    return render_template(
        "reports/index.html", reports=reports, period_from=period[0], period_to=period[1], problem=problem
    )


@bp.route("/<id:report_id>/download")
@allow(*READERS)
def download(report_id: int):
    """An issued PDF, exactly as issued."""
    report = get_or_404(IssuedReport, report_id)
    path = current_app.extensions["drillbook.vault"].path_for(report.sha256)
    if not path.is_file():
        abort(404, description="The stored PDF is missing. Run `drillbook verify`.")
    record_event(
        "export", entity_type="issued_report", entity_id=report.id, after={"format": "pdf", "sha256": report.sha256}
    )
    name = f"{report.kind.value}-report-{report.issued_at:%Y%m%d-%H%M}.pdf"
    response = send_file(path, mimetype="application/pdf", as_attachment=True, download_name=name, etag=report.sha256)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/verify", methods=["GET", "POST"])
@allow(*READERS)
@receives_files
def verify():
    """Is this PDF, or this SHA-256, one that Drillbook issued? When, for what, and is there a newer one?"""
    if request.method == "GET":
        return render_template("reports/verify.html", checked=None)
    upload, check, copy_of = request.files.get("file"), None, None
    if upload is not None and upload.filename:
        from evidence.reports.checking import MAX_PDF  # pyHanko only where a PDF is checked

        data = upload.stream.read(MAX_PDF + 1)
        if len(data) > MAX_PDF:
            abort(413, description=f"A report is at most {MAX_PDF // 2**20} MiB.")
        sha256 = hashlib.sha256(data).hexdigest()
        check, copy_of = _copy_of(data)
    else:
        sha256 = request.form.get("sha256", "").strip().lower()
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            return render_template(
                "reports/verify.html",
                checked=None,
                error="Choose a PDF, or paste a SHA-256 of 64 hexadecimal characters.",
            ), 422
    report = find_issued(get_db(), sha256)
    if report is not None and check is not None and check.signer_fingerprint and (check.altered or not check.trusted):
        report = None  # in the register, but not signed by the organisation: the register itself was written to
    if report is not None and not recorded_in_trail(get_db(), report):
        report = None  # a register row the audit trail never saw issued
    known = report or copy_of
    return render_template(
        "reports/verify.html",
        checked=sha256,
        report=report,
        copy_of=copy_of,
        problems=check.problems if check else [],
        claims=find_by_manifest(get_db(), check.facts.get("manifest_sha256")) if check and not copy_of else None,
        standing=standing(get_db(), known) if known else None,
        newer=newer_issues(get_db(), known) if known else [],
    )


def _copy_of(data: bytes):
    """For a file not in the register: the check of its signature, and the genuine report it is a copy of, if any.

    A viewer that saves a note appends to the signed file, so the signed revision inside, its signature
    intact, is the issued PDF. A file whose signature no longer holds is no copy of anything.
    """
    from evidence.reports.checking import check_pdf  # pyHanko only where a PDF is checked
    from evidence.reports.signing import report_certificate

    check = check_pdf(data, report_certificate().pem)
    if not check.signed_revision or check.altered or len(check.signed_revision) == len(data):
        return check, None
    return check, find_issued(get_db(), hashlib.sha256(check.signed_revision).hexdigest())


@bp.route("/certificate.pem")
@allow(*READERS)
def certificate():
    """The organisation's report-signing certificate, to check reports' signatures offline; its fingerprint is in each PDF."""
    from evidence.reports.signing import report_certificate

    cert = report_certificate()
    return Response(
        cert.pem,
        mimetype="application/x-pem-file",
        headers={
            "Content-Disposition": "attachment; filename=drillbook-report-signing.pem",
            "X-Fingerprint-SHA256": cert.fingerprint,
        },
    )

"""`drillbook report`: issue PDF reports from the command line, and run report jobs queued from the web."""

import json
import os
import sys
import traceback
from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup

from models import audit
from models.core.database import open_session
from models.core.errors import RecordError
from models.core.inputs import EARLIEST, LATEST
from models.core.types import MAX_ID, utcnow
from models.drills.tables import Drill
from models.people.users import User
from models.reports import JobStatus, ReportJob, ReportKind
from views.cli.support import bp, engine, migrated_session, require_current

report_cli = AppGroup("report", help="Issue PDF reports from the command line.")
bp.cli.add_command(report_cli)


def issue(kind: ReportKind, params: dict, actor_label: str, actor_id: int | None, job_id: int | None = None):
    """Render from a read of the records, then register in a short write; the PDF and its register entry.

    WeasyPrint is imported here, on first use: only report commands need it, and importing it with the
    web app would cost every worker most of a second and much memory. On SQLite the write lock is
    taken only to register, never for the seconds a render takes.
    """
    from evidence.reports.issuing import register_report, render_report

    require_current()
    with open_session(engine()) as session:
        rendered = render_report(session, kind, params, actor_label)
    with open_session(engine(), write=True) as session:
        register = register_report(session, rendered, actor_label, actor_id)
        if job_id is not None:
            job = session.get(ReportJob, job_id)
            job.status, job.report_id, job.finished_at = JobStatus.DONE, register.id, utcnow()
        session.commit()
    return register, rendered.pdf


def _issue(kind, params, output):
    try:
        register, pdf = issue(kind, params, audit.COMMAND_LINE, None)
    except RecordError as exc:
        raise click.ClickException(" ".join(exc.errors.values())) from None
    with open(output, "wb") as out:
        out.write(pdf)
    click.echo(f"Wrote {output} ({len(pdf):,} bytes), SHA-256 {register.sha256}")


@report_cli.command("drill")
@click.argument("drill_id", type=click.IntRange(1, MAX_ID))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True))
def report_drill(drill_id, output):
    """The after-action report of one drill revision."""
    with migrated_session() as session:
        if session.get(Drill, drill_id) is None:
            raise click.ClickException(f"There is no drill {drill_id}.")
    _issue(ReportKind.DRILL, {"drill_id": drill_id}, output)


@report_cli.command("controls")
@click.option(
    "--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First day of the audit period."
)
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Last day of the audit period.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True))
def report_controls(start, end, output):
    """The control evidence pack for an audit period."""
    if end < start:
        raise click.ClickException("The audit period ends before it starts.")
    _issue(ReportKind.CONTROLS, {"from": start.date().isoformat(), "to": end.date().isoformat()}, output)


@report_cli.command("actions")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True))
def report_actions(output):
    """Open and overdue actions by owner."""
    _issue(ReportKind.ACTIONS, {}, output)


@report_cli.command("programme")
@click.option(
    "--year", type=click.IntRange(EARLIEST.year, LATEST.year), help="The year whose gaps to list (default: this year)."
)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True))
def report_programme(year, output):
    """The exercise programme: each system's last failover, each scenario's, the drills planned, the year's gaps."""
    _issue(ReportKind.PROGRAMME, {"year": year or date.today().year}, output)


@report_cli.command("run-job", hidden=True)
@click.argument("job_id", type=int)
def report_run_job(job_id):
    """Render a report job a web process claimed for its node, in this separate process.

    At low CPU priority: a render is background work, and pages go first on a busy server.
    """
    os.nice(10)
    require_current()
    with open_session(engine()) as session:
        job = session.get(ReportJob, job_id)
        if job is None or job.status != JobStatus.RUNNING:
            raise click.ClickException(f"No claimed report job {job_id}.")
        requester = session.get(User, job.requested_by_id)
        kind, params = job.kind, json.loads(job.params)
    try:
        issue(kind, params, requester.email, requester.id, job_id)
    except Exception as exc:  # the job page says the render failed instead of spinning forever
        _fail(job_id, exc)


def _fail(job_id: int, exc: Exception) -> None:
    """Record a failed render: a record's own message for the person, anything else only in the server log.

    An exception's text names code and data, not what the person can do; the page gives the job's
    number, which the log line carries beside the traceback.
    """
    if isinstance(exc, RecordError):
        told = " ".join(exc.errors.values())
    else:
        traceback.print_exception(exc, file=sys.stderr)
        click.echo(f"report job {job_id} failed: {type(exc).__name__}", err=True)
        told = f"An unexpected error stopped the render; an administrator finds it in the server log under report job {job_id}."
    with migrated_session() as session:
        job = session.get(ReportJob, job_id)
        job.status, job.error, job.finished_at = JobStatus.FAILED, told[:500], utcnow()
        session.commit()


@click.command("verify-pdf")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--certificate",
    type=click.Path(exists=True, dir_okay=False),
    help="The organisation's certificate (PEM) to check against; without it, the one in the PDF is used and its "
    "fingerprint shown for you to compare with the published one.",
)
def verify_pdf(file, certificate):
    """Check a Drillbook report offline: its signature, its embedded files, and what it is. Needs no database.

    Exit 0 only for a genuine, untouched report.
    """
    from evidence.reports.checking import MAX_PDF, check_pdf  # pyHanko only for this command, not every app start

    with open(file, "rb") as handle:
        data = handle.read(MAX_PDF + 1)
    if len(data) > MAX_PDF:
        raise click.ClickException(f"{file} is over {MAX_PDF // 2**20} MiB: not a Drillbook report.")
    pem = Path(certificate).read_bytes() if certificate else None
    result = check_pdf(data, pem)
    for name, value in result.facts.items():
        if value not in (None, ""):
            click.echo(f"{name.replace('_', ' '):22} {value}")
    if result.signer_fingerprint:
        source = (
            "the certificate given" if certificate else "the certificate in the file: compare it with the published one"
        )
        click.echo(f"{'signed with':22} certificate {result.signer_fingerprint} ({source})")
    for problem in result.problems:
        click.echo(f"NOT GENUINE  {problem}", err=True)
    if not result.genuine:
        raise SystemExit(1)
    click.echo("GENUINE  The signature holds over the whole file and every embedded file matches the manifest.")

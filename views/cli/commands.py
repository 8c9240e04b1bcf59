"""The `drillbook` commands: migrations, users, demo data, reminders, verification, reports and the development server."""

import json
import os
import secrets
import sys

import click
from flask import Blueprint, current_app
from flask.cli import AppGroup
from sqlmodel import select
from werkzeug.serving import run_simple

from app import require_current_schema
from evidence.integrity import verify_vault
from evidence.rendering.formatting import org_today
from models import audit
from models.actions.reminders import log_reminder, reminder_message, reminders_due
from models.core.database import open_session
from models.core.schema import current_revision, head_revision, upgrade
from models.core.types import MAX_ID, utcnow
from models.drills.demo import load_reference_drill
from models.drills.tables import Drill
from models.people.users import PasswordRuleError, Role, User, add_user
from models.reports import JobStatus, ReportJob, ReportKind
from views.support.mail import send_mail, smtp_settings

bp = Blueprint("commands", __name__, cli_group=None)
db_cli = AppGroup("db", help="Database schema migrations.")
user_cli = AppGroup("user", help="People who sign in.")
bp.cli.add_command(db_cli)
bp.cli.add_command(user_cli)



def _engine():
    return current_app.extensions["drillbook.engine"]


def _migrated_session():
    """A write session, after making sure the schema is current (else a clear error)."""
    require_current_schema(_engine(), current_app.config["DATABASE_URL"])
    return open_session(_engine(), write=True)


@db_cli.command("upgrade")
def db_upgrade():
    """Apply every pending migration."""
    upgrade(current_app.config["DATABASE_URL"])
    click.echo(f"Database is at revision {current_revision(_engine())} (newest: {head_revision()}).")


@db_cli.command("current")
def db_current():
    """Show the database's revision and the newest one."""
    click.echo(f"current: {current_revision(_engine()) or 'not migrated'}; newest: {head_revision()}")


@user_cli.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", default="", help="Full name; defaults to the e-mail address.")
@click.option("--title", default="", help="Job title shown on sign-offs, e.g. CTO.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of prompting.")
def user_add(email, role, name, title, password_stdin):
    """Create a user who can sign in."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _migrated_session() as session:
        try:
            user = add_user(session, email, name, Role(role), password, title=title)
        except (PasswordRuleError, ValueError) as exc:
            raise click.ClickException(str(exc))
        audit.record(session, "create", actor=audit.COMMAND_LINE, entity_type="user", entity_id=user.id, after={"email": user.email, "role": user.role.value})
        session.commit()
        click.echo(f"Created {user.role.value} {user.email}.")


@user_cli.command("bootstrap-admin")
def user_bootstrap_admin():
    """Make sure an administrator can sign in; never asks a question.

    Takes DRILLBOOK_ADMIN_EMAIL and DRILLBOOK_ADMIN_PASSWORD when set; otherwise creates
    admin@localhost with a random password that is printed once and never stored in clear.
    """
    with _migrated_session() as session:
        admins = session.exec(select(User).where(User.role == Role.ADMIN, User.active == True)).all()  # noqa: E712
        if any(a.password_hash for a in admins):
            click.echo("An administrator exists already; nothing to do.")
            return
        email = os.environ.get("DRILLBOOK_ADMIN_EMAIL") or "admin@localhost"
        password = os.environ.get("DRILLBOOK_ADMIN_PASSWORD")
        generated = password is None
        if generated:
            password = secrets.token_urlsafe(18)
        try:
            user = add_user(session, email, "Administrator", Role.ADMIN, password)
        except (PasswordRuleError, ValueError) as exc:
            raise click.ClickException(f"Cannot create the administrator: {exc}")
        audit.record(session, "create", actor=audit.COMMAND_LINE, entity_type="user", entity_id=user.id, after={"email": user.email, "role": "admin"})
        session.commit()
        click.echo(f"Created administrator {user.email}.")
        if generated:
            click.echo(f"Its password, shown this once: {password}")


@bp.cli.command("demo")
def demo():
    """Load the reference drill as demo data; running it again changes nothing."""
    with _migrated_session() as session:
        drill, created = load_reference_drill(session)
        if created:
            audit.record(session, "create", actor=audit.COMMAND_LINE, entity_type="drill", entity_id=drill.id, after={"title": drill.title, "source": "demo"})
        session.commit()
        click.echo(f"{'Loaded the reference drill' if created else 'Reference drill already loaded'}: /drills/{drill.id}")


@bp.cli.command("serve")
@click.option("--host", default=None, help="Defaults to DRILLBOOK_HOST or 127.0.0.1.")
@click.option("--port", default=None, type=int, help="Defaults to DRILLBOOK_PORT or 5000.")
def serve(host, port):
    """Serve with the development server, after checking the schema is current."""
    require_current_schema(_engine(), current_app.config["DATABASE_URL"])
    host = host or current_app.config["HOST"]
    port = port or int(current_app.config["PORT"])
    click.echo(f"Drillbook on http://{host}:{port}/")
    run_simple(host, port, current_app._get_current_object(), threaded=True)


@bp.cli.command("remind")
@click.option("--days", default=7, show_default=True, type=click.IntRange(0, 365), help="Also remind of actions due within this many days.")
def remind(days):
    """E-mail each owner one list of their overdue and soon-due actions; a second run on the same day sends nothing."""
    settings = smtp_settings(current_app.config)
    today = org_today()
    sent = 0
    with _migrated_session() as session:
        for user, actions in reminders_due(session, today, days):
            message = reminder_message(user, actions, today, settings.sender, settings.base_url)
            send_mail(settings, message)
            log_reminder(session, user, today, len(actions), utcnow())
            audit.record(session, "remind", actor=audit.COMMAND_LINE, entity_type="user", entity_id=user.id, after={"actions": [a.id for a in actions]})
            session.commit()
            sent += 1
    click.echo(f"Sent {sent} reminder{'s' if sent != 1 else ''}.")


@bp.cli.command("verify")
def verify():
    """Re-hash every evidence file and walk the audit trail's hash chain; exit 1 naming what is missing, altered or broken."""
    with _migrated_session() as session:
        report = verify_vault(session, current_app.extensions["drillbook.vault"], utcnow())
        audit.record(session, "verify", actor=audit.COMMAND_LINE, after={"files": report.checked, "missing": report.missing,
                                                                 "altered": [expected for expected, _ in report.altered]})
        session.commit()
    for sha256 in report.missing:
        click.echo(f"MISSING  {sha256}", err=True)
    for expected, actual in report.altered:
        click.echo(f"ALTERED  {expected} (now {actual})", err=True)
    click.echo(f"Evidence files checked: {report.checked}; missing: {len(report.missing)}; altered: {len(report.altered)}.")
    with open_session(_engine()) as session:
        broken, entries = audit.first_broken(session), audit.event_count(session)
    if broken is None:
        click.echo(f"Audit trail: {entries} entries, chain intact.")
    else:
        click.echo(f"BROKEN   audit trail entry {broken}: its hash, link or position does not hold", err=True)
    if not report.ok or broken is not None:
        raise SystemExit(1)


report_cli = AppGroup("report", help="Issue PDF reports from the command line.")
bp.cli.add_command(report_cli)


def issue_report(*args):
    """views.reporting.issue_report, imported on first use: only report commands need WeasyPrint,
    and importing it with the web app would cost every worker most of a second and much memory."""
    from evidence.reports.issuing import issue_report as issue

    return issue(*args)


def _issue(kind, params, output):
    with _migrated_session() as session:
        register, pdf = issue_report(session, kind, params, audit.COMMAND_LINE, None)
        session.commit()
    with open(output, "wb") as out:
        out.write(pdf)
    click.echo(f"Wrote {output} ({len(pdf):,} bytes), SHA-256 {register.sha256}")


@report_cli.command("drill")
@click.argument("drill_id", type=click.IntRange(1, MAX_ID))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True))
def report_drill(drill_id, output):
    """The after-action report of one drill revision."""
    with _migrated_session() as session:
        if session.get(Drill, drill_id) is None:
            raise click.ClickException(f"There is no drill {drill_id}.")
    _issue(ReportKind.DRILL, {"drill_id": drill_id}, output)


@report_cli.command("controls")
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First day of the audit period.")
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Last day of the audit period.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True))
def report_controls(start, end, output):
    """The control evidence pack for an audit period."""
    if end < start:
        raise click.ClickException("The audit period ends before it starts.")
    _issue(ReportKind.CONTROLS, {"from": start.date(), "to": end.date()}, output)


@report_cli.command("actions")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True))
def report_actions(output):
    """Open and overdue actions by owner."""
    _issue(ReportKind.ACTIONS, {}, output)


@report_cli.command("run-job", hidden=True)
@click.argument("job_id", type=int)
def report_run_job(job_id):
    """Render a report job queued from the web, in this separate process."""
    with _migrated_session() as session:
        job = session.get(ReportJob, job_id)
        if job is None or job.status != JobStatus.QUEUED:
            raise click.ClickException(f"No queued report job {job_id}.")
        job.status, job.started_at = JobStatus.RUNNING, utcnow()
        session.commit()
        requester = session.get(User, job.requested_by_id)
    with _migrated_session() as session:
        job = session.get(ReportJob, job_id)
        try:
            register, _ = issue_report(session, job.kind, json.loads(job.params), requester.email, requester.id)
            job.status, job.report_id = JobStatus.DONE, register.id
        except Exception as exc:  # the job page shows what went wrong instead of spinning forever
            session.rollback()
            job = session.get(ReportJob, job_id)
            job.status, job.error = JobStatus.FAILED, f"{type(exc).__name__}: {exc}"[:500]
        job.finished_at = utcnow()
        session.commit()

"""`drillbook verify`: re-hash every evidence file and walk the audit trail's chain."""

import click
from flask import current_app

from evidence.integrity import verify_vault
from models import audit
from models.core.database import open_session
from models.core.types import utcnow
from views.cli.support import bp, engine, migrated_session


@bp.cli.command("verify")
def verify():
    """Re-hash every evidence file and walk the audit trail's hash chain; exit 1 naming what is missing, altered or broken."""
    with migrated_session() as session:
        report = verify_vault(session, current_app.extensions["drillbook.vault"], utcnow())
        audit.record(
            session,
            "verify",
            actor=audit.COMMAND_LINE,
            after={
                "files": report.checked,
                "missing": report.missing,
                "altered": [expected for expected, _ in report.altered],
            },
        )
        session.commit()
    for sha256 in report.missing:
        click.echo(f"MISSING  {sha256}", err=True)
    for expected, actual in report.altered:
        click.echo(f"ALTERED  {expected} (now {actual})", err=True)
    click.echo(
        f"Evidence files checked: {report.checked}; missing: {len(report.missing)}; altered: {len(report.altered)}."
    )
    with open_session(engine()) as session:
        broken, entries = audit.first_broken(session), audit.event_count(session)
    if broken is None:
        click.echo(f"Audit trail: {entries} entries, chain intact.")
    else:
        click.echo(f"BROKEN   audit trail entry {broken}: its hash, link or position does not hold", err=True)
    if not report.ok or broken is not None:
        raise SystemExit(1)

"""`drillbook verify`: re-hash every evidence file, walk the audit trail's chain and hold it against its signed heads."""

import click
from flask import current_app

from evidence.integrity import verify_vault
from evidence.witness import check_trail
from models import audit
from models.core.database import open_session
from models.core.types import utcnow
from models.signoff.frozen import altered_signoffs
from views.cli.support import bp, engine, migrated_session


@bp.cli.command("verify")
@click.option(
    "--expect-head",
    "expected",
    multiple=True,
    metavar="SEQ:HASH",
    help="A head copied from an issued PDF, a backup manifest or an e-mail; the trail must still hold it. Repeatable.",
)
def verify(expected):
    """Re-hash every evidence file and check the audit trail; exit 1 naming what is missing, altered, cut or broken.

    The trail is checked before this run adds its own entry: its chain from the first entry, every
    head witnessed outside the database (signed with the instance key), and any --expect-head given.
    """
    with open_session(engine()) as session:
        entries = audit.event_count(session)
        witness = current_app.extensions["drillbook.witness"]
        trail = check_trail(session, witness.key.public, witness, expected)
        problems = trail.problems + altered_signoffs(session)
    broken = trail.broken
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
                "trail_broken_at": broken,
                "trail_problems": problems[:20],
            },
        )
        session.commit()
    for sha256 in report.missing:
        click.echo(f"MISSING  {sha256}", err=True)
    for expected_hash, actual in report.altered:
        click.echo(f"ALTERED  {expected_hash} (now {actual})", err=True)
    click.echo(
        f"Evidence files checked: {report.checked}; missing: {len(report.missing)}; altered: {len(report.altered)}."
    )
    if broken is not None:
        click.echo(f"BROKEN   audit trail entry {broken}: its hash, link or position does not hold", err=True)
    for problem in problems:
        click.echo(f"BROKEN   {problem}", err=True)
    if broken is None and not problems:
        heads = trail.heads + len(expected)
        click.echo(f"Audit trail: {entries} entries, chain intact, {heads} signed heads hold.")
    if not report.ok or broken is not None or problems:
        raise SystemExit(1)

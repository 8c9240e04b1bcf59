"""`drillbook remind`: e-mail each owner their overdue and soon-due actions."""

import click
from flask import current_app

from evidence.rendering.formatting import org_today
from evidence.witness import current_checkpoint
from models import audit
from models.actions.reminders import log_reminder, reminder_message, reminders_due
from models.core.types import utcnow
from views.cli.support import bp, migrated_session
from views.support.mail import MailError, send_mail, smtp_settings


@bp.cli.command("remind")
@click.option(
    "--days",
    default=7,
    show_default=True,
    type=click.IntRange(0, 365),
    help="Also remind of actions due within this many days.",
)
def remind(days):
    """E-mail each owner one list of their overdue and soon-due actions; a second run on the same day sends nothing."""
    try:
        sent = _send_reminders(smtp_settings(current_app.config), days)
    except MailError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Sent {sent} reminder{'s' if sent != 1 else ''}.")


def _send_reminders(settings, days: int) -> int:
    """Send and log each owner's reminder, committing after each so a failure never re-sends the earlier ones."""
    today = org_today()
    sent = 0
    with migrated_session() as session:
        signed = current_checkpoint(session, current_app.extensions["drillbook.key"])
        checkpoint = signed.text() if signed else ""
        for user, actions in reminders_due(session, today, days):
            message = reminder_message(user, actions, today, settings.sender, settings.base_url, checkpoint)
            send_mail(settings, message)
            log_reminder(session, user, today, len(actions), utcnow())
            audit.record(
                session,
                "remind",
                actor=audit.COMMAND_LINE,
                entity_type="user",
                entity_id=user.id,
                after={"actions": [a.id for a in actions]},
            )
            session.commit()
            sent += 1
    return sent

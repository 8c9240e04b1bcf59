"""`drillbook notify`: deliver the notifications waiting in the outbox, for servers that run no web process."""

import click
from flask import current_app

from views.cli.support import bp, require_current


@bp.cli.command("notify")
def notify():
    """Send every notification now due (e-mails and webhooks), retrying those that failed before."""
    require_current()
    sent = current_app.extensions["drillbook.outbox"].deliver_due()
    click.echo(f"Sent {sent} notification{'s' if sent != 1 else ''}.")

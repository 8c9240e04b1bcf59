"""`drillbook db`: apply and show schema migrations."""

import click
from flask import current_app
from flask.cli import AppGroup

from models.core.schema import current_revision, head_revision, upgrade
from views.cli.support import bp, engine

db_cli = AppGroup("db", help="Database schema migrations.")
bp.cli.add_command(db_cli)


@db_cli.command("upgrade")
def db_upgrade():
    """Apply every pending migration."""
    upgrade(current_app.config["DATABASE_URL"])
    click.echo(f"Database is at revision {current_revision(engine())} (newest: {head_revision()}).")


@db_cli.command("current")
def db_current():
    """Show the database's revision and the newest one."""
    click.echo(f"current: {current_revision(engine()) or 'not migrated'}; newest: {head_revision()}")

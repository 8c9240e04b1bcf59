"""`drillbook user`: add people and create the first administrator."""

import os
import secrets
import sys

import click
from flask.cli import AppGroup
from sqlmodel import select

from models import audit
from models.people.users import PasswordRuleError, Role, User, add_user
from views.cli.support import bp, migrated_session

user_cli = AppGroup("user", help="People who sign in.")
bp.cli.add_command(user_cli)


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
    with migrated_session() as session:
        user = _add(session, email, name, Role(role), password, title)
        click.echo(f"Created {user.role.value} {user.email}.")


@user_cli.command("bootstrap-admin")
def user_bootstrap_admin():
    """Make sure an administrator can sign in; never asks a question.

    Takes DRILLBOOK_ADMIN_EMAIL and DRILLBOOK_ADMIN_PASSWORD when set; otherwise creates
    admin@localhost with a random password that is printed once and never stored in clear.
    """
    with migrated_session() as session:
        admins = session.exec(select(User).where(User.role == Role.ADMIN, User.active == True)).all()  # noqa: E712
        if any(a.password_hash for a in admins):
            click.echo("An administrator exists already; nothing to do.")
            return
        email = os.environ.get("DRILLBOOK_ADMIN_EMAIL") or "admin@localhost"
        password = os.environ.get("DRILLBOOK_ADMIN_PASSWORD")
        generated = password is None
        if generated:
            password = secrets.token_urlsafe(18)
        user = _add(session, email, "Administrator", Role.ADMIN, password, "", "Cannot create the administrator: ")
        click.echo(f"Created administrator {user.email}.")
        if generated:
            click.echo(f"Its password, shown this once: {password}")


def _add(session, email: str, name: str, role: Role, password: str, title: str, failure: str = "") -> User:
    """Create the person, audited as the command line's doing, and commit; a broken password rule stops the command."""
    try:
        user = add_user(session, email, name, role, password, title=title)
    except (PasswordRuleError, ValueError) as exc:
        raise click.ClickException(f"{failure}{exc}") from None
    audit.record(
        session,
        "create",
        actor=audit.COMMAND_LINE,
        entity_type="user",
        entity_id=user.id,
        after={"email": user.email, "role": user.role.value},
    )
    session.commit()
    return user

"""`drillbook demo` and `drillbook serve`: the reference drill as demo data, and the development server."""

import click
from flask import current_app
from werkzeug.serving import run_simple

from models import audit
from models.drills.demo import load_reference_drill
from views.cli.support import bp, migrated_session, require_current


@bp.cli.command("demo")
def demo():
    """Load the reference drill as demo data; running it again changes nothing."""
    with migrated_session() as session:
        drill, created = load_reference_drill(session)
        if created:
            audit.record(
                session,
                "create",
                actor=audit.COMMAND_LINE,
                entity_type="drill",
                entity_id=drill.id,
                after={"title": drill.title, "source": "demo"},
            )
        session.commit()
        click.echo(
            f"{'Loaded the reference drill' if created else 'Reference drill already loaded'}: /drills/{drill.id}"
        )


@bp.cli.command("serve")
@click.option("--host", default=None, help="Defaults to DRILLBOOK_HOST or 127.0.0.1.")
@click.option("--port", default=None, type=int, help="Defaults to DRILLBOOK_PORT or 5000.")
def serve(host, port):
    """Serve with the development server, after checking the schema is current."""
    require_current()
    host = host or current_app.config["HOST"]
    port = port or int(current_app.config["PORT"])
    click.echo(f"Drillbook on http://{host}:{port}/")
    run_simple(host, port, current_app._get_current_object(), threaded=True)

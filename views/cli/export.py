"""`drillbook export oscal`: a drill revision's assessment results or the follow-up actions' POA&M as OSCAL 1.1 JSON."""

import json

import click
from flask import current_app
from flask.cli import AppGroup

from evidence import oscal
from evidence.rendering.formatting import org_zone
from models import audit
from models.actions.queries import list_actions
from models.core.database import open_session
from models.core.types import MAX_ID, utcnow
from models.drills.queries import load_drill
from models.signoff.frozen import SignedContentAltered
from views.cli.support import bp, engine, migrated_session, require_current

export_cli = AppGroup("export", help="Export records for other tools.")
oscal_cli = AppGroup("oscal", help="OSCAL 1.1 JSON: assessment results of a drill, or the POA&M of the actions.")
export_cli.add_command(oscal_cli)
bp.cli.add_command(export_cli)

OUTPUT = click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True, allow_dash=False))


def _site() -> tuple[str, str]:
    """The instance's address (the exports' UUIDs are made from it, as on the web) and the organisation's name."""
    config = current_app.config
    base = str(config.get("BASE_URL") or f"http://{config['HOST']}:{config['PORT']}/")
    return base, config.get("ORGANISATION") or "The organisation"


def _write(document: dict, output: str, model: str, entity: str, entity_id: int | None) -> None:
    try:
        with open(output, "w", encoding="utf-8") as out:
            json.dump(document, out, indent=2, ensure_ascii=False)
    except OSError as exc:
        raise click.ClickException(f"Cannot write {output}: {exc.strerror}.") from None
    with migrated_session() as session:
        audit.record(
            session,
            "export",
            actor=audit.COMMAND_LINE,
            entity_type=entity,
            entity_id=entity_id,
            after={"format": "oscal", "model": model},
        )
        session.commit()
    click.echo(f"Wrote {output}: OSCAL {oscal.OSCAL_VERSION} {model}")


@oscal_cli.command("assessment-results")
@click.option("--drill", "drill_id", required=True, type=click.IntRange(1, MAX_ID), help="The drill revision's number.")
@OUTPUT
def assessment_results(drill_id: int, output: str):
    """One drill revision as OSCAL assessment results; a signed one from its signed content."""
    require_current()
    base, organisation = _site()
    with open_session(engine()) as session:
        drill = load_drill(session, drill_id)
        if drill is None:
            raise click.ClickException(f"There is no drill {drill_id}.")
        try:
            document = oscal.assessment_results(drill, utcnow(), base, organisation)
        except SignedContentAltered as exc:
            raise click.ClickException(exc.errors[""]) from None
    _write(document, output, "assessment-results", "drill", drill_id)


@oscal_cli.command("poam")
@click.option("--drill", "drill_id", type=click.IntRange(1, MAX_ID), help="Only this drill's actions.")
@OUTPUT
def poam(drill_id: int | None, output: str):
    """The follow-up actions, each in its status today, as an OSCAL plan of action and milestones."""
    require_current()
    base, organisation = _site()
    with open_session(engine()) as session:
        if drill_id is not None and load_drill(session, drill_id) is None:
            raise click.ClickException(f"There is no drill {drill_id}.")
        actions = list_actions(session, **({"drill_id": drill_id} if drill_id else {}))
        if not actions:
            raise click.ClickException("There are no follow-up actions to export.")
        document = oscal.poam(actions, utcnow(), base, organisation, org_zone())
    _write(document, output, "plan-of-action-and-milestones", "action", None)

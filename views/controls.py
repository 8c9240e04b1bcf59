"""The ISO/IEC 27001:2022 control catalogue and each control's linked records."""

from flask import Blueprint, abort, render_template, request

from models import queries
from models.controls import ControlKind
from views.access import READERS, allow
from views.database import get_db

bp = Blueprint("controls", __name__, url_prefix="/controls")


@bp.route("")
@allow(*READERS)
def index():
    """The catalogue: clauses 4 to 10, then Annex A by theme, with record counts."""
    db = get_db()
    search = request.args.get("q", "")[:100]
    controls = queries.list_controls(db, search)
    return render_template(
        "controls/index.html",
        clauses=[c for c in controls if c.kind == ControlKind.CLAUSE],
        annex=[c for c in controls if c.kind == ControlKind.ANNEX_A],
        counts=queries.control_record_counts(db),
        search=search,
    )


@bp.route("/<code>")
@allow(*READERS)
def detail(code: str):
    """One control with the drills, findings, actions and evidence that bear on it."""
    control = queries.load_control(get_db(), code)
    if control is None:
        abort(404)
    return render_template("controls/detail.html", control=control)

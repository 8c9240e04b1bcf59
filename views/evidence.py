"""The evidence register."""

from flask import Blueprint, render_template

from models import queries
from views.access import READERS, allow
from views.database import get_db

bp = Blueprint("evidence", __name__, url_prefix="/evidence")


@bp.route("")
@allow(*READERS)
def index():
    """Every evidence record with its hash, size and what it supports."""
    return render_template("evidence/index.html", items=queries.list_evidence(get_db()))

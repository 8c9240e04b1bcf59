"""Which list separator a CSV download uses: the one the reader's spreadsheet expects."""

from flask import abort, request

from models.core.spreadsheet import SEPARATORS, separator_for
from views.support.i18n import page_language


def csv_separator() -> str:
    """?separator=comma|semicolon when given, else the list separator of the reader's locale: ";" in French
    and Dutch (Excel in Belgium opens a comma file as one column), "," in English."""
    choice = request.args.get("separator")
    if choice is None:
        return separator_for(page_language())
    if choice not in SEPARATORS:
        abort(400, description="separator must be comma or semicolon.")
    return SEPARATORS[choice]

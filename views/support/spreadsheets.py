"""Which list separator a CSV download uses: the one the reader's spreadsheet expects."""

from flask import abort, current_app, request

from models.core.spreadsheet import LIST_SEPARATOR, SEPARATORS, separator_for


def reader_language() -> str:
    """The reader's language among those Drillbook knows, from their browser; else the organisation's."""
    return request.accept_languages.best_match(list(LIST_SEPARATOR)) or current_app.config.get("LANGUAGE") or "en"


def csv_separator() -> str:
    """?separator=comma|semicolon when given, else the list separator of the reader's locale: ";" in French
    and Dutch (Excel in Belgium opens a comma file as one column), "," in English."""
    choice = request.args.get("separator")
    if choice is None:
        return separator_for(reader_language())
    if choice not in SEPARATORS:
        abort(400, description="separator must be comma or semicolon.")
    return SEPARATORS[choice]

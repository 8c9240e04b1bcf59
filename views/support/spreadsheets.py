"""Which list separator a CSV download uses: the one the reader's spreadsheet expects."""

import io

from flask import Response, abort, request

from models.core import spreadsheet
from models.core.spreadsheet import BOM, SEPARATORS, neutralise, separator_for
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


def csv_download(header: list[str], rows, filename: str) -> Response:
    """A CSV file as the reader's spreadsheet opens it: a byte-order mark, their list separator, every cell
    neutralised so none runs as a formula."""
    out = io.StringIO()
    out.write(BOM)
    writer = spreadsheet.writer(out, csv_separator())
    writer.writerow(header)
    writer.writerows([neutralise(v) for v in row] for row in rows)
    return Response(
        out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )

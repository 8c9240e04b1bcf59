"""One rule for every request before any view reads it: text may not contain NUL characters.

PostgreSQL cannot store NUL in a text column, and no honest browser or script sends one, so a
NUL anywhere in the query string, a form field or a JSON string gets a clear 400 here instead
of a database error deep inside whichever view happened to receive it. (Upload file names are
display-only and have their control characters removed by the evidence intake instead.)
"""

from flask import Flask, abort, request

MESSAGE = "The request contains a NUL character (\\0), which no field accepts. Remove it and try again."


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def refuse_nul_characters() -> None:
    """Abort with 400 when any text the request carries holds a NUL."""
    texts = [text for pair in request.args.items(multi=True) for text in pair]
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        texts += [text for pair in request.form.items(multi=True) for text in pair]
        if request.is_json and _has_nul(request.get_json(silent=True)):
            abort(400, description=MESSAGE)
    if any("\x00" in text for text in texts):
        abort(400, description=MESSAGE)


def register(app: Flask) -> None:
    """Run the check after the access rules, so strangers still get the sign-in answer first."""
    app.before_request(refuse_nul_characters)

"""The rules every request meets before a view, or Flask-WTF, reads it: the kind of body, its size, its depth, no NUL.

Pages take forms, the API takes JSON, and the few routes marked `@receives_files` (none of them open
to strangers) take files up to the upload limit. Anything else is refused from its headers, before a byte of the body is read: a
stranger's 30 MB JSON document sent to the sign-in page costs a 415, not a gigabyte of memory.

PostgreSQL cannot store NUL in a text column, and no honest browser or script sends one, so a NUL
anywhere in the query string, a form field or a JSON string gets a clear 400 here instead of a
database error deep inside whichever view happened to receive it. (Upload file names are
display-only and have their control characters removed by the evidence intake instead.)
"""

from flask import Flask, abort, current_app, request
from werkzeug.datastructures import ImmutableMultiDict

from views.support.session import SAFE_METHODS

NUL_MESSAGE = "The request contains a NUL character (\\0), which no field accepts. Remove it and try again."
FORMS = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
#: a page's form without files, and an API call's JSON document: far above any real one
MAX_FORM_BYTES = 1024 * 1024
MAX_JSON_BYTES = 1024 * 1024
#: objects and lists inside one another; the API's deepest real document has 3 levels
MAX_JSON_DEPTH = 16

_FILES = "_drillbook_receives_files"
#: how a route marked @receives_files takes its file: in a multipart form, or as the whole body
FORM, BODY = "form", "body"


def receives_files(view=None, *, kind: str = FORM):
    """Mark a view that takes uploads, up to DRILLBOOK_MAX_UPLOAD_MB: in a form (the default), or with
    `kind=BODY` as the raw request body of any type, which nothing but the view then reads."""

    def mark(view):
        setattr(view, _FILES, kind)
        return view

    return mark(view) if view is not None else mark


def _view():
    """The view this request reaches, or None when routing failed."""
    if request.routing_exception is not None or not request.endpoint:
        return None
    return current_app.view_functions.get(request.endpoint)


def _has_body() -> bool:
    return bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def check_body() -> None:
    """Refuse a body of the wrong kind (415) or size (413) from the headers; limit what is read to that size."""
    view = _view()
    if request.method in SAFE_METHODS:
        return
    if view is None:  # no such address, or not this method: the answer is a 404 or 405, and no body is read
        request.max_content_length = 0
        return
    api, files = request.blueprint == "api", getattr(view, _FILES, None)
    if files == BODY:
        request.max_content_length = current_app.config["MAX_CONTENT_LENGTH"]
        # the body is the file, whatever type it claims: nothing may read it as a form first (Flask-WTF
        # looks in the form for its token; this route's comes in a header), so the form is settled as empty
        request.__dict__.update(form=ImmutableMultiDict(), files=ImmutableMultiDict())
        return
    if api:
        if _has_body() and request.mimetype != "application/json":
            abort(415, description="Send a JSON object with Content-Type: application/json.")
        limit = MAX_JSON_BYTES
    else:
        if _has_body() and request.mimetype not in FORMS:
            abort(415, description="This address takes a form from a page, not JSON or another kind of body.")
        limit = current_app.config["MAX_CONTENT_LENGTH"] if files == FORM else MAX_FORM_BYTES
    request.max_content_length = limit
    if (request.content_length or 0) > limit:
        abort(413)
    if request.is_json and _has_body():
        _check_json()


def _check_json() -> None:
    """Parse the document once, within the depth limit, and refuse one holding a NUL."""
    try:
        document = request.get_json()
    except RecursionError:
        abort(400, description=f"The JSON document is nested too deeply; at most {MAX_JSON_DEPTH} levels are read.")
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list) and depth > MAX_JSON_DEPTH:
            abort(400, description=f"The JSON document is nested too deeply; at most {MAX_JSON_DEPTH} levels are read.")
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for pair in value.items() for item in pair)
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str) and "\x00" in value:
            abort(400, description=NUL_MESSAGE)


def refuse_nul_characters() -> None:
    """Abort with 400 when any text of the query string or form holds a NUL."""
    texts = [text for pair in request.args.items(multi=True) for text in pair]
    view = _view()
    if request.method not in SAFE_METHODS and view is not None and getattr(view, _FILES, None) != BODY:
        texts += [text for pair in request.form.items(multi=True) for text in pair]
    if any("\x00" in text for text in texts):
        abort(400, description=NUL_MESSAGE)


def register_body_check(app: Flask) -> None:
    """After the access rules, so strangers get the sign-in answer first (they need no body for it), and
    before Flask-WTF's CSRF check, which reads the form: the body's kind and size are settled first."""
    app.before_request(check_body)


def register(app: Flask) -> None:
    """The NUL check reads the form, so it runs last."""
    app.before_request(refuse_nul_characters)

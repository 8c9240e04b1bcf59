"""Friendly error pages that say what went wrong and leak nothing about the server."""

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

MESSAGES = {
    400: "The request could not be understood. Go back, check the form, and try again.",
    401: "Please sign in.",
    403: "Your role does not allow this. Ask an administrator if you need access.",
    404: "There is nothing at this address. It may have been mistyped, or the record does not exist.",
    405: "This address does not accept that kind of request.",
    413: "This is more than the server accepts in one request: a file over the upload limit (DRILLBOOK_MAX_UPLOAD_MB) "
    "or text over 500 KB in one field. Split it, or ask an administrator.",
    500: "Something went wrong on our side. Nothing was saved; please try again.",
}


def problem(status: int, detail: str, title: str | None = None, **extra):
    """An RFC 9457 problem response; `extra` adds members such as `errors`, the message for each field."""
    headers = {"Content-Type": "application/problem+json"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="drillbook"'
    body = {
        "type": "about:blank",
        "title": title or HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "detail": detail,
        **extra,
    }
    return jsonify(body), status, headers


def _page(code: int, message: str):
    """An HTML page, or problem JSON for the API and any client that asked for JSON."""
    if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
        return problem(code, message)
    return render_template("errors/error.html", code=code, message=message), code


def _http_error(exc: HTTPException):
    """Our own wording, unless the code that refused gave a specific reason."""
    code = exc.code or 500
    specific = exc.description if exc.description != type(exc).description else None
    return _page(code, specific or MESSAGES.get(code, "Error"))


def _csrf_error(exc: CSRFError):
    return _page(400, "The form had expired or did not come from this site. Reload the page and try again.")


def _not_utf8(exc: UnicodeDecodeError):
    """An address or form whose bytes are not UTF-8 (a query string with \\xff) is the client's error, not ours."""
    return _page(400, "The address or the form is not valid text: it must be UTF-8.")


def _unexpected(exc: Exception):
    return _page(500, MESSAGES[500])


def register(app: Flask) -> None:
    """Install the handlers; unexpected exceptions become a plain 500 page."""
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(UnicodeDecodeError, _not_utf8)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _unexpected)

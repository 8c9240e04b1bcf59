"""Security headers on every response."""

from flask import Flask, Response, request

#: no inline script or style, nothing from elsewhere, never framed
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def _secure(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.endpoint != "static":  # pages, CSV exports and API answers may hold personal data: never cached
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def register(app: Flask) -> None:
    """Add the headers after every request."""
    app.after_request(_secure)

"""Security headers on every response."""

from flask import Flask, Response, request

from views.support import oidc

#: no inline script or style, nothing from elsewhere, never framed
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def _policy() -> str:
    """The CSP; with single sign-on, forms may also lead to the provider (signing, signing out), whose
    pages a form's redirect then opens: a browser applies form-action to the redirects after a post."""
    provider = oidc.provider()
    if provider is None:
        return CSP
    return CSP.replace("form-action 'self'", " ".join(["form-action 'self'", *sorted(provider.origins())]))


def _secure(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", _policy())
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

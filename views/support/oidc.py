"""The OpenID Connect client: the authorization code flow with PKCE, `state` and `nonce`, through Authlib.

Configured by DRILLBOOK_OIDC_* settings and built once per app. Authlib keeps `state`, `nonce`
and the PKCE verifier in the session cookie between the redirect and the callback, checks the
state, and checks the ID token's signature (keys from the provider's `jwks_uri`), issuer,
audience, expiry (with `OIDC_LEEWAY_SECONDS` of clock skew) and nonce. Anything that goes wrong
on the way comes out as one `ProviderFailure` with a reason for the audit trail and a sentence
for the person.
"""

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import requests
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, abort, current_app, request, session
from joserfc.errors import ExpiredTokenError, JoseError

from models.people.sso import ProviderIdentity, parse_role_map
from models.people.users import Role, normalise_email

CALLBACK = "/auth/oidc/callback"

#: how Authlib names the session keys of a flow under way (`state`, `nonce`, PKCE verifier)
STATE_KEYS = "_state_provider_"

#: the session key of the raw ID token, kept to name the session when signing out at the provider
ID_TOKEN = "drillbook.id_token"

#: the session key of the signature waiting for the approver's fresh sign-in: its request, drill and flow state
SIGNING = "drillbook.sign_request"


class ProviderFailure(Exception):
    """Sign-in through the provider did not succeed: `reason` for the audit trail, `message` for the person."""

    def __init__(self, reason: str, message: str, status: int = 400):
        super().__init__(message)
        self.reason, self.message, self.status = reason, message, status


@dataclass
class Provider:
    """The identity provider as configured: its Authlib client, its label and how groups become roles."""

    client: object
    issuer: str
    name: str
    roles_claim: str
    role_map: dict[str, Role]
    leeway: int

    def redirect_uri(self) -> str:
        """`<BASE_URL>/auth/oidc/callback`, the address registered at the provider."""
        return address(CALLBACK)

    def start(self, **params) -> tuple[str, str]:
        """The provider's authorization address to send the person to, and the flow's `state`."""
        try:
            found = self.client.create_authorization_url(self.redirect_uri(), **params)
        except (requests.RequestException, ValueError) as exc:
            raise _unreachable(self.name) from exc
        for key in [k for k in session if k.startswith(STATE_KEYS)]:
            session.pop(key)  # one flow at a time: abandoned ones would grow the cookie past what browsers keep
        self.client.save_authorize_data(redirect_uri=self.redirect_uri(), **found)
        return found["url"], found["state"]

    def finish(self) -> tuple[ProviderIdentity, str]:
        """The checked identity from the callback, and the raw ID token (for signing out at the provider)."""
        if request.args.get("error"):
            error = str(request.args.get("error"))[:60]
            raise ProviderFailure(f"provider: {error}", f"{self.name} did not sign you in ({error}).", 403)
        if not request.args.get("state") or not request.args.get("code"):
            raise ProviderFailure("incomplete", "The answer from the identity provider is incomplete.")
        try:
            token = self.client.authorize_access_token(leeway=self.leeway)
        except MismatchingStateError:
            raise ProviderFailure(
                "state", "This sign-in was not started here, or was started in another window. Start again."
            ) from None
        except ExpiredTokenError:
            raise ProviderFailure("expired token", "The identity provider's token had already expired.") from None
        except OAuthError as exc:
            error = str(exc.error or "error")[:60]
            raise ProviderFailure(
                f"token: {error}", f"{self.name} refused to complete the sign-in ({error})."
            ) from None
        except JoseError as exc:
            raise ProviderFailure(
                f"id token: {type(exc).__name__}", "The identity provider's token did not pass its checks."
            ) from None
        except requests.RequestException:
            raise _unreachable(self.name) from None
        claims = token.get("userinfo")
        if not claims or not claims.get("sub"):
            raise ProviderFailure("no id token", "The identity provider sent no identity.")
        return ProviderIdentity.from_claims(dict(claims), self.roles_claim), str(token.get("id_token", ""))

    def origins(self) -> set[str]:
        """Where the provider's pages are: the issuer's origin, and its endpoints' once its metadata is loaded."""
        found = {
            _origin(self.client.server_metadata.get(k) or "")
            for k in ("authorization_endpoint", "end_session_endpoint")
        }
        return {o for o in {_origin(self.issuer), *found} if o}

    def logout_url(self, id_token: str, after: str) -> str | None:
        """The provider's end-session address (RP-initiated logout), or None when it has none."""
        try:
            endpoint = self.client.load_server_metadata().get("end_session_endpoint")
        except (requests.RequestException, ValueError):
            return None
        if not endpoint:
            return None
        params = {"client_id": self.client.client_id, "post_logout_redirect_uri": after}
        if id_token:
            params["id_token_hint"] = id_token
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(params)}"


def _origin(url: str) -> str:
    parts = urlsplit(str(url))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""


def address(path: str) -> str:
    """This site's address for `path`, from DRILLBOOK_BASE_URL (else the request's own): what the provider knows."""
    base = current_app.config.get("BASE_URL") or request.url_root
    return str(base).rstrip("/") + path


def _unreachable(name: str) -> ProviderFailure:
    return ProviderFailure("unreachable", f"{name} cannot be reached just now. Try again in a moment.", 502)


def init_app(app: Flask) -> None:
    """Register the provider when DRILLBOOK_OIDC_ISSUER is set; refuses an incomplete configuration."""
    config = app.config
    issuer = str(config.get("OIDC_ISSUER") or "").rstrip("/")
    if not issuer:
        if not config["LOCAL_SIGN_IN"]:
            raise ValueError("DRILLBOOK_LOCAL_SIGN_IN=false needs DRILLBOOK_OIDC_ISSUER: nobody could sign in.")
        return
    if not config.get("OIDC_CLIENT_ID"):
        raise ValueError("DRILLBOOK_OIDC_ISSUER is set without DRILLBOOK_OIDC_CLIENT_ID.")
    role_map = parse_role_map(str(config.get("OIDC_ROLE_MAP") or ""))
    if not role_map:
        raise ValueError("DRILLBOOK_OIDC_ROLE_MAP gives no group a role, so nobody could sign in through the provider.")
    oauth = OAuth(app)
    client = oauth.register(
        "provider",
        client_id=str(config["OIDC_CLIENT_ID"]),
        client_secret=str(config.get("OIDC_CLIENT_SECRET") or "") or None,
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={
            "scope": config["OIDC_SCOPES"],
            "code_challenge_method": "S256",
            "default_timeout": 10,
        },
    )
    app.extensions["drillbook.oidc"] = Provider(
        client=client,
        issuer=issuer,
        name=str(config["OIDC_NAME"]),
        roles_claim=str(config["OIDC_ROLES_CLAIM"]),
        role_map=role_map,
        leeway=int(config["OIDC_LEEWAY_SECONDS"]),
    )


def start_signing(request_id: int, drill_id: int) -> str:
    """The provider address that makes the approver sign in again before the signature `request_id` is made."""
    found = provider()
    if found is None:
        raise ProviderFailure(
            "not configured", "Single sign-on is turned off here, so you cannot confirm who you are.", 409
        )
    url, state = found.start(prompt="login", max_age=0)
    session[SIGNING] = {"request": request_id, "drill": drill_id, "state": state}
    return url


def provider() -> Provider | None:
    """The configured identity provider, or None when sign-in is by password only."""
    return current_app.extensions.get("drillbook.oidc")


def provider_or_404() -> Provider:
    found = provider()
    if found is None:
        abort(404)
    return found


def password_sign_in_allowed(email: str) -> bool:
    """Password sign-in is for everyone, or, with DRILLBOOK_LOCAL_SIGN_IN=false, for the break-glass administrator."""
    config = current_app.config
    if config["LOCAL_SIGN_IN"]:
        return True
    glass = normalise_email(str(config.get("BREAK_GLASS_ADMIN") or ""))
    return bool(glass) and normalise_email(email or "") == glass

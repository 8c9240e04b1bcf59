"""Drillbook's application factory, configuration and command-line entry point."""

import os
import secrets
import socket
import sys
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from flask import Flask
from flask.cli import FlaskGroup
from flask_login import LoginManager, user_logged_in
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from evidence.keys import SigningKey, SigningKeyError
from evidence.reports.jobs import ReportWorkers
from evidence.vault import Vault
from evidence.witness import Witness, attach
from models.core.database import make_engine
from models.core.schema import SchemaNotCurrent, require_current_schema
from views.cli.reports import verify_pdf
from views.support import oidc
from views.support.filters import register
from views.support.forms import RecordIdConverter
from views.support.outbox import OutboxSender

ROOT = Path(__file__).resolve().parent

DEFAULTS = {
    "TIMEZONE": "Europe/Brussels",
    "HOST": "127.0.0.1",
    "PORT": 5000,
    #: "Organisation" shown in page headers and on report covers
    "ORGANISATION": "",
    #: the organisation's language (en, fr or nl): for people who chose none and whose browser asks for none of them
    "LANGUAGE": "en",
    "CHECK_SCHEMA": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "SESSION_COOKIE_NAME": "drillbook_session",
    "WTF_CSRF_TIME_LIMIT": None,
    #: a signed-in session ends after this long without a request, and this long after sign-in whatever happens
    "SESSION_IDLE_MINUTES": 30,
    "SESSION_MAX_HOURS": 12,
    #: largest upload accepted, in megabytes (one request)
    "MAX_UPLOAD_MB": 200,
    #: printed in every report's footer and cover, with the cover's handling instructions (a default text if empty)
    "REPORT_CLASSIFICATION": "Confidential",
    "REPORT_HANDLING": "",
    #: evidence files embedded in a drill report, in megabytes at most; larger ones are listed with their hash only
    "REPORT_ATTACHMENTS_MB": 25,
    #: a report render that takes longer is stopped
    "REPORT_TIME_LIMIT_SECONDS": 300,
    #: renders this server runs at once (default: its number of cores), and reports one person may have waiting
    "REPORT_WORKERS": os.cpu_count() or 1,
    "REPORT_JOBS_PER_PERSON": 3,
    #: how often each web process looks for queued reports; 0 only claims when asked or when a render ends
    "REPORT_POLL_SECONDS": 2,
    #: how often each web process retries notifications that could not be sent; 0: only after the event's request
    "NOTIFY_POLL_SECONDS": 30,
    #: webhooks may call addresses inside this network (loopback, private ranges): off, against request forgery
    "WEBHOOK_ALLOW_PRIVATE": False,
    #: this server's name in the report queue; each node of a cluster needs its own
    "NODE_NAME": socket.gethostname(),
    #: the approver who signs a drill must not be the person who submitted it
    "REQUIRE_INDEPENDENT_SIGNER": True,
    #: failed sign-ins tolerated per account, and per client address, within the lockout window
    "LOGIN_FAILURES_PER_ACCOUNT": 5,
    "LOGIN_FAILURES_PER_ADDRESS": 20,
    "LOGIN_LOCKOUT_MINUTES": 15,
    #: reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host headers are trusted
    "PROXY_HOPS": 0,
    #: single sign-on with OpenID Connect: off unless OIDC_ISSUER is set (see README, "Single sign-on")
    "OIDC_ISSUER": "",
    "OIDC_CLIENT_ID": "",
    "OIDC_CLIENT_SECRET": "",
    #: the provider's name on the sign-in button: "Sign in with Microsoft"
    "OIDC_NAME": "your identity provider",
    "OIDC_SCOPES": "openid email profile",
    #: the ID-token claim listing the person's groups, and which group gives which role
    "OIDC_ROLES_CLAIM": "groups",
    "OIDC_ROLE_MAP": "",
    #: clock difference tolerated between this server and the provider when checking a token's times
    "OIDC_LEEWAY_SECONDS": 60,
    #: password sign-in; with false, only BREAK_GLASS_ADMIN may use it, everyone else signs in with the provider
    "LOCAL_SIGN_IN": True,
    "BREAK_GLASS_ADMIN": "",
}


class StartupError(click.ClickException):
    """A configuration or environment problem that stops Drillbook from starting, said plainly."""


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app from DRILLBOOK_* environment variables, then `test_config` on top."""
    test_config = test_config or {}
    instance = _instance_path(test_config.get("INSTANCE_PATH") or os.environ.get("DRILLBOOK_INSTANCE_PATH"))
    app = Flask(__name__, instance_path=str(instance), instance_relative_config=True)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("DRILLBOOK")
    app.config.update(test_config)
    app.config["INSTANCE_PATH"] = str(instance)
    app.config.setdefault("DATABASE_URL", f"sqlite:///{instance / 'drillbook.sqlite'}")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance)
    _check_timezone(app.config["TIMEZONE"])
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["MAX_UPLOAD_MB"]) * 1024 * 1024
    if str(app.config.get("BASE_URL", "")).startswith("https://") and not _configured(
        "SESSION_COOKIE_SECURE", test_config
    ):
        app.config["SESSION_COOKIE_SECURE"] = True  # served over HTTPS: the cookie must never travel in clear
    if hops := int(app.config["PROXY_HOPS"]):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    vault = Vault(instance / "evidence")
    vault.ensure()
    vault.clean_leftovers()
    app.extensions["drillbook.vault"] = vault

    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["drillbook.engine"] = engine
    key_path = Path(app.config.get("SIGNING_KEY") or instance / "keys" / "instance-ed25519.pem")
    try:
        key = SigningKey.load_or_create(key_path)
    except SigningKeyError as exc:
        raise StartupError(str(exc)) from None
    app.extensions["drillbook.key"] = key
    app.extensions["drillbook.witness"] = Witness(instance / "audit-witness.log", key)
    app.extensions["drillbook.report_workers"] = ReportWorkers(engine, app.config)
    app.extensions["drillbook.outbox"] = OutboxSender(engine, app.config)
    attach(engine, app.extensions["drillbook.witness"])
    if app.config["CHECK_SCHEMA"]:
        try:
            require_current_schema(engine)
        except SchemaNotCurrent as exc:
            raise StartupError(str(exc)) from None

    try:
        oidc.init_app(app)
    except ValueError as exc:
        raise StartupError(str(exc)) from None
    _init_extensions(app)
    app.url_map.converters["id"] = RecordIdConverter
    _register_blueprints(app)
    return app


def _configured(key: str, test_config: dict) -> bool:
    """Whether `key` was set on purpose, rather than left at its default."""
    return key in test_config or f"DRILLBOOK_{key}" in os.environ


def _instance_path(configured: str | None) -> Path:
    """The instance folder, created private (0700) if missing; refuses one that cannot be written."""
    path = Path(configured) if configured else ROOT / "instance"
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise StartupError(
            f"Cannot create the instance folder {path}: {exc.strerror}. Set DRILLBOOK_INSTANCE_PATH to a writable folder."
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise StartupError(
            f"The instance folder {path} is not writable. Set DRILLBOOK_INSTANCE_PATH to a writable folder."
        )
    return path.resolve()


def _instance_secret(instance: Path) -> str:
    """The secret key kept in the instance folder, generated on first start with mode 0600.

    Written whole to a private temporary file and then hard-linked into place, so workers that
    start together never read a half-written key: the first link wins and everyone reads that one.
    """
    key_file = instance / "secret_key"
    if not key_file.exists():
        temporary = instance / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        try:
            os.link(temporary, key_file)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return key_file.read_text().strip()


def _check_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise StartupError(f"DRILLBOOK_TIMEZONE={name!r} is not a time zone name (try Europe/Brussels).") from None


def _init_extensions(app: Flask) -> None:
    from views import api
    from views.support import i18n, input_guard
    from views.support.access import enforce_access, send_to_sign_in
    from views.support.session import close_db, end_stale_session, load_user, start_session_clock

    login = LoginManager(app)
    login.login_view = "auth.login"
    login.unauthorized_handler(send_to_sign_in)
    login.user_loader(load_user)
    user_logged_in.connect(start_session_clock, app)
    app.teardown_appcontext(close_db)
    app.before_request(end_stale_session)
    app.before_request(enforce_access)  # reads no body: strangers are turned away before theirs is read
    input_guard.register_body_check(app)
    CSRFProtect(app).exempt(api.bp)  # the API takes bearer tokens, never cookies, so there is nothing to forge
    input_guard.register(app)
    i18n.register(app)


def _register_blueprints(app: Flask) -> None:
    from views import (
        account,
        actions,
        api,
        audit_trail,
        auth,
        cli,
        comments,
        controls,
        dashboard,
        drill_parts,
        drills,
        evidence,
        findings,
        frameworks,
        live,
        oscal,
        people,
        programme,
        reports,
        signoff,
        sso,
        systems,
        webhooks,
    )
    from views.api import openapi
    from views.support import collector, errors, headers, outbox
    from views.support.access import check_every_route_has_a_rule

    for module in (
        auth,
        sso,
        account,
        dashboard,
        drills,
        drill_parts,
        live,
        signoff,
        systems,
        findings,
        actions,
        controls,
        frameworks,
        evidence,
        reports,
        programme,
        oscal,
        audit_trail,
        people,
        webhooks,
        comments,
        api,
        openapi,
        cli,
    ):
        app.register_blueprint(module.bp)
    errors.register(app)
    register(app)
    headers.register(app)
    collector.register(app)
    outbox.register(app)
    check_every_route_has_a_rule(app)


def cli_app() -> Flask:
    """The app as the command line needs it: commands check the schema themselves."""
    return create_app({"CHECK_SCHEMA": False})


cli = FlaskGroup(
    name="drillbook",
    create_app=cli_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    help="Drillbook administration: migrations, users, demo data and the development server.",
)
# a command for auditors that must run without a database, an instance folder or an app
cli.add_command(verify_pdf)
# Flask's generic --app/--env-file/--debug make no sense for a tool that is one app.
cli.params = [p for p in cli.params if p.name not in {"app", "env_file", "debug"}]


def main() -> None:
    """The `drillbook` console script."""
    cli.main(prog_name="drillbook")


if __name__ == "__main__":
    sys.exit(main())

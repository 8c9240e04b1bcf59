"""Sending e-mail over SMTP as configured by DRILLBOOK_SMTP_* variables."""

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage


class MailError(Exception):
    """Mail cannot be sent: not configured, or the server refused; the message says which."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str
    password: str
    starttls: bool
    ssl: bool
    sender: str
    base_url: str


def smtp_settings(config) -> SmtpSettings:
    """The SMTP settings from the app config; a missing host is a clear error, not a silent no-op."""
    host = config.get("SMTP_HOST")
    if not host:
        raise MailError("Set DRILLBOOK_SMTP_HOST (and DRILLBOOK_SMTP_PORT, DRILLBOOK_SMTP_FROM) to send reminders.")
    use_ssl = bool(config.get("SMTP_SSL", False))
    return SmtpSettings(
        host=str(host),
        port=int(config.get("SMTP_PORT") or (465 if use_ssl else 25)),
        username=str(config.get("SMTP_USERNAME") or ""),
        password=str(config.get("SMTP_PASSWORD") or ""),
        starttls=bool(config.get("SMTP_STARTTLS", False)),
        ssl=use_ssl,
        sender=str(config.get("SMTP_FROM") or "drillbook@localhost"),
        base_url=str(config.get("BASE_URL") or f"http://{config['HOST']}:{config['PORT']}/"),
    )


def send_mail(settings: SmtpSettings, message: EmailMessage) -> None:
    """Deliver one message; errors surface to the caller so nothing is logged as sent that was not."""
    context = ssl.create_default_context()
    smtp_cls = smtplib.SMTP_SSL if settings.ssl else smtplib.SMTP
    kwargs = {"context": context} if settings.ssl else {}
    try:
        with smtp_cls(settings.host, settings.port, timeout=30, **kwargs) as smtp:
            if settings.starttls:
                smtp.starttls(context=context)
            if settings.username:
                smtp.login(settings.username, settings.password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"Could not send e-mail through {settings.host}:{settings.port}: {exc}") from None

"""Delivering the notification outbox: e-mail through the SMTP settings, webhooks as signed JSON POSTs.

Each web process runs one sender thread, woken after every request that wrote and every
DRILLBOOK_NOTIFY_POLL_SECONDS for retries; `drillbook notify` delivers once from the command line.
Rows are claimed in a short write and each outcome recorded in another, so no lock is held while a
mail server or a receiver answers.

A webhook's body carries `text` (what Slack's and Teams' incoming webhooks show) beside the facts;
the receiver checks `X-Drillbook-Signature: sha256=<HMAC-SHA256 of "<timestamp>.<body>">` with the
secret it was given, and refuses an `X-Drillbook-Timestamp` more than a few minutes old.
"""

import hashlib
import hmac
import ipaddress
import json
import logging
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from email.message import EmailMessage
from urllib.parse import urlsplit

from models.core.database import open_session
from models.core.types import utcnow
from models.notifications.outbox import claim_due, record_outcome
from models.notifications.tables import Notification, Webhook
from models.people.users import User
from views.support.mail import MailError, send_mail, smtp_settings

log = logging.getLogger(__name__)

#: how long a receiver may take to answer
WEBHOOK_TIMEOUT = 10


class UnsafeAddress(ValueError):
    """A webhook address that points inside this network, which only DRILLBOOK_WEBHOOK_ALLOW_PRIVATE permits."""


def check_webhook_url(url: str, allow_private: bool) -> None:
    """Refuse anything but http(s) to a public address, so a webhook cannot be aimed at internal services.

    Checked when an administrator registers it and again, after name resolution, before each call.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeAddress("A webhook address starts with https:// (or http://) and names a host.")
    if allow_private:
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except OSError:
        raise UnsafeAddress(f"{parts.hostname} cannot be resolved.") from None
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global:
            raise UnsafeAddress(f"{parts.hostname} resolves to {ip}, an address inside this network.")


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """What the receiver recomputes: HMAC-SHA256 over the timestamp, a dot and the body."""
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class OutboxSender:
    """One per process: delivers due notifications from a background thread, or at once when asked."""

    def __init__(self, engine, config: dict):
        self.engine, self.config = engine, config
        self._wake = threading.Event()
        self._pid = None

    def wake(self) -> None:
        """Deliver soon: rouse this process's thread, started if needed (after a fork too).

        With DRILLBOOK_NOTIFY_POLL_SECONDS=0 there is no lasting thread: each wake delivers once in a
        thread of its own, and retries wait for the next event or `drillbook notify`.
        """
        seconds = float(self.config.get("NOTIFY_POLL_SECONDS", 30))
        if seconds <= 0:
            threading.Thread(target=self._deliver_quietly, name="outbox-once", daemon=True).start()
            return
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._wake = threading.Event()
            threading.Thread(target=self._run, args=(seconds,), name="outbox-sender", daemon=True).start()
        self._wake.set()

    def _run(self, seconds: float) -> None:
        while True:
            self._wake.wait(timeout=seconds)
            self._wake.clear()
            self._deliver_quietly()

    def _deliver_quietly(self) -> None:
        try:
            self.deliver_due()
        except Exception as exc:  # one line, no traceback: see ReportWorkers on parsing in threads
            log.warning("could not deliver notifications: %s: %s", type(exc).__name__, str(exc)[:300])

    def deliver_due(self) -> int:
        """Send every due notification once; the number sent."""
        with open_session(self.engine, write=True) as session:
            due = claim_due(session, utcnow())
        sent = 0
        for notification in due:
            error = self._send(notification)
            with open_session(self.engine, write=True) as session:
                record_outcome(session, session.get(Notification, notification.id), error)
            sent += not error
        return sent

    def _send(self, notification: Notification) -> str:
        """Deliver one; the error in a sentence, or "" when it went."""
        with open_session(self.engine) as session:
            person = session.get(User, notification.user_id) if notification.user_id else None
            hook = session.get(Webhook, notification.webhook_id) if notification.webhook_id else None
        try:
            if person is not None:
                self._mail(person, notification)
            elif hook is not None and hook.active:
                self._post(hook, notification)
            return ""
        except (MailError, UnsafeAddress) as exc:
            return str(exc)
        except (OSError, urllib.error.URLError) as exc:
            return f"{type(exc).__name__}: {exc}"

    def _link(self, path: str) -> str:
        base = str(self.config.get("BASE_URL") or f"http://{self.config['HOST']}:{self.config['PORT']}/")
        return base.rstrip("/") + path

    def _mail(self, person: User, notification: Notification) -> None:
        settings = smtp_settings(self.config)
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = settings.sender, person.email, notification.subject
        message.set_content(
            f"{notification.text}\n\n{self._link(notification.path)}\n\n"
            f"You get this e-mail because of your role in Drillbook. To stop this kind of message, turn it off "
            f"under Notifications on your account page: {self._link('/account')}\n"
        )
        send_mail(settings, message)

    def _post(self, hook: Webhook, notification: Notification) -> None:
        check_webhook_url(hook.url, bool(self.config.get("WEBHOOK_ALLOW_PRIVATE")))
        body = json.dumps(
            {**json.loads(notification.payload), "url": self._link(notification.path), "id": notification.id},
            sort_keys=True,
        ).encode()
        stamp = str(int(time.time()))
        request = urllib.request.Request(
            hook.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "Drillbook-Webhook",
                "X-Drillbook-Event": notification.kind.value,
                "X-Drillbook-Timestamp": stamp,
                "X-Drillbook-Signature": signature(hook.secret, stamp, body),
            },
        )
        with _NO_REDIRECTS.open(request, timeout=WEBHOOK_TIMEOUT) as answer:
            if not 200 <= answer.status < 300:
                raise urllib.error.URLError(f"the receiver answered {answer.status}")


class _Refuse(urllib.request.HTTPRedirectHandler):
    """A receiver's redirect is not followed: it could lead the call to an address the check refused."""

    def redirect_request(self, *args, **kwargs):
        return None


_NO_REDIRECTS = urllib.request.build_opener(_Refuse)


def register(app) -> None:
    """Rouse the sender after a request that queued notifications (the domain marks its session)."""
    from flask import g

    @app.after_request
    def _deliver_what_the_request_queued(response):
        db = g.get("db")
        if db is not None and db.info.pop("notified", False):
            app.extensions["drillbook.outbox"].wake()
        return response

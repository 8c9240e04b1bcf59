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
import http.client
import ipaddress
import json
import logging
import os
import socket
import ssl
import threading
import time
from email.message import EmailMessage
from urllib.parse import urlsplit

from models.core.database import open_session
from models.core.types import utcnow
from models.notifications.outbox import claim_due, opted_out, record_outcome
from models.notifications.tables import Notification, Webhook
from models.people.users import User
from views.support.mail import MailError, send_mail, smtp_settings

log = logging.getLogger(__name__)

#: how long a receiver may take to answer
WEBHOOK_TIMEOUT = 10


class UnsafeAddress(ValueError):
    """A webhook address that points inside this network, which only DRILLBOOK_WEBHOOK_ALLOW_PRIVATE permits."""


#: NAT64's well-known prefix: 64:ff9b::a.b.c.d reaches the IPv4 address a.b.c.d
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _inside(ip) -> bool:
    """Whether an address is not a public unicast one, IPv4 addresses carried inside IPv6 ones included."""
    if ip.version == 6:
        for embedded in (ip.ipv4_mapped, ip.sixtofour, ip.teredo[1] if ip.teredo else None):
            if embedded is not None and _inside(embedded):
                return True
        if ip in _NAT64 or int(ip) < 2**32:  # NAT64, and the old IPv4-compatible ::a.b.c.d
            return _inside(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return not ip.is_global or ip.is_multicast


def resolve_webhook(url: str, allow_private: bool) -> tuple:
    """The parts of a webhook address and the one IP to call it at, or UnsafeAddress saying why not.

    Checked when an administrator registers it and before each call; the call then goes to exactly the
    address checked, so a name that resolves elsewhere the second time (DNS rebinding) gains nothing.
    """
    if any(c.isspace() or not c.isprintable() for c in url):
        raise UnsafeAddress("A webhook address has no spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeAddress("That is not a web address.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeAddress("A webhook address starts with https:// (or http://) and names a host.")
    try:
        found = [info[4][0] for info in socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)]
    except (OSError, UnicodeError):
        raise UnsafeAddress(f"{parts.hostname} cannot be resolved.") from None
    for address in found:
        if not allow_private and _inside(ipaddress.ip_address(address.split("%")[0])):
            raise UnsafeAddress(f"{parts.hostname} resolves to {address}, an address inside this network.")
    return parts, port, found[0]


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """What the receiver recomputes: HMAC-SHA256 over the timestamp, a dot and the body."""
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class OutboxSender:
    """One per process: delivers due notifications from a background thread, or at once when asked."""

    def __init__(self, engine, config: dict):
        self.engine, self.config = engine, config
        self._wake = threading.Event()
        self._pid = None
        self._once: list[threading.Thread] = []

    def drain(self, seconds: float = 30) -> None:
        """Wait for deliveries under way, before the database goes away (a test's teardown, a shutdown)."""
        for thread in self._once:
            thread.join(seconds)

    def wake(self) -> None:
        """Deliver soon: rouse this process's thread, started if needed (after a fork too).

        With DRILLBOOK_NOTIFY_POLL_SECONDS=0 there is no lasting thread: each wake delivers once in a
        thread of its own, and retries wait for the next event or `drillbook notify`.
        """
        seconds = float(self.config.get("NOTIFY_POLL_SECONDS", 30))
        if seconds <= 0:
            once = threading.Thread(target=self._deliver_quietly, name="outbox-once", daemon=True)
            self._once = [t for t in self._once if t.is_alive()] + [once]
            once.start()
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
        session = open_session(self.engine)
        person = session.get(User, notification.user_id) if notification.user_id else None
        hook = session.get(Webhook, notification.webhook_id) if notification.webhook_id else None
        try:
            if person is not None:
                if not person.active or notification.kind in opted_out(session, person):
                    return ""  # deactivated or turned off since it was queued: nothing goes out, nothing retried
                self._mail(person, notification)
            elif hook is not None and hook.active:
                self._post(hook, notification)
            return ""
        except (MailError, UnsafeAddress, WebhookRefused) as exc:
            return str(exc)
        except Exception as exc:  # whatever one message does, the others still go: it is retried, then failed
            return f"{type(exc).__name__}: {str(exc)[:300]}"
        finally:
            session.close()

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
        parts, port, address = resolve_webhook(hook.url, bool(self.config.get("WEBHOOK_ALLOW_PRIVATE")))
        facts = json.loads(notification.payload)
        facts["text"] = _chat_safe(facts.get("text", ""))
        body = json.dumps(
            {**facts, "url": self._link(notification.path), "id": notification.id}, sort_keys=True
        ).encode()
        stamp = str(int(time.time()))
        headers = {
            "Host": parts.netloc.rsplit("@", 1)[-1],
            "Content-Type": "application/json",
            "User-Agent": "Drillbook-Webhook",
            "X-Drillbook-Event": notification.kind.value,
            "X-Drillbook-Timestamp": stamp,
            "X-Drillbook-Signature": signature(hook.secret, stamp, body),
        }
        connection = _pinned(parts, port, address)
        try:
            connection.request("POST", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""), body, headers)
            status = connection.getresponse().status
        finally:
            connection.close()
        if not 200 <= status < 300:  # a redirect is not followed: it could lead where the check refused
            raise WebhookRefused(f"The receiver answered {status}.")


class WebhookRefused(Exception):
    """The receiver answered, but not with 2xx."""


def _chat_safe(text: str) -> str:
    """Text as Slack and Teams show it: &, < and > escaped, so a title cannot ping a channel or hide a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _pinned(parts, port: int, address: str) -> http.client.HTTPConnection:
    """A connection to exactly `address`, speaking TLS for the named host when the address is https."""
    if parts.scheme == "https":
        connection = _PinnedHTTPS(parts.hostname, port, timeout=WEBHOOK_TIMEOUT, context=ssl.create_default_context())
    else:
        connection = _PinnedHTTP(parts.hostname, port, timeout=WEBHOOK_TIMEOUT)
    connection.address = address
    return connection


class _PinnedHTTP(http.client.HTTPConnection):
    address = ""

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    address = ""

    def connect(self):
        raw = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)


def register(app) -> None:
    """Rouse the sender after a request that queued notifications (the domain marks its session)."""
    from flask import g

    @app.after_request
    def _deliver_what_the_request_queued(response):
        db = g.get("db")
        if db is not None and db.info.pop("notified", False):
            app.extensions["drillbook.outbox"].wake()
        return response

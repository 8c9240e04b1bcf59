"""Webhooks: administrators register receivers (chat channels, ticketing, a SIEM) for drill and action events."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlmodel import col, select

from models.notifications.tables import NotificationKind, Webhook
from models.notifications.webhooks import add_webhook, recent_deliveries, remove_webhook
from models.people.users import Role
from views.support.access import allow
from views.support.outbox import UnsafeAddress, resolve_webhook
from views.support.saving import get_or_404, save
from views.support.session import get_db

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


def _page(values: dict | None = None, errors: dict | None = None, secret: str = "", status: int = 200):
    db = get_db()
    return render_template(
        "webhooks/index.html",
        hooks=db.exec(select(Webhook).where(Webhook.active).order_by(col(Webhook.id))).all(),
        deliveries=recent_deliveries(db),
        kinds=list(NotificationKind),
        values=values or {},
        errors=errors or {},
        secret=secret,
    ), status


@bp.route("", methods=["GET", "POST"])
@allow(Role.ADMIN)
def index():
    """The webhooks, their latest calls, and a form to add one; a new webhook's secret is shown once."""
    if request.method == "GET":
        return _page()
    url, kinds = request.form.get("url", "")[:2100], request.form.getlist("kinds")[:20]
    try:
        resolve_webhook(url.strip(), bool(current_app.config.get("WEBHOOK_ALLOW_PRIVATE")))
    except UnsafeAddress as exc:
        return _page(request.form.to_dict(), {"url": str(exc)}, status=422)
    result = save(lambda: add_webhook(get_db(), url, kinds, request.form.get("description", "")[:300], current_user))
    if not result.ok:
        return _page(request.form.to_dict(), result.errors, status=422)
    return _page(secret=result.value.secret)


@bp.route("/<id:webhook_id>/remove", methods=["POST"])
@allow(Role.ADMIN)
def remove(webhook_id: int):
    """Stop calling a webhook."""
    hook = get_or_404(Webhook, webhook_id)
    save(lambda: remove_webhook(get_db(), hook, current_user))
    flash("Webhook removed; nothing more is sent to it.", "success")
    return redirect(url_for("webhooks.index"))

"""Follow-up actions: lists with filters, each action's page with its history, and the status transitions."""

import io
from datetime import timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from evidence.rendering.formatting import localtime, org_today
from models import permissions
from models.actions.inputs import ActionIn
from models.actions.queries import actions_query, load_action
from models.actions.tables import ActionKind, ActionStatus, Capability, Priority, Verification
from models.actions.workflow import (
    cancel_action,
    complete_action,
    save_action,
    start_action,
    verify_action,
)
from models.core import spreadsheet
from models.core.paging import page_of
from models.core.spreadsheet import neutralise
from models.core.types import utcnow
from models.drills.queries import list_drills
from models.drills.tables import Drill
from models.findings.queries import finding_choices
from models.findings.tables import Finding
from models.people.users import active_users
from models.permissions import EDITORS, READERS, action_moves
from views.support.access import allow
from views.support.forms import expected_version, form_values, parse_form, record_id
from views.support.paging import PER_PAGE, page_number, search_text
from views.support.saving import get_or_404, save, stale_page
from views.support.session import get_db, record_event
from views.support.spreadsheets import csv_separator

bp = Blueprint("actions", __name__, url_prefix="/actions")

STATUS_FILTERS = [("outstanding", "Outstanding"), ("", "All")] + [(s.value, s.label) for s in ActionStatus]
DUE_FILTERS = [("", "Any due date"), ("overdue", "Overdue"), ("7", "Due within 7 days"), ("30", "Due within 30 days")]


def _filters() -> dict:
    """The list's filters from the query string; anything unrecognised is ignored."""
    args = request.args
    status = args.get("status", "outstanding")
    owner = args.get("owner", "")
    return {
        "status": status if status in {v for v, _ in STATUS_FILTERS} else "outstanding",
        "owner": str(current_user.id) if owner == "me" else (owner if record_id(owner) else ""),
        "due": args.get("due", "") if args.get("due", "") in {v for v, _ in DUE_FILTERS} else "",
        "drill": args.get("drill", "") if record_id(args.get("drill")) else "",
        "control": args.get("control", "")[:16],
        "q": search_text(),
    }


def _matching(filters: dict):
    """The query for the actions the filters select."""
    today = org_today()
    due_by = {
        "overdue": today - timedelta(days=1),
        "7": today + timedelta(days=7),
        "30": today + timedelta(days=30),
    }.get(filters["due"])
    return actions_query(
        status=filters["status"] or None,
        owner_id=int(filters["owner"]) if filters["owner"] else None,
        drill_id=int(filters["drill"]) if filters["drill"] else None,
        control_code=filters["control"] or None,
        due_by=due_by,
        search=filters["q"],
    )


@bp.route("")
@allow(*READERS)
def index():
    """All actions, outstanding by default, searchable and filterable by owner, status, due date, drill and control, a page at a time."""
    filters = _filters()
    return render_template(
        "actions/index.html",
        actions=page_of(get_db(), _matching(filters), page_number(), PER_PAGE),
        filters=filters,
        status_filters=STATUS_FILTERS,
        due_filters=DUE_FILTERS,
        users=active_users(get_db()),
        drills=list_drills(get_db()),
        title="Follow-up actions",
        can_edit=permissions.may_record(current_user),
    )


@bp.route("/mine")
@allow(*READERS)
def mine():
    """The signed-in user's own actions."""
    return redirect(url_for("actions.index", owner="me", status=request.args.get("status", "outstanding")))


@bp.route("/export.csv")
@allow(*READERS)
def export_csv():
    """The filtered list as CSV that opens cleanly in a spreadsheet, formulas neutralised."""
    today = org_today()
    out = io.StringIO()
    writer = spreadsheet.writer(out, csv_separator())
    writer.writerow(
        [
            "id",
            "title",
            "status",
            "priority",
            "type",
            "capability",
            "owner",
            "team",
            "due date",
            "overdue",
            "days open",
            "drill",
            "finding",
            "controls",
            "created",
            "started",
            "completed",
            "verification",
            "checked on",
            "verified by",
        ]
    )
    for a in get_db().exec(_matching(_filters())).all():
        writer.writerow(
            [
                neutralise(v)
                for v in (
                    a.id,
                    a.title,
                    a.status.label,
                    a.priority.label,
                    a.kind.label,
                    a.capability.label if a.capability else "",
                    a.owner.name if a.owner else "",
                    a.team,
                    a.due_date or "",
                    "yes" if a.is_overdue(today) else "no",
                    a.days_open(today),
                    a.drill.title if a.drill else "",
                    a.finding.title if a.finding else "",
                    " ".join(c.code for c in a.controls),
                    localtime(a.created_at),
                    localtime(a.started_at) if a.started_at else "",
                    localtime(a.completed_at) if a.completed_at else "",
                    a.verification_result.label if a.verification_result else "",
                    a.effectiveness_checked_on or "",
                    a.verified_by.name if a.verified_by else "",
                )
            ]
        )
    record_event("export", entity_type="action", after={"format": "csv", "filters": _filters()})
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="actions-{today.isoformat()}.csv"'},
    )


def _action_or_404(action_id: int):
    action = load_action(get_db(), action_id)
    if action is None:
        abort(404)
    return action


@bp.route("/<id:action_id>")
@allow(*READERS)
def detail(action_id: int):
    """One action: what, who, when, its history of transitions, and the moves the user may make."""
    action = _action_or_404(action_id)
    return render_template(
        "actions/detail.html",
        action=action,
        moves=action_moves(current_user, action),
        values={},
        errors={},
        results=[(v.value, v.label) for v in Verification],
        can_edit=permissions.may_edit_action(current_user, action),
        can_upload=permissions.may_record(current_user),
    )


def _form(action, values, errors, status=200):
    db = get_db()
    return render_template(
        "actions/form.html",
        action=action,
        values=values,
        errors=errors,
        users=[(str(u.id), f"{u.name} ({u.email})") for u in active_users(db)],
        priorities=[(p.value, p.label) for p in Priority],
        kinds=[(k.value, k.label) for k in ActionKind],
        capabilities=[(c.value, c.label) for c in Capability],
        findings=[(str(i), title) for i, title in finding_choices(db)],
        drills=[(str(d.id), d.title) for d in list_drills(db)],
    ), status


@bp.route("/new", methods=["GET", "POST"])
@allow(*EDITORS)
def new():
    """Decide an action, from the finding or drill named in the query string, or on its own."""
    if request.method == "GET":
        finding = get_or_404(Finding, record_id(request.args.get("finding"))) if request.args.get("finding") else None
        drill = get_or_404(Drill, record_id(request.args.get("drill"))) if request.args.get("drill") else None
        values = {
            "priority": "medium",
            "kind": "corrective",
            "finding_id": str(finding.id) if finding else "",
            "drill_id": str((drill and drill.id) or (finding and finding.drill_id) or ""),
        }
        return _form(None, values, {})
    data, errors = parse_form(ActionIn, request.form)
    result = save(
        lambda: save_action(get_db(), data, current_user, control_codes=request.form.get("controls", "")[:2000]), errors
    )
    if not result.ok:
        return _form(None, request.form.to_dict(), result.errors, 422)
    flash("Action created.", "success")
    return redirect(url_for("actions.detail", action_id=result.value.id))


@bp.route("/<id:action_id>/edit", methods=["GET", "POST"])
@allow(*EDITORS)
def edit(action_id: int):
    """Change an action that is not closed."""
    action = _action_or_404(action_id)
    if request.method == "GET":
        values = {
            **form_values(action, ActionIn),
            "version": str(action.version),
            "controls": " ".join(c.code for c in sorted(action.controls, key=lambda c: c.sort_key)),
        }
        return _form(action, values, {})
    if (version := expected_version(request.form)) is None:
        abort(400)
    data, errors = parse_form(ActionIn, request.form, action)
    result = save(
        lambda: save_action(get_db(), data, current_user, action, version, request.form.get("controls", "")[:2000]),
        errors,
    )
    if result.stale:
        return stale_page(result.stale, url_for("actions.edit", action_id=action_id))
    if not result.ok:
        return _form(action, request.form.to_dict(), result.errors, 422)
    flash("Action saved.", "success")
    return redirect(url_for("actions.detail", action_id=action_id))


#: transition name -> (domain function, whether it takes form data, message)
MOVES = {
    "start": (start_action, False, "Action started."),
    "complete": (complete_action, True, "Action marked done; an approver can now check its effectiveness."),
    "verify": (verify_action, True, "Effectiveness check recorded."),
    "cancel": (cancel_action, True, "Action cancelled."),
}


@bp.route("/<id:action_id>/<move>", methods=["POST"])
@allow(*READERS)
def transition(action_id: int, move: str):
    """Move the action on; the domain decides who may (the owner, editors, or an approver who is not the owner)."""
    if move not in MOVES:
        abort(404)
    action = _action_or_404(action_id)
    fn, takes_data, message = MOVES[move]
    version = expected_version(request.form)
    if takes_data:
        data = request.form.to_dict()
        result = save(lambda: fn(get_db(), action, data, current_user, utcnow(), version))
    else:
        result = save(lambda: fn(get_db(), action, current_user, utcnow(), version))
    if not result.ok:
        action = _action_or_404(action_id)
        return render_template(
            "actions/detail.html",
            action=action,
            moves=action_moves(current_user, action),
            values=request.form.to_dict(),
            errors=result.errors,
            open_form=move,
            results=[(v.value, v.label) for v in Verification],
            can_edit=permissions.may_edit_action(current_user, action),
            can_upload=permissions.may_record(current_user),
        ), 422
    flash(message, "success")
    return redirect(url_for("actions.detail", action_id=action_id))

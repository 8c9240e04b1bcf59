"""Evidence: the register, uploads (form or streamed from the browser), downloads, and corrections as new versions."""

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import unquote

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload
from sqlmodel import select

from evidence.filetypes import download_name
from evidence.intake import store_evidence
from evidence.rendering.formatting import org_today
from evidence.vault import Incomplete, Received, TooLarge, read_chunks
from models import permissions
from models.actions.tables import Action
from models.controls.tables import Control
from models.core.errors import RecordError
from models.core.paging import page_of
from models.core.revisions import superseded_drills
from models.drills.tables import Drill
from models.evidence import Evidence, evidence_query
from models.findings.tables import Finding
from models.permissions import EDITORS, READERS
from views.support.access import allow
from views.support.errors import problem
from views.support.forms import record_id
from views.support.input_guard import BODY, receives_files
from views.support.paging import PER_PAGE, page_number, search_text
from views.support.saving import get_or_404
from views.support.session import auth_db, get_db

bp = Blueprint("evidence", __name__, url_prefix="/evidence")

#: a sandbox for anything a browser might still render from a download
DOWNLOAD_CSP = "sandbox; default-src 'none'; frame-ancestors 'none'"
META_FIELDS = ("description", "collected_on", "valid_until", "drill_id", "finding_id", "action_id")


def _vault():
    return current_app.extensions["drillbook.vault"]


def _limit() -> int:
    return current_app.config["MAX_CONTENT_LENGTH"]


def _meta(source) -> dict:
    """Evidence metadata from a form or query string; empty values mean "not given"."""
    return {name: source.get(name) or None for name in META_FIELDS if source.get(name)}


def _evidence_or_404(evidence_id: int) -> Evidence:
    record = (
        get_db()
        .exec(
            select(Evidence)
            .where(Evidence.id == evidence_id)
            .options(
                selectinload(Evidence.controls),
                selectinload(Evidence.drill),
                selectinload(Evidence.finding),
                selectinload(Evidence.action),
                selectinload(Evidence.uploaded_by),
            )
        )
        .first()
    )
    if record is None:
        abort(404)
    return record


@bp.route("")
@allow(*READERS)
def index():
    """Every evidence record (or one drill's, with ?drill=) with its hash, size, date and what it supports, a page at a time.

    ?q= finds records by file name, description or SHA-256.
    """
    drill = get_or_404(Drill, record_id(request.args.get("drill"))) if request.args.get("drill") else None
    filters = {"q": search_text(), "drill": str(drill.id) if drill else ""}
    query = evidence_query(drill.id if drill else None, filters["q"], superseded_drills(get_db()))
    items = page_of(get_db(), query, page_number(), PER_PAGE)
    return render_template(
        "evidence/index.html",
        items=items,
        drill=drill,
        filters=filters,
        can_upload=permissions.may_record(current_user),
    )


@bp.route("/<id:evidence_id>")
@allow(*READERS)
def detail(evidence_id: int):
    """One evidence record: its file, hash, links, verification, and its other versions."""
    record = _evidence_or_404(evidence_id)
    db = get_db()
    newer = db.exec(select(Evidence).where(Evidence.supersedes_id == record.id)).all()
    older = db.get(Evidence, record.supersedes_id) if record.supersedes_id else None
    return render_template(
        "evidence/detail.html", e=record, newer=newer, older=older, can_upload=permissions.may_record(current_user)
    )


@bp.route("/<id:evidence_id>/download")
@allow(*READERS)
def download(evidence_id: int):
    """The file as an attachment under its original name, unless that name would make it run; never rendered inline."""
    record = _evidence_or_404(evidence_id)
    path = _vault().path_for(record.sha256)
    if not path.is_file():
        abort(404, description="The stored file is missing. Run `drillbook verify` and restore it from a backup.")
    response = send_file(
        path,
        mimetype=record.media_type,
        as_attachment=True,
        download_name=download_name(record.original_name, record.media_type),
        etag=record.sha256,
        conditional=True,
        max_age=0,
    )
    response.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _upload_context(source) -> dict:
    """What the upload form is attached to, from ?drill= / ?finding= / ?action= / ?control=."""
    db = get_db()
    context = {"drill": None, "finding": None, "action": None, "controls": source.get("control", "")[:200]}
    for key, model in (("drill", Drill), ("finding", Finding), ("action", Action)):
        if source.get(key):
            context[key] = get_or_404(model, record_id(source.get(key)))
    if context["controls"] and db.exec(select(Control).where(Control.code == context["controls"])).first() is None:
        abort(404)
    return context


@contextmanager
def _intake(streams, expected_size: int | None = None) -> Iterator[list[Received]]:
    """The uploaded files, received into the vault's intake before the request opens its write transaction.

    413 over the limit, 400 when a body ends early. When the view ends, however it ends (a refusal,
    a person signed out meanwhile, an error), whatever it did not store is removed.
    """
    received: list[Received] = []
    try:
        for stream in streams:
            received.append(_vault().receive(read_chunks(stream), _limit(), expected_size))
        yield received
    except TooLarge:
        abort(413)
    except Incomplete:
        abort(400, description="The upload was cut off before it was complete; nothing was stored. Please try again.")
    finally:
        for content in received:
            _vault().discard(content)


@bp.route("/upload", methods=["GET", "POST"])
@allow(*EDITORS)
@receives_files
def upload():
    """Upload one or more files; all are kept or, if one is refused, none of them."""
    if request.method == "GET":
        return render_template(
            "evidence/upload.html",
            values={"collected_on": org_today().isoformat()},
            errors={},
            **_upload_context(request.args),
        )
    files = [f for f in request.files.getlist("files") if f and f.filename]
    meta, controls = _meta(request.form), request.form.get("controls", "")[:2000]
    errors = {} if files else {"file": "Choose at least one file."}
    stored = []
    with _intake(f.stream for f in files) as received:
        try:
            for item, content in zip(files, received, strict=True):
                stored.append(
                    store_evidence(get_db(), _vault(), content, item.filename, meta, current_user, _limit(), controls)
                )
        except RecordError as exc:
            errors = {k: (f"{files[len(stored)].filename}: {v}" if k == "file" else v) for k, v in exc.errors.items()}
    if errors:
        get_db().rollback()
        values = {**request.form.to_dict()}
        return render_template(
            "evidence/upload.html", values=values, errors=errors, **_upload_context(request.form)
        ), 422
    get_db().commit()
    flash(f"Stored {len(stored)} evidence file{'s' if len(stored) != 1 else ''}.", "success")
    return redirect(
        url_for("evidence.detail", evidence_id=stored[0].id) if len(stored) == 1 else url_for("evidence.index")
    )


def receive_body(name: str) -> Evidence:
    """Store the request body as one evidence file, metadata and controls from the query string.

    Streamed, so memory stays flat; RecordError for unacceptable content or metadata, 413 over
    the limit, 400 when the body ends early. Nothing is kept unless the caller commits.
    """
    with _intake([request.stream], request.content_length) as received:
        return store_evidence(
            get_db(),
            _vault(),
            received[0],
            unquote(name)[:1000],
            _meta(request.args),
            current_user,
            _limit(),
            request.args.get("controls", "")[:2000],
        )


@bp.route("/upload-raw", methods=["POST"])
@allow(*EDITORS)
@receives_files(kind=BODY)
def upload_raw():
    """One file streamed as the request body, metadata in the query string; what the drag-and-drop page sends."""
    try:
        record = receive_body(request.headers.get("X-Filename", ""))
    except RecordError as exc:
        get_db().rollback()
        return problem(422, " ".join(exc.errors.values()), "Evidence not accepted", errors=exc.errors)
    get_db().commit()
    return jsonify(
        id=record.id, sha256=record.sha256, size=record.size, url=url_for("evidence.detail", evidence_id=record.id)
    ), 201


@bp.route("/<id:evidence_id>/supersede", methods=["GET", "POST"])
@allow(*EDITORS)
@receives_files
def supersede(evidence_id: int):
    """Correct evidence with a new version; the old one stays, linked to its successor."""
    if request.method == "GET":
        old = _evidence_or_404(evidence_id)
        return render_template(
            "evidence/supersede.html",
            e=old,
            values={"collected_on": org_today().isoformat(), "description": old.description},
            errors={},
        )
    if auth_db().get(Evidence, evidence_id) is None:  # before receiving, and without the write lock
        abort(404)
    item = request.files.get("file")
    errors = {} if item and item.filename else {"file": "Choose the corrected file."}
    with _intake([item.stream] if not errors else []) as received:
        old = _evidence_or_404(evidence_id)
        if received:
            try:
                record = store_evidence(
                    get_db(),
                    _vault(),
                    received[0],
                    item.filename,
                    _meta(request.form),
                    current_user,
                    _limit(),
                    request.form.get("controls", "")[:2000],
                    supersedes=old,
                )
            except RecordError as exc:
                errors = exc.errors
    if errors:
        get_db().rollback()
        return render_template("evidence/supersede.html", e=old, values=request.form.to_dict(), errors=errors), 422
    get_db().commit()
    flash("New version stored; the earlier one is kept and marked as superseded.", "success")
    return redirect(url_for("evidence.detail", evidence_id=record.id))

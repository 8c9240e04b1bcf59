"""Issuing reports: assemble the data, render the template, make the PDF, store it, and register it."""

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app, render_template
from sqlmodel import Session

from evidence.filetypes import download_name
from evidence.rendering.formatting import org_zone
from evidence.reports.actions import actions_report
from evidence.reports.controls import controls_report
from evidence.reports.drill import drill_report
from evidence.reports.pdf import DRAFT_PAGES, EmbeddedFile, render_pdf
from evidence.reports.programme import programme_report
from evidence.reports.rows import manifest
from evidence.reports.signing import report_certificate, sign_pdf
from evidence.witness import current_checkpoint
from models import audit
from models.controls.coverage import Period
from models.core.types import utcnow
from models.reports import IssuedReport, ReportKind

#: the cover's handling instructions unless DRILLBOOK_REPORT_HANDLING says otherwise
HANDLING = (
    "{classification}. For the people who audit these records or follow up their actions; do not pass it on "
    "outside the organisation without the point of contact's agreement. The sealed PDF is the "
    "record: check a copy on Drillbook's verify page or with pdfsig before relying on it."
)

CSS_PATH = Path(__file__).resolve().parents[2] / "templates" / "reports" / "pdf" / "report.css"


def assemble(session: Session, kind: ReportKind, params: dict, issuer: str) -> dict:
    """The plain data a report of `kind` shows."""
    now, zone, org = utcnow(), org_zone(), current_app.config.get("ORGANISATION") or ""
    if kind == ReportKind.DRILL:
        return drill_report(session, int(params["drill_id"]), now, zone, org, issuer)
    if kind == ReportKind.CONTROLS:
        period = Period(date.fromisoformat(params["from"]), date.fromisoformat(params["to"]))  # JSON from the queue
        return controls_report(session, period, now, zone, org, issuer)
    if kind == ReportKind.PROGRAMME:
        return programme_report(session, int(params["year"]), now, zone, org, issuer)
    return actions_report(session, now, zone, org, issuer)


def _attachments(session: Session, data: dict) -> tuple[list[EmbeddedFile], list[dict]]:
    """The drill's evidence files to embed, within the size budget, and the manifest entries for every one."""
    budget = int(current_app.config.get("REPORT_ATTACHMENTS_MB", 25)) * 1024 * 1024
    vault = current_app.extensions["drillbook.vault"]
    files, entries, used = [], [], 0
    for item in data.get("evidence", []):
        embed = used + item["size"] <= budget and vault.path_for(item["sha256"]).is_file()
        # the name a viewer saves the attachment under: never one that would run, as for downloads
        name = f"{item['id']}-{download_name(item['name'], item['media_type'])}"
        if embed:
            with vault.open(item["sha256"]) as fh:
                files.append(
                    EmbeddedFile(
                        name,
                        fh.read(),
                        f"Evidence #{item['id']}, SHA-256 {item['sha256']}",
                        "Source",
                    )
                )
            used += item["size"]
        entries.append({**item, "embedded": embed, "attachment": name if embed else None})
    return files, entries


@dataclass(frozen=True)
class RenderedReport:
    """A signed PDF made from one consistent read of the records, not yet stored or registered."""

    kind: ReportKind
    params: dict
    data: dict
    pdf: bytes
    manifest_json: bytes


def render_report(session: Session, kind: ReportKind, params: dict, actor_label: str) -> RenderedReport:
    """Assemble, render and sign a report: reads only, so on SQLite it holds no write lock while WeasyPrint works."""
    data = assemble(session, kind, params, actor_label)
    certificate, key = report_certificate(), current_app.extensions["drillbook.key"]
    checkpoint = current_checkpoint(session, key)
    data["generated"].update(
        checkpoint=checkpoint.text() if checkpoint else "(empty trail)",
        instance_key=key.public.fingerprint,
        certificate=certificate.fingerprint,
    )
    files, entries = _attachments(session, data) if kind == ReportKind.DRILL else ([], [])
    classification = current_app.config.get("REPORT_CLASSIFICATION", "Confidential")
    html = render_template(
        f"reports/pdf/{kind.value}.html",
        r=data,
        classification=classification,
        handling=current_app.config.get("REPORT_HANDLING") or HANDLING.format(classification=classification),
        embedded_ids={e["id"] for e in entries if e["embedded"]},
    )
    manifest_json = manifest(data, entries)
    files.append(EmbeddedFile("manifest.json", manifest_json, "Records and file hashes this report covers"))
    pdf = sign_pdf(
        render_pdf(html, CSS_PATH.read_text() + (DRAFT_PAGES if data.get("draft") else ""), files).pdf,
        certificate,
        f"Issued by Drillbook for {actor_label}",
    )
    return RenderedReport(kind, params, data, pdf, manifest_json)


def register_report(session: Session, rendered: RenderedReport, actor_label: str, actor_id: int | None) -> IssuedReport:
    """Store a rendered PDF in the vault, register and audit it; a short write, the caller commits."""
    pdf, data = rendered.pdf, rendered.data
    vault = current_app.extensions["drillbook.vault"]
    vault.commit(vault.receive([pdf], len(pdf)))
    register = IssuedReport(
        sha256=hashlib.sha256(pdf).hexdigest(),
        kind=rendered.kind,
        title=f"{data['title']} — {data['subtitle']}",
        subject=data["subject"],
        drill_id=rendered.params.get("drill_id"),
        revision=data.get("revision"),
        signed_content_sha256=data.get("signed_content_sha256"),
        size=len(pdf),
        manifest_sha256=hashlib.sha256(rendered.manifest_json).hexdigest(),
        issued_by=actor_label,
        issued_by_id=actor_id,
    )
    session.add(register)
    session.flush()
    audit.record(
        session,
        "export",
        actor=actor_label,
        actor_id=actor_id,
        entity_type="issued_report",
        entity_id=register.id,
        after={"kind": rendered.kind.value, "sha256": register.sha256, "subject": register.subject},
    )
    return register


def issue_report(
    session: Session, kind: ReportKind, params: dict, actor_label: str, actor_id: int | None
) -> tuple[IssuedReport, bytes]:
    """Render and register in one session, for callers that hold one anyway; the caller commits."""
    rendered = render_report(session, kind, params, actor_label)
    return register_report(session, rendered, actor_label, actor_id), rendered.pdf

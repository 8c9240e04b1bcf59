"""Checking a report offline: its signature, the files embedded in it, and what it says it is.

Needs no database and no server: only the PDF and the organisation's certificate (given, or the
one embedded in the signature, whose fingerprint is then shown to compare with the published one).
"""

import hashlib
import io
import json
import logging
from dataclasses import dataclass, field

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from evidence.reports.signing import FIELD, certificate_from_pem

# a failed check is reported to whoever asked, not logged as pyHanko's tracebacks
for _name in ("pyhanko", "pyhanko_certvalidator"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)

#: the largest file checked: reports embed at most their attachment budget
MAX_PDF = 256 * 2**20


@dataclass
class PdfCheck:
    """What a check of one PDF found."""

    #: the signature holds, covers the whole file, and is the organisation's; every embedded file matches
    genuine: bool = False
    problems: list[str] = field(default_factory=list)
    #: what the report says it is: kind, title, subject, revision, draft or signed, signer, audit head
    facts: dict = field(default_factory=dict)
    #: SHA-256 of the certificate that made the signature
    signer_fingerprint: str = ""
    #: the bytes the signature covers: the file as issued, even inside a re-saved copy
    signed_revision: bytes = b""
    #: the signature no longer matches what it covers
    altered: bool = False
    #: the signature was made with the certificate checked against
    trusted: bool = False


def check_pdf(data: bytes, certificate_pem: bytes | None = None) -> PdfCheck:
    """Check `data` as a Drillbook report, against `certificate_pem` or else the certificate it carries."""
    result = PdfCheck()
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = [s for s in reader.embedded_signatures if s.field_name == FIELD]
    except Exception as exc:  # pyHanko raises many kinds for a damaged file; any of them means "not genuine"
        result.problems.append(f"This is not a readable PDF: {type(exc).__name__}.")
        return result
    if not signatures:
        result.problems.append("The PDF carries no Drillbook signature.")
        return result
    signature = signatures[0]
    signer_cert = signature.signer_cert
    result.signer_fingerprint = hashlib.sha256(signer_cert.dump()).hexdigest()
    trusted = certificate_from_pem(certificate_pem) if certificate_pem else signer_cert
    try:
        status = validate_pdf_signature(signature, ValidationContext(trust_roots=[trusted], allow_fetching=False))
    except ValueError as exc:
        result.problems.append(f"The signature cannot be checked: {exc}")
        return result
    start, length = signature.byte_range[2], signature.byte_range[3]
    result.signed_revision = data[: start + length]
    result.altered = not status.intact or not status.valid
    result.trusted = bool(status.trusted)
    if result.altered:
        result.problems.append("The document was altered after it was signed: the signature no longer matches.")
    if certificate_pem and not status.trusted:
        result.problems.append("The signature was not made with the organisation's certificate.")
    if not certificate_pem:
        result.problems.append(
            "Checked only against the certificate inside the file: anyone can make one. Compare its fingerprint "
            "with the organisation's, or give the organisation's certificate."
        )
    if status.coverage.name != "ENTIRE_FILE":
        result.problems.append(
            "Changes were added after signing (a re-saved or annotated copy); the signed revision is checked."
        )
    result.problems += _check_embedded(result.signed_revision, result.facts)
    result.genuine = not result.problems
    return result


def _check_embedded(signed: bytes, facts: dict) -> list[str]:
    """Compare every embedded evidence file with the manifest's hash; fill `facts` from the manifest."""
    try:
        return _compare_embedded(signed, facts)
    except Exception:  # a hostile or damaged manifest or attachment: never genuine, never a crash
        return ["The report's manifest or embedded files cannot be read."]


def _compare_embedded(signed: bytes, facts: dict) -> list[str]:
    files = _attachments(PdfFileReader(io.BytesIO(signed), strict=False))
    if "manifest.json" not in files:
        return ["The report's manifest is missing."]
    manifest = json.loads(files["manifest.json"])
    report = manifest.get("report", {})
    facts.update(
        {
            "kind": report.get("kind"),
            "title": report.get("title"),
            "subject": report.get("subject"),
            "revision": report.get("revision"),
            "state": "draft"
            if report.get("draft")
            else ("signed" if report.get("signed_content_sha256") else "not a signed record"),
            "signed_content_sha256": report.get("signed_content_sha256"),
            "signer": ", ".join(str(v) for v in (manifest.get("signer") or {}).values()) or None,
            "issued": manifest.get("generated", {}).get("at_utc"),
            "audit_head": manifest.get("generated", {}).get("checkpoint")
            or manifest.get("generated", {}).get("audit_head"),
            "manifest_sha256": hashlib.sha256(files["manifest.json"]).hexdigest(),
        }
    )
    problems = []
    for entry in manifest.get("evidence", []):
        if not entry.get("embedded"):
            continue
        content = files.get(entry["attachment"])
        if content is None:
            problems.append(f"The embedded file {entry['attachment']} is missing.")
        elif hashlib.sha256(content).hexdigest() != entry["sha256"]:
            problems.append(f"The embedded file {entry['attachment']} does not match its SHA-256 in the manifest.")
    return problems


def _attachments(reader: PdfFileReader) -> dict[str, bytes]:
    """The PDF's embedded files by name."""
    names = reader.root.get("/Names")
    tree = names.get("/EmbeddedFiles") if names is not None else None
    found: dict[str, bytes] = {}

    def walk(node):
        node = node.get_object()
        for kid in node.get("/Kids", []):
            walk(kid)
        pairs = node.get("/Names", [])
        for i in range(0, len(pairs) - 1, 2):
            spec = pairs[i + 1].get_object()
            found[str(pairs[i])] = spec["/EF"]["/F"].get_object().data

    if tree is not None:
        walk(tree)
    return found

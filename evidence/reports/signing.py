"""Digitally signed reports: every issued PDF carries a PAdES signature made with the organisation's certificate.

The certificate is either supplied as PKCS#12 (DRILLBOOK_PDF_CERTIFICATE, with
DRILLBOOK_PDF_CERTIFICATE_PASSWORD) or made once, self-signed, in the instance folder. Anyone
holding a report and that certificate can check it without Drillbook's server or database:
poppler's `pdfsig`, Adobe Reader, or `drillbook verify-pdf`.
"""

import fcntl
import hashlib
import io
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask import current_app
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers

#: the signature field every issued report carries
FIELD = "DrillbookReportSignature"


class CertificateError(Exception):
    """The organisation's certificate cannot be read or made; the message says which file and why."""


@dataclass
class OrganisationCertificate:
    """The certificate reports are signed with, and its private key."""

    signer: signers.SimpleSigner
    pem: bytes

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the certificate (DER), as `openssl x509 -fingerprint -sha256` prints it, without colons."""
        der = x509.load_pem_x509_certificate(self.pem).public_bytes(serialization.Encoding.DER)
        return hashlib.sha256(der).hexdigest()

    @classmethod
    def load(cls, pkcs12: str | None, password: str | None, folder: Path, name: str) -> "OrganisationCertificate":
        """The configured PKCS#12 certificate, or the instance's own self-signed one (made on first use)."""
        if pkcs12:
            try:
                signer = signers.SimpleSigner.load_pkcs12(pkcs12, passphrase=(password or "").encode() or None)
            except (OSError, ValueError) as exc:
                raise CertificateError(f"Cannot read the PDF signing certificate {pkcs12}: {exc}") from None
            if signer is None:
                raise CertificateError(f"Cannot read the PDF signing certificate {pkcs12}: wrong password or format.")
            return cls(signer, _pem(signer.signing_cert.dump()))
        key_path, cert_path = folder / "report-signing-key.pem", folder / "report-signing-cert.pem"
        try:
            if not cert_path.exists():
                folder.mkdir(mode=0o700, parents=True, exist_ok=True)
                with open(folder / ".report-signing.lock", "w") as lock:
                    fcntl.flock(lock, fcntl.LOCK_EX)  # two workers' first reports must not each make half a pair
                    if not cert_path.exists():
                        _make_self_signed(key_path, cert_path, name)
            signer = signers.SimpleSigner.load(str(key_path), str(cert_path))
        except OSError as exc:
            raise CertificateError(f"Cannot read or make the PDF signing certificate in {folder}: {exc}") from None
        return cls(signer, cert_path.read_bytes())


def _pem(der: bytes) -> bytes:
    return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)


def _make_self_signed(key_path: Path, cert_path: Path, name: str) -> None:
    """An ECDSA P-256 key and a ten-year certificate for signing reports, written 0600 and 0644."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{name} (Drillbook report signing)"[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name[:64]),
        ]
    )
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key_path.touch(mode=0o600, exist_ok=True)
    key_path.write_bytes(pem_key)
    partial = cert_path.with_name(cert_path.name + ".part")
    partial.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    os.replace(partial, cert_path)  # last and whole: a certificate on disk always has its key beside it


def sign_pdf(pdf: bytes, certificate: OrganisationCertificate, reason: str) -> bytes:
    """`pdf` with an invisible PAdES B-B signature over the whole document, added as an incremental update."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES, reason=reason
    )
    return signers.sign_pdf(writer, meta, signer=certificate.signer).getvalue()


def certificate_from_pem(pem: bytes) -> asn1_x509.Certificate:
    """A PEM or DER certificate in the form pyHanko's validation takes."""
    der = asn1_pem.unarmor(pem)[2] if asn1_pem.detect(pem) else pem
    return asn1_x509.Certificate.load(der)


def report_certificate() -> OrganisationCertificate:
    """The organisation's certificate, read (or made) on the first report this process issues."""
    if "drillbook.certificate" not in current_app.extensions:
        config = current_app.config
        current_app.extensions["drillbook.certificate"] = OrganisationCertificate.load(
            config.get("PDF_CERTIFICATE"),
            config.get("PDF_CERTIFICATE_PASSWORD"),
            Path(config["INSTANCE_PATH"]) / "keys",
            config.get("ORGANISATION") or "Drillbook",
        )
    return current_app.extensions["drillbook.certificate"]

"""The instance signing key: an Ed25519 key kept outside the database, which signs audit heads and backups.

Someone who can write to the database cannot sign with it, so a rewritten or shortened audit
trail no longer matches the heads the key signed. The key lives in the instance folder
(`keys/instance-ed25519.pem`, mode 0600) unless DRILLBOOK_SIGNING_KEY names another path;
keep a copy of it, or at least of its fingerprint, away from the server. Rotating it: see README.
"""

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


class SigningKeyError(Exception):
    """The signing key cannot be read or made; the message says where and why."""


@dataclass(frozen=True)
class PublicKey:
    """The public half of an instance key: enough to check what the instance signed."""

    raw: bytes

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the raw public key, hex: what an auditor notes down and compares."""
        return hashlib.sha256(self.raw).hexdigest()

    def text(self) -> str:
        """The key as one line of base64, for manifests and PDFs."""
        return base64.b64encode(self.raw).decode("ascii")

    @classmethod
    def from_text(cls, text: str) -> "PublicKey":
        """A key written by `text`; ValueError when it is not one."""
        raw = base64.b64decode(text.encode("ascii"), validate=True)
        if len(raw) != 32:
            raise ValueError("an Ed25519 public key is 32 bytes")
        return cls(raw)

    def verifies(self, signature: bytes, data: bytes) -> bool:
        """Whether `signature` over `data` was made with the matching private key."""
        try:
            Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, data)
        except (InvalidSignature, ValueError):
            return False
        return True


class SigningKey:
    """The private instance key; signs short messages (audit heads, manifests)."""

    def __init__(self, private: Ed25519PrivateKey):
        self._private = private
        self.public = PublicKey(
            private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        )

    def sign(self, data: bytes) -> bytes:
        """An Ed25519 signature over `data`."""
        return self._private.sign(data)

    @classmethod
    def load_or_create(cls, path: Path) -> "SigningKey":
        """The key at `path`, made there (0600, in a 0700 folder) on first use."""
        try:
            if path.exists():
                private = serialization.load_pem_private_key(path.read_bytes(), password=None)
                if not isinstance(private, Ed25519PrivateKey):
                    raise SigningKeyError(f"{path} does not hold an Ed25519 private key.")
                return cls(private)
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            private = Ed25519PrivateKey.generate()
            pem = private.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            _write_private(path, pem)
            return cls(serialization.load_pem_private_key(path.read_bytes(), password=None))
        except OSError as exc:
            raise SigningKeyError(f"Cannot read or create the signing key {path}: {exc.strerror or exc}") from None
        except ValueError as exc:
            raise SigningKeyError(f"{path} is not a readable private key: {exc}") from None


def _write_private(path: Path, data: bytes) -> None:
    """Create `path` with `data`, readable by its owner only; a key already there (another worker's) wins."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as out:
        out.write(data)

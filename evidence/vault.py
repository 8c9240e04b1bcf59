"""The content-addressed file vault: every file stored once under its SHA-256, written whole or not at all.

Bytes arrive as a stream of chunks, are hashed while they are written to a temporary file
beside the store, and the file is renamed into place only when complete, so a cut-off upload
leaves nothing behind and a reader never sees half a file.
"""

import hashlib
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024
#: how much of the start of a file is kept to recognise its type
HEAD = 64 * 1024
#: temporary files older than this are leftovers of a crash, safe to remove at start
STALE_AFTER_SECONDS = 3600


class TooLarge(ValueError):
    """The stream went past the size limit."""


class Incomplete(ValueError):
    """The stream ended before the announced length: the upload was cut off."""


@dataclass
class Received:
    """A file written to a temporary path and hashed, not yet in the store."""

    temp_path: Path
    sha256: str
    size: int
    head: bytes
    #: committed or discarded: its temporary name is no longer this file's, and may be another upload's
    settled: bool = False


class Vault:
    """Files under `root`/objects/ab/cd/<sha256>, temporary files under `root`/tmp."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.objects = self.root / "objects"
        self.tmp = self.root / "tmp"

    def ensure(self) -> None:
        """Create the folders, private to this user."""
        for folder in (self.root, self.objects, self.tmp):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)

    def path_for(self, sha256: str) -> Path:
        """Where the file with this hash lives; the hash is checked so no other path can be built."""
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.objects / sha256[:2] / sha256[2:4] / sha256

    def receive(self, chunks: Iterable[bytes], limit: int, expected_size: int | None = None) -> Received:
        """Write `chunks` to a temporary file while hashing; remove it and raise on any failure.

        With `expected_size` (the request's Content-Length), a stream that ends early is refused:
        some servers hand the application a connection that simply stops when the client goes away.
        """
        self.ensure()
        fd, name = _mkstemp(self.tmp)
        digest, size, head = hashlib.sha256(), 0, bytearray()
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        raise TooLarge(f"larger than {limit} bytes")
                    digest.update(chunk)
                    if len(head) < HEAD:
                        head += chunk[: HEAD - len(head)]
                    out.write(chunk)
                if expected_size is not None and size != expected_size:
                    raise Incomplete(f"received {size} of {expected_size} bytes")
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
        return Received(Path(name), digest.hexdigest(), size, bytes(head))

    def commit(self, received: Received) -> Path:
        """Move a received file into the store; identical content already there is kept and the copy dropped."""
        target = self.path_for(received.sha256)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if target.exists():
            received.temp_path.unlink(missing_ok=True)
        else:
            os.chmod(received.temp_path, 0o400)
            os.replace(received.temp_path, target)
        received.settled = True
        return target

    def discard(self, received: Received) -> None:
        """Drop a received file that will not be kept; one already committed or dropped is left alone."""
        if not received.settled:
            received.temp_path.unlink(missing_ok=True)
            received.settled = True

    def open(self, sha256: str) -> BinaryIO:
        """The stored file for reading."""
        return open(self.path_for(sha256), "rb")

    def rehash(self, sha256: str) -> str | None:
        """The SHA-256 of the stored bytes now, or None when the file is missing."""
        try:
            with self.open(sha256) as fh:
                return hashlib.file_digest(fh, "sha256").hexdigest()
        except FileNotFoundError:
            return None

    def clean_leftovers(self, older_than: float = STALE_AFTER_SECONDS) -> int:
        """Remove temporary files a crash or a cut-off upload left behind; returns how many."""
        if not self.tmp.is_dir():
            return 0
        cutoff, removed = time.time() - older_than, 0
        for leftover in self.tmp.iterdir():
            try:
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed


def _mkstemp(folder: Path) -> tuple[int, str]:
    return tempfile.mkstemp(dir=folder, prefix="upload-", suffix=".part")


def read_chunks(stream: BinaryIO, size: int = CHUNK) -> Iterator[bytes]:
    """A binary stream as chunks, never the whole thing at once."""
    while True:
        chunk = stream.read(size)
        if not chunk:
            return
        yield chunk

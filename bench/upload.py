"""Evidence ingest: a 1 GB file streamed to a running server, against `sha256sum` reading the same file.

Prints one table: median seconds and MB/s of each over the runs, their ratio (target: at
least 0.7 of sha256sum's throughput), and the server's peak resident memory while uploading
(target: under 150 MB), beside its resident memory when idle before the first upload.
Usage: .venv/bin/python bench/upload.py [--size-mb 1024] [--runs 3]
"""

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server import RssSampler, Session, rss_mb, running_server  # noqa: E402


def make_file(path: Path, size_mb: int) -> str:
    """A PDF-headed file of incompressible bytes, as the content check sees a PDF; returns its SHA-256."""
    block = os.urandom(1024 * 1024)
    digest = hashlib.sha256(b"%PDF-1.7\n")
    with open(path, "wb") as out:
        out.write(b"%PDF-1.7\n")
        for i in range(size_mb):
            chunk = i.to_bytes(8, "big") + block[8:]
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def time_sha256sum(path: Path) -> float:
    start = time.perf_counter()
    subprocess.run(["sha256sum", str(path)], check=True, capture_output=True)
    return time.perf_counter() - start


def time_upload(session: Session, path: Path, expected: str) -> float:
    size = path.stat().st_size
    with open(path, "rb") as body:
        start = time.perf_counter()
        status, data = session.request(
            "POST",
            "/evidence/upload-raw?description=benchmark",
            body,
            {
                "X-CSRFToken": session.csrf,
                "X-Filename": "bench.pdf",
                "Content-Type": "application/octet-stream",
                "Content-Length": str(size),
                "Accept": "application/json",
            },
        )
        elapsed = time.perf_counter() - start
    result = json.loads(data)
    if status != 201 or result.get("sha256") != expected:
        raise SystemExit(f"upload failed: {status} {data[:300]!r}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="drillbook-upload-") as folder:
        path = Path(folder) / "evidence.pdf"
        expected = make_file(path, args.size_mb)
        size_mb = path.stat().st_size / 1e6
        sums = [time_sha256sum(path) for _ in range(args.runs)]
        with running_server() as (port, pid):
            session = Session(port)
            idle = rss_mb(pid)
            with RssSampler(pid) as sampler:
                uploads = [time_upload(session, path, expected) for _ in range(args.runs)]
            peak = sampler.peak
    s, u = statistics.median(sums), statistics.median(uploads)
    print(f"Evidence ingest, {size_mb:,.0f} MB, median of {args.runs} runs, {os.cpu_count()} cores")
    print(f"{'what':<28}{'seconds':>10}{'MB/s':>10}")
    print(f"{'sha256sum (read + hash)':<28}{s:>10.2f}{size_mb / s:>10.0f}")
    print(f"{'upload (HTTP, hash, write)':<28}{u:>10.2f}{size_mb / u:>10.0f}")
    print(f"{'throughput ratio':<28}{s / u:>20.2f}   target >= 0.70")
    print(f"{'server RSS idle (MB)':<28}{idle:>20.0f}")
    print(f"{'server RSS peak, upload (MB)':<28}{peak:>20.0f}   target < 150")


if __name__ == "__main__":
    main()

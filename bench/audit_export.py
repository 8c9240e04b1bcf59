"""One audit-trail CSV export in a process of its own, so its memory is its own: prints seconds, bytes and peak RSS growth.

Used by bench/scale.py: python bench/audit_export.py DATABASE_URL INSTANCE_FOLDER
"""

import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from bench.server import PASSWORD  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    url, folder = sys.argv[1:3]
    app = create_app({"INSTANCE_PATH": folder, "DATABASE_URL": url, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.post("/login", data={"email": "person4@bench.example", "password": PASSWORD}).status_code == 302
    client.get("/audit")  # everything a request needs is loaded before the baseline is taken
    before = peak_mb()
    start = time.perf_counter()
    response = client.get("/audit/export.csv")
    size = sum(len(chunk) for chunk in response.response)
    seconds = time.perf_counter() - start
    assert response.status_code == 200
    print(json.dumps({"seconds": seconds, "bytes": size, "peak_growth_mb": peak_mb() - before}))


if __name__ == "__main__":
    main()

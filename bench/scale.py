"""Drillbook at scale, on SQLite and (when a server is given) PostgreSQL: one table of medians.

The data set is bench/scale_data.py's: 200 drills, 20,000 steps, 5,000 findings, 10,000 actions,
50,000 evidence records, 500,000 audit entries. Measured per engine:
- server time of the dashboard, drill list, drill detail, actions list and control page, in
  process (the WSGI call, no network), median of --runs after warming up; target under 25 ms;
- queries per page on that data set and on one twenty times smaller (they must not grow);
- audit-chain verification speed; target at least 100,000 entries a second;
- throughput of gunicorn (2 workers) serving the drill list under 8 concurrent clients, as a
  ratio to a bare Flask route on the same server;
- the after-action report of the largest drill, rendered by `drillbook report drill` (wall time);
- the whole audit trail exported as CSV, in a process of its own: time, size and peak memory growth.
Plus once: evidence ingest of a 256 MB file over HTTP against sha256sum.
Usage: tests/with-postgres.sh .venv/bin/python bench/scale.py   (or without the wrapper: SQLite only)
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from scale_data import SIZES, build  # noqa: E402
from server import PASSWORD, Session, free_port  # noqa: E402

from app import create_app  # noqa: E402
from models.audit import first_broken
from models.core.database import open_session
from models.core.schema import upgrade
from models.people.users import password_hasher

SMALL = {name: max(1, n // 20) for name, n in SIZES.items()}


def database(engine_name: str, folder: Path, label: str) -> str:
    """A new, empty database URL for one data set."""
    if engine_name == "sqlite":
        return f"sqlite:///{folder / f'{label}.sqlite'}"
    server = os.environ["DRILLBOOK_TEST_DATABASE_URL"]
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS bench_{label}")
        conn.exec_driver_sql(f"CREATE DATABASE bench_{label}")
    admin.dispose()
    return server.rsplit("/", 1)[0] + f"/bench_{label}"


def instance(url: str, folder: Path, sizes: dict):
    """A migrated instance holding the data set; returns the app, the data set and the build time."""
    upgrade(url)
    app = create_app({"INSTANCE_PATH": str(folder), "DATABASE_URL": url, "WTF_CSRF_ENABLED": False})
    started = time.perf_counter()
    with open_session(app.extensions["drillbook.engine"], write=True) as session:
        data = build(session, app.extensions["drillbook.vault"], password_hasher.hash(PASSWORD), sizes)
        session.commit()
    return app, data, time.perf_counter() - started


def pages(data) -> dict[str, str]:
    return {
        "dashboard": "/",
        "drill list": "/drills",
        "drill detail": f"/drills/{data.drill_id}",
        "actions list": "/actions",
        "control page": f"/controls/{data.control_code}",
    }


def measure_pages(app, data, runs: int) -> dict[str, tuple[float, int]]:
    """Median milliseconds and queries per page, signed in as an auditor."""
    counter = [0]
    event.listen(
        app.extensions["drillbook.engine"], "before_cursor_execute", lambda *_: counter.__setitem__(0, counter[0] + 1)
    )
    client = app.test_client()
    response = client.post("/login", data={"email": "person4@bench.example", "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    result = {}
    for name, url in pages(data).items():
        times = []
        for i in range(runs + 3):
            counter[0] = 0
            start = time.perf_counter()
            response = client.get(url)
            if i >= 3:
                times.append(time.perf_counter() - start)
            assert response.status_code == 200, (url, response.status_code)
        result[name] = (statistics.median(times) * 1000, counter[0])
    return result


def chain_rate(app, runs: int) -> float:
    """Audit entries verified per second, median of `runs`."""
    rates = []
    for _ in range(runs):
        with open_session(app.extensions["drillbook.engine"]) as session:
            start = time.perf_counter()
            assert first_broken(session) is None
            rates.append(SIZES["audit"] / (time.perf_counter() - start))
    return statistics.median(rates)


def _hammer(port: int, path: str, cookie: str, seconds: float, clients: int = 8) -> float:
    """Requests per second that `clients` keep-alive connections get for `path`."""
    done, stop = [0] * clients, time.perf_counter() + seconds

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.perf_counter() < stop:
            conn.request("GET", path, headers={"Cookie": cookie})
            response = conn.getresponse()
            response.read()
            assert response.status == 200, (path, response.status)
            done[i] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.perf_counter() - start)


def throughput(url: str, folder: Path, seconds: float) -> tuple[float, float]:
    """(drill list, bare route) requests per second from gunicorn with 2 workers."""
    port = free_port()
    env = {
        **os.environ,
        "DRILLBOOK_INSTANCE_PATH": str(folder),
        "DRILLBOOK_DATABASE_URL": url,
        "PYTHONPATH": str(ROOT / "bench"),
    }
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "bare_route:app",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(200):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/bench-bare")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        cookie = Session(port, "person4@bench.example").cookie
        page = _hammer(port, "/drills", cookie, seconds)
        bare = _hammer(port, "/bench-bare", cookie, seconds)
        return page, bare
    finally:
        server.terminate()
        server.wait(timeout=20)


def report_seconds(url: str, folder: Path, drill_id: int) -> float:
    """Wall time of `drillbook report drill` for the largest drill, process start included."""
    env = {**os.environ, "DRILLBOOK_INSTANCE_PATH": str(folder), "DRILLBOOK_DATABASE_URL": url}
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import app; app.main()",
            "report",
            "drill",
            str(drill_id),
            "-o",
            str(folder / "drill.pdf"),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def audit_export(url: str, folder: Path) -> dict:
    """The whole audit trail as CSV, from bench/audit_export.py in a fresh process: seconds, bytes, peak RSS growth."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "audit_export.py"), url, str(folder)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout)


def ingest(size_mb: int) -> tuple[float, float]:
    """(sha256sum, HTTP upload) seconds for one file, from bench/upload.py."""
    from server import running_server
    from upload import make_file, time_sha256sum, time_upload

    with tempfile.TemporaryDirectory(prefix="drillbook-ingest-") as folder:
        path = Path(folder) / "evidence.pdf"
        expected = make_file(path, size_mb)
        sums = statistics.median(time_sha256sum(path) for _ in range(3))
        with running_server() as (port, _):
            session = Session(port)
            uploads = statistics.median(time_upload(session, path, expected) for _ in range(3))
    return sums, uploads


def run_engine(engine_name: str, runs: int, seconds: float) -> dict:
    """Every per-engine figure."""
    with tempfile.TemporaryDirectory(prefix=f"drillbook-scale-{engine_name}-") as folder:
        folder = Path(folder)
        small_app, small, _ = instance(database(engine_name, folder, "small"), folder / "small", SMALL)
        small_pages = measure_pages(small_app, small, 3)
        small_app.extensions["drillbook.engine"].dispose()
        url = database(engine_name, folder, "large")
        app, data, built = instance(url, folder / "large", SIZES)
        figures = {
            "build": built,
            "pages": measure_pages(app, data, runs),
            "small": small_pages,
            "chain": chain_rate(app, 3),
        }
        app.extensions["drillbook.engine"].dispose()
        figures["page_rps"], figures["bare_rps"] = throughput(url, folder / "large", seconds)
        figures["report"] = report_seconds(url, folder / "large", data.drill_id)
        figures["export"] = audit_export(url, folder / "large")
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each throughput run")
    parser.add_argument("--ingest-mb", type=int, default=256)
    args = parser.parse_args()
    engines = ["sqlite"] + (["postgresql"] if os.environ.get("DRILLBOOK_TEST_DATABASE_URL") else [])
    results = {name: run_engine(name, args.runs, args.seconds) for name in engines}
    sums, uploads = ingest(args.ingest_mb)

    def row(label: str, values: list[str], target: str = "") -> None:
        print(f"{label:<34}" + "".join(f"{v:>14}" for v in values) + f"   {target}")

    print(
        f"Drillbook at scale: {SIZES['drills']} drills, {SIZES['steps']:,} steps, {SIZES['findings']:,} findings, {SIZES['actions']:,} actions, "
        f"{SIZES['evidence']:,} evidence, {SIZES['audit']:,} audit entries; {os.cpu_count()} cores; medians"
    )
    row("", engines)
    row("data set built (s)", [f"{r['build']:.0f}" for r in results.values()])
    for name in pages_names():
        row(f"{name} (ms)", [f"{r['pages'][name][0]:.1f}" for r in results.values()], "target < 25")
    for name in pages_names():
        row(
            f"{name} queries, 1/20 data / full",
            [f"{r['small'][name][1]} / {r['pages'][name][1]}" for r in results.values()],
            "must not grow",
        )
    row("audit chain verified (entries/s)", [f"{r['chain']:,.0f}" for r in results.values()], "target >= 100,000")
    row("gunicorn drill list (req/s)", [f"{r['page_rps']:.0f}" for r in results.values()])
    row("gunicorn bare route (req/s)", [f"{r['bare_rps']:.0f}" for r in results.values()])
    row("drill list / bare route", [f"{r['page_rps'] / r['bare_rps']:.2f}" for r in results.values()])
    row("drill report PDF, CLI wall (s)", [f"{r['report']:.1f}" for r in results.values()])
    row("audit trail CSV export (s)", [f"{r['export']['seconds']:.1f}" for r in results.values()])
    row("audit trail CSV export (MB)", [f"{r['export']['bytes'] / 1e6:.0f}" for r in results.values()])
    row(
        "  its peak memory growth (MB)",
        [f"{r['export']['peak_growth_mb']:.0f}" for r in results.values()],
        "streamed: flat",
    )
    size = args.ingest_mb * 1.048576
    row(f"ingest {args.ingest_mb} MiB: sha256sum (MB/s)", [f"{size / sums:.0f}"])
    row(f"ingest {args.ingest_mb} MiB: upload (MB/s)", [f"{size / uploads:.0f}"])
    row("upload / sha256sum", [f"{sums / uploads:.2f}"], "target >= 0.70")


def pages_names() -> list[str]:
    return ["dashboard", "drill list", "drill detail", "actions list", "control page"]


if __name__ == "__main__":
    main()

"""Drillbook under load: gunicorn with 4 workers, 50 signed-in people at once, on the scale data set.

Per engine (SQLite, and PostgreSQL when tests/with-postgres.sh gives one):
1. the scale data set is built (bench/scale_data.py) and gunicorn started on it, 4 workers;
2. locust runs 50 people for --seconds over a realistic mix: the dashboard, lists, a drill page, the live
   cockpit and its taps, evidence uploads and report requests, each person pausing 1 to 3 s between
   clicks; then p50 and p95 per page from every request's own time, and the number of errors;
3. every server process's memory is read after a warm-up and again after the run: it must stay flat;
4. 20 people ask for a drill report at once; the largest memory of any process, render processes
   included, is sampled until the queue has drained.
Targets: 0 errors; p50 < 25 ms and p95 < 100 ms for pages; no process above 400 MiB.
Usage: tests/with-postgres.sh .venv/bin/python bench/load.py   (or without the wrapper: SQLite only)
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
import psutil  # noqa: E402
import requests  # noqa: E402
from locust import FastHttpUser, between, events, task  # noqa: E402
from locust.env import Environment  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from scale import PASSWORD, database, instance  # noqa: E402
from scale_data import SIZES  # noqa: E402
from server import free_port  # noqa: E402
from sqlmodel import select  # noqa: E402

from models.core.database import open_session  # noqa: E402
from models.drills.tables import Drill, DrillStatus, Step  # noqa: E402

#: accounts of the data set by role (person<i>@bench.example has role list(Role)[i % 4])
EDITORS = [f"person{i}@bench.example" for i in range(1, 21) if i % 4 in (0, 1)]  # administrators and editors
READERS = [f"person{i}@bench.example" for i in range(1, 21) if i % 4 in (2, 3)]  # approvers and auditors
PAGES = (
    "dashboard",
    "drill list",
    "drill page",
    "cockpit",
    "actions list",
    "findings list",
    "evidence list",
    "control page",
)
WRITES = ("cockpit tap", "upload", "report request")
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
MiB = 2**20


class Fixture:
    """What the simulated people click on: set once per engine before locust starts."""

    control = ""
    drills: list[int] = []
    open_drills: list[tuple[int, list[int]]] = []
    times: dict[str, list[float]] = {}


class Person(FastHttpUser):
    """Someone at work in Drillbook: reading mostly, sometimes timing a step, adding evidence or asking for a PDF.

    locust's FastHttpUser, so the 50 clients on the same machine take as little CPU from the server as can be.
    """

    wait_time = between(1, 3)

    def on_start(self):
        self.editor = random.random() < 0.5
        email = random.choice(EDITORS if self.editor else READERS)
        token = TOKEN.search(self.client.get("/login", name="sign-in page").text).group(1)
        response = self.client.post(
            "/login",
            data={"email": email, "password": PASSWORD, "csrf_token": token},
            name="sign in",
            allow_redirects=False,
        )
        assert response.status_code == 302 and "/login" not in response.headers["Location"], "sign-in failed"
        self.csrf = TOKEN.search(self.client.get("/account", name="account").text).group(1)

    def _get(self, path: str, name: str):
        self.client.get(path, name=name)

    @task(4)
    def dashboard(self):
        self._get("/", "dashboard")

    @task(3)
    def drill_list(self):
        self._get("/drills", "drill list")

    @task(4)
    def drill_page(self):
        self._get(f"/drills/{random.choice(Fixture.drills)}", "drill page")

    @task(2)
    def actions_list(self):
        self._get("/actions", "actions list")

    @task(1)
    def findings_list(self):
        self._get("/findings", "findings list")

    @task(1)
    def evidence_list(self):
        self._get("/evidence", "evidence list")

    @task(1)
    def control_page(self):
        self._get(f"/controls/{Fixture.control}", "control page")

    @task(3)
    def cockpit(self):
        if not self.editor:
            return self.drill_page()
        drill, steps = random.choice(Fixture.open_drills)
        self._get(f"/drills/{drill}/live", "cockpit")
        move = random.choice(("start", "finish"))
        self.client.post(
            f"/drills/{drill}/live/steps/{random.choice(steps)}/{move}",
            data={"csrf_token": self.csrf, "outcome": "success"},
            name="cockpit tap",
            allow_redirects=False,
        )

    @task(1)
    def upload(self):
        if not self.editor:
            return self.dashboard()
        drill, _ = random.choice(Fixture.open_drills)
        self.client.post(
            f"/evidence/upload-raw?drill_id={drill}",
            data=f"failover log {random.random()}\n".encode() * 200,
            headers={"X-CSRFToken": self.csrf, "X-Filename": "failover.log", "Accept": "application/json"},
            name="upload",
        )

    @task(1)
    def report(self):
        if random.random() > 0.05:  # a PDF now and then, not at every visit
            return self.drill_list()
        self.client.post(
            f"/reports/drill/{random.choice(Fixture.drills)}",
            data={"csrf_token": self.csrf},
            name="report request",
            allow_redirects=False,
        )


@events.request.add_listener
def _time(request_type, name, response_time, response_length, exception=None, **_):
    Fixture.times.setdefault(name, []).append(response_time)


def processes(server: psutil.Process) -> list[psutil.Process]:
    """The gunicorn master, its workers and any render processes they started."""
    return [server, *server.children(recursive=True)]


def rss(process: psutil.Process) -> float:
    try:
        return process.memory_info().rss / MiB
    except psutil.Error:
        return 0.0


def start_gunicorn(url: str, folder: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "DRILLBOOK_INSTANCE_PATH": str(folder), "DRILLBOOK_DATABASE_URL": url}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "4", "--bind", f"127.0.0.1:{port}", "app:create_app()"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 120
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/login", timeout=10).ok:
                    break
            except requests.RequestException:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        for _ in range(4 * 3):  # every worker imports and opens its pool before the run, not during it
            requests.get(f"http://127.0.0.1:{port}/login", timeout=30)
    except BaseException:
        server.terminate()
        raise
    return server, port


def run_locust(port: int, users: int, seconds: float, warm_up: float, server: psutil.Process) -> dict:
    environment = Environment(user_classes=[Person], host=f"http://127.0.0.1:{port}", events=events)
    runner = environment.create_local_runner()
    runner.start(users, spawn_rate=users / 5)
    gevent.sleep(warm_up)
    Fixture.times = {}
    warm = {p.pid: rss(p) for p in processes(server) if "gunicorn" in " ".join(p.cmdline())}
    gevent.sleep(seconds)
    runner.quit()
    gevent.sleep(3)
    after = {p.pid: rss(p) for p in processes(server) if p.pid in warm}
    failures = sum(entry.num_failures for entry in environment.stats.entries.values())
    return {"times": Fixture.times, "failures": failures, "warm": warm, "after": after}


def report_burst(port: int, server: psutil.Process, count: int = 20, timeout: float = 600) -> tuple[float, float]:
    """`count` drill reports asked for at once by as many people; (seconds until all are ready, largest RSS)."""
    people = []
    for i in range(count):
        web = requests.Session()
        email = (EDITORS + READERS)[i % 20]
        token = TOKEN.search(web.get(f"http://127.0.0.1:{port}/login").text).group(1)
        web.post(f"http://127.0.0.1:{port}/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
        people.append((web, TOKEN.search(web.get(f"http://127.0.0.1:{port}/account").text).group(1)))
    largest, started = 0.0, time.perf_counter()

    def ask(i: int):
        web, csrf = people[i]
        drill = Fixture.drills[i % len(Fixture.drills)]
        return web.post(f"http://127.0.0.1:{port}/reports/drill/{drill}", data={"csrf_token": csrf}).url

    asked = [gevent.spawn(ask, i) for i in range(count)]
    gevent.joinall(asked)
    jobs = [greenlet.value for greenlet in asked]
    pending = set(range(count))
    while pending and time.perf_counter() - started < timeout:
        largest = max([largest, *(rss(p) for p in processes(server))])
        for i in list(pending):
            page = people[i][0].get(jobs[i]).text
            if "Ready." in page or "could not be made" in page:
                assert "Ready." in page, page[-500:]
                pending.discard(i)
        gevent.sleep(0.5)
    assert not pending, f"{len(pending)} reports still waiting after {timeout} s"
    return time.perf_counter() - started, largest


def settle(engine) -> None:
    """After the bulk load, what a database in service has: the bulk load's WAL copied back (SQLite), planner
    statistics (PostgreSQL, as autovacuum keeps them). Otherwise the run measures the load's aftermath."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            conn.exec_driver_sql("VACUUM ANALYZE")


def measure(engine_name: str, folder: Path, seconds: float, users: int, reports: int) -> dict:
    url = database(engine_name, folder, "load")
    app, data, _ = instance(url, folder / "instance", SIZES)
    with open_session(app.extensions["drillbook.engine"], write=True) as session:
        Fixture.drills = [d.id for d in session.exec(select(Drill).order_by(Drill.id.desc()).limit(20))]
        running = session.exec(
            select(Drill).where(Drill.status.in_((DrillStatus.PLANNED, DrillStatus.RUNNING))).limit(5)
        ).all()
        for drill in running:  # under way, as during a failover: an ended drill's cockpit takes no taps
            drill.actual_end, drill.status = None, DrillStatus.RUNNING
        session.commit()
        Fixture.open_drills = [
            (d.id, list(session.exec(select(Step.id).where(Step.drill_id == d.id).limit(20)))) for d in running
        ]
    Fixture.control = data.control_code
    settle(app.extensions["drillbook.engine"])
    app.extensions["drillbook.engine"].dispose()
    server, port = start_gunicorn(url, folder / "instance")
    try:
        master = psutil.Process(server.pid)
        result = run_locust(port, users, seconds, 10, master)
        result["burst"] = report_burst(port, master, reports) if reports else (float("nan"), float("nan"))
        result["after_burst"] = {p.pid: rss(p) for p in processes(master) if p.pid in result["warm"]}
        return result
    finally:
        server.terminate()
        server.wait(timeout=30)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def table(results: dict[str, dict]) -> str:
    engines = list(results)
    lines = [
        f"{'':34}" + "".join(f"{name:>22}" for name in engines),
        f"{'':34}" + "   p50 ms  p95 ms   n" * len(engines),
    ]
    for name in (*PAGES, *WRITES):
        row = f"{name:34}"
        for engine in engines:
            values = results[engine]["times"].get(name, [])
            row += f"{statistics.median(values) if values else float('nan'):>9.1f}{percentile(values, 0.95):>8.1f}{len(values):>5}"
        lines.append(row)
    lines.append(f"{'errors':34}" + "".join(f"{results[e]['failures']:>22}" for e in engines))
    for label, key in (("worker RSS after warm-up (MiB)", "warm"), ("worker RSS after the run (MiB)", "after")):
        lines.append(f"{label:34}" + "".join(f"{max(results[e][key].values()):>22.0f}" for e in engines))
    lines.append(
        f"{'largest growth, one process (MiB)':34}"
        + "".join(
            f"{max(results[e]['after'][p] - results[e]['warm'][p] for p in results[e]['warm']):>22.1f}" for e in engines
        )
    )
    lines.append(
        f"{'20 reports at once: drained (s)':34}" + "".join(f"{results[e]['burst'][0]:>22.0f}" for e in engines)
    )
    lines.append(
        f"{'  largest process meanwhile (MiB)':34}" + "".join(f"{results[e]['burst'][1]:>22.0f}" for e in engines)
    )
    lines.append(
        f"{'  worker RSS afterwards (MiB)':34}"
        + "".join(f"{max(results[e]['after_burst'].values()):>22.0f}" for e in engines)
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60, help="length of the measured run, after a 10 s warm-up")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--reports", type=int, default=20, help="reports asked for at once after the run; 0 skips it")
    args = parser.parse_args()
    engines = ["sqlite"] + (["postgresql"] if os.environ.get("DRILLBOOK_TEST_DATABASE_URL") else [])
    results = {}
    for engine_name in engines:
        with tempfile.TemporaryDirectory(prefix=f"drillbook-load-{engine_name}-") as folder:
            results[engine_name] = measure(engine_name, Path(folder), args.seconds, args.users, args.reports)
            print(f"{engine_name}: done", file=sys.stderr)
    print(table(results))


if __name__ == "__main__":
    main()

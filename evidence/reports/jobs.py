"""The report queue's workers: each node renders at most DRILLBOOK_REPORT_WORKERS reports at once.

Jobs wait in the database, so any node may run a job asked for on another. Each web process claims
jobs for its node when one is queued, when one of its renders ends, and every few seconds from a
poller thread, so a queue left by a busy or vanished node drains anyway. A claimed job renders in a
process of its own: WeasyPrint can take seconds and hundreds of MiB on a large pack, and that cost
ends with the render; a watcher thread stops a render that overruns the time limit.
"""

import logging
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from models.core.database import open_session
from models.core.types import utcnow
from models.reports import JobStatus, ReportJob, claim_next

#: the project folder, from which `import app` finds the console entry point
PROJECT = Path(__file__).resolve().parents[2]
log = logging.getLogger(__name__)


class ReportWorkers:
    """This process's share of its node's render workers; the count is kept in the database, per node."""

    def __init__(self, engine, config: dict):
        self.engine, self.config = engine, config  # the app's live configuration, read when used
        self._claiming = threading.Lock()
        self._poller_pid = None

    @property
    def node(self) -> str:
        return str(self.config["NODE_NAME"])

    @property
    def workers(self) -> int:
        return int(self.config["REPORT_WORKERS"])

    @property
    def limit(self) -> int:
        return int(self.config["REPORT_TIME_LIMIT_SECONDS"])

    def dispatch(self) -> None:
        """Start renders for queued jobs while this node has a free worker."""
        with self._claiming:
            while (job_id := self._claim()) is not None:
                self._start(job_id)

    def _claim(self) -> int | None:
        with open_session(self.engine, write=True) as session:
            job = claim_next(session, self.node, self.workers, timedelta(seconds=self.limit + 60))
            session.commit()
            return job.id if job else None

    def _start(self, job_id: int) -> None:
        env = {
            **os.environ,
            "DRILLBOOK_INSTANCE_PATH": self.config["INSTANCE_PATH"],
            "DRILLBOOK_DATABASE_URL": self.config["DATABASE_URL"],
            "DRILLBOOK_TIMEZONE": self.config["TIMEZONE"],
        }
        process = subprocess.Popen(
            [sys.executable, "-c", "import app; app.main()", "report", "run-job", str(job_id)],
            cwd=PROJECT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        threading.Thread(target=self._watch, args=(process, job_id), daemon=True).start()

    def _watch(self, process: subprocess.Popen, job_id: int) -> None:
        """Wait for a render; kill it at the time limit and mark its job stopped; then claim the next job."""
        try:
            process.communicate(timeout=self.limit)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            with open_session(self.engine, write=True) as session:
                job = session.get(ReportJob, job_id)
                if job is not None and job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
                    job.status, job.finished_at = JobStatus.FAILED, utcnow()
                    job.error = f"Stopped: the render took longer than the {self.limit} s time limit."
                    session.commit()
        self._dispatch_quietly()

    def ensure_polling(self) -> None:
        """Start this process's poller once (after a fork too); DRILLBOOK_REPORT_POLL_SECONDS=0 turns it off."""
        seconds = float(self.config["REPORT_POLL_SECONDS"])
        if seconds <= 0 or self.workers <= 0 or self._poller_pid == os.getpid():
            return
        self._poller_pid = os.getpid()
        threading.Thread(target=self._poll, args=(seconds,), name="report-poller", daemon=True).start()

    def _poll(self, seconds: float) -> None:
        while True:
            time.sleep(seconds)
            self._dispatch_quietly()

    def _dispatch_quietly(self) -> None:
        """Claim from a background thread: a database gone for a moment must not end the thread.

        The failure is logged in one line, without a traceback: formatting one parses source code, and
        on Python 3.11 parsing in two threads at once can fail in the other thread.
        """
        try:
            self.dispatch()
        except Exception as exc:
            log.warning("could not claim report jobs: %s: %s", type(exc).__name__, str(exc)[:300])

"""Report jobs from the web: each render runs in a process of its own, stopped at the time limit.

WeasyPrint can take seconds and hundreds of MiB on a large pack; in a separate process that
cost ends with the render, and a watcher thread marks the job failed if it overruns.
"""

import os
import subprocess
import sys
import threading
from pathlib import Path

from models.core.database import open_session
from models.core.types import utcnow
from models.reports import JobStatus, ReportJob

#: the project folder, from which `import app` finds the console entry point
PROJECT = Path(__file__).resolve().parents[2]


def start_render(job_id: int, config: dict, engine) -> None:
    """Start the render process of a committed job, and a watcher that stops it at the time limit."""
    env = {
        **os.environ,
        "DRILLBOOK_INSTANCE_PATH": config["INSTANCE_PATH"],
        "DRILLBOOK_DATABASE_URL": config["DATABASE_URL"],
        "DRILLBOOK_TIMEZONE": config["TIMEZONE"],
    }
    process = subprocess.Popen(
        [sys.executable, "-c", "import app; app.main()", "report", "run-job", str(job_id)],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    limit = int(config["REPORT_TIME_LIMIT_SECONDS"])
    threading.Thread(target=_watch, args=(process, limit, engine, job_id), daemon=True).start()


def _watch(process: subprocess.Popen, limit: int, engine, job_id: int) -> None:
    """Kill a render that runs past the limit and mark its job as stopped."""
    try:
        process.communicate(timeout=limit)
        return
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
    with open_session(engine, write=True) as session:
        job = session.get(ReportJob, job_id)
        if job is not None and job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
            job.status, job.finished_at = JobStatus.FAILED, utcnow()
            job.error = f"Stopped: the render took longer than the {limit} s time limit."
            session.commit()

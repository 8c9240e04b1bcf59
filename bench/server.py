"""A real Drillbook server in a throwaway instance, for benchmarks: migrated, with an admin, on loopback."""

import http.client
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "benchmark password 1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(extra_env: dict | None = None):
    """Yield (port, pid) of a server on a fresh instance; stop it and remove the instance afterwards."""
    with tempfile.TemporaryDirectory(prefix="drillbook-bench-") as instance:
        env = {
            **os.environ,
            "DRILLBOOK_INSTANCE_PATH": instance,
            "DRILLBOOK_ADMIN_EMAIL": "bench@example.test",
            "DRILLBOOK_ADMIN_PASSWORD": PASSWORD,
            "DRILLBOOK_MAX_UPLOAD_MB": "2048",
            **(extra_env or {}),
        }
        cli = [sys.executable, "-c", "import app; app.main()"]
        for args in (["db", "upgrade"], ["user", "bootstrap-admin"]):
            subprocess.run(cli + args, env=env, cwd=ROOT, check=True, capture_output=True)
        port = free_port()
        server = subprocess.Popen(
            cli + ["serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            yield port, server.pid
        finally:
            server.terminate()
            server.wait(timeout=10)


class Session:
    """A signed-in HTTP session against the server: cookie and CSRF token."""

    def __init__(self, port: int, email: str = "bench@example.test"):
        self.port = port
        self.cookie = ""
        token = self._token("/login")
        response = self.request(
            "POST",
            "/login",
            f"email={email.replace('@', '%40')}&password={PASSWORD.replace(' ', '+')}&csrf_token={token}",
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response[0] == 302, "sign-in failed"
        self.csrf = self._token("/evidence/upload")

    def _token(self, path: str) -> str:
        status, body = self.request("GET", path)
        return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', body.decode()).group(1)

    def request(self, method: str, path: str, body=None, headers: dict | None = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        conn.request(method, path, body=body, headers={"Cookie": self.cookie, **(headers or {})})
        response = conn.getresponse()
        data = response.read()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                self.cookie = value.split(";", 1)[0]
        conn.close()
        return response.status, data


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """The process's resident memory now (VmRSS) or its peak so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


class RssSampler:
    """Samples a process's resident memory every few milliseconds while in use; `peak` is the largest seen."""

    def __init__(self, pid: int, interval: float = 0.005):
        self.pid, self.interval, self.peak = pid, interval, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb(self.pid))
            time.sleep(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

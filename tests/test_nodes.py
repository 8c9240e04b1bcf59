"""Two nodes serve as one: two gunicorn masters sharing the database, the signing key and the evidence folder.

Node A has no render worker of its own, so a report asked for on A can only be rendered by B's.
"""

import re
import time
from contextlib import ExitStack
from pathlib import Path

import pytest
import requests
from sqlmodel import select

from models.reports import ReportJob
from tests.helpers import gunicorn, page_token, reread, web_sign_in

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def node(name: str, instance: Path, database_url: str, workers: int):
    """One node: its own gunicorn master with two web workers, sharing `instance` and the database."""
    return gunicorn(
        {
            "DRILLBOOK_INSTANCE_PATH": str(instance),
            "DRILLBOOK_DATABASE_URL": database_url,
            "DRILLBOOK_NODE_NAME": name,
            "DRILLBOOK_REPORT_WORKERS": str(workers),
            "DRILLBOOK_REPORT_POLL_SECONDS": "0.5",
        }
    )


@pytest.fixture
def nodes(tmp_path, database_url, users):
    with ExitStack() as stack:
        instance = tmp_path / "shared-instance"
        a = stack.enter_context(node("node-a", instance, database_url, workers=0))
        b = stack.enter_context(node("node-b", instance, database_url, workers=1))
        yield a, b


def test_two_nodes_serve_as_one(nodes, db, demo):
    a, b = nodes
    web = requests.Session()
    assert web_sign_in(web, a, "editor@example.test").url.endswith("/")
    assert web.get(b + "/drills").status_code == 200, "a session begun on A holds on B"

    content = b"failover log from node A\n" * 100
    uploaded = web.post(
        f"{a}/evidence/upload-raw?drill_id={demo.id}",
        data=content,
        headers={"X-CSRFToken": page_token(web, a + "/account"), "X-Filename": "a.log", "Accept": "application/json"},
    )
    assert uploaded.status_code == 201, uploaded.text
    assert web.get(f"{b}/evidence/{uploaded.json()['id']}/download").content == content, "an upload on A is B's"

    job_url = web.post(f"{a}/reports/actions", data={"csrf_token": page_token(web, a + "/account")}).url
    deadline = time.time() + 120
    while "Ready." not in (page := web.get(job_url).text) and time.time() < deadline:
        assert "could not be made" not in page, page[-600:]
        time.sleep(0.5)
    assert "Ready." in page
    reread(db)
    assert [job.node for job in db.exec(select(ReportJob)).all()] == ["node-b"], "A has no worker: B's rendered it"
    pdf = web.get(b + re.search(r'href="(/reports/\d+/download)"', page).group(1)).content
    assert pdf.startswith(b"%PDF")

    web.post(b + "/logout", data={"csrf_token": page_token(web, b + "/account")})
    assert "/login" in web.get(a + "/drills").url, "signing out on B ends the session on A"


def test_sign_in_limits_hold_across_nodes(nodes, users):
    a, b = nodes
    for base in (a, b, a, b, a):
        assert web_sign_in(requests.Session(), base, "auditor@example.test", "not the password").status_code == 401
    for base in (a, b):
        assert web_sign_in(requests.Session(), base, "auditor@example.test").status_code == 429

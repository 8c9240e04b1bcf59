"""Pages cost the same number of queries whatever the amount of data (the scale benchmark's data set, at two sizes)."""

import threading

import pytest
from sqlalchemy import event

from app import create_app
from bench.scale_data import build
from models.core.database import open_session
from models.core.schema import upgrade
from models.people.users import password_hasher
from tests.conftest import close_app

pytestmark = pytest.mark.slow

PASSWORD = "scale test password"
SMALL = {"drills": 5, "steps": 50, "findings": 10, "actions": 20, "evidence": 50, "audit": 100}
LARGER = {name: n * 4 for name, n in SMALL.items()}


def queries_per_page(tmp_path, url, sizes) -> dict[str, int]:
    upgrade(url)
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / str(sizes["drills"])),
            "DATABASE_URL": url,
            "WTF_CSRF_ENABLED": False,
            "REPORT_POLL_SECONDS": 0,  # no poller's query counted against a page, none outliving the database
            "NOTIFY_POLL_SECONDS": 0,
        }
    )
    engine = app.extensions["drillbook.engine"]
    with open_session(engine, write=True) as session:
        data = build(session, app.extensions["drillbook.vault"], password_hasher.hash(PASSWORD), sizes)
        session.commit()
    client = app.test_client()
    assert client.post("/login", data={"email": "person4@bench.example", "password": PASSWORD}).status_code == 302
    counts, counter, mine = {}, [0], threading.get_ident()

    def count(*_):  # the request's own queries: a background thread's would make the count depend on timing
        if threading.get_ident() == mine:
            counter[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    for url_ in (
        "/",
        "/drills",
        f"/drills/{data.drill_id}",
        "/actions",
        "/actions?status=",
        f"/controls/{data.control_code}",
        "/evidence",
        "/findings",
        f"/evidence?drill={data.drill_id}",
        "/controls",
        "/drills?q=failover&status=running",
        "/findings?q=finding&severity=medium",
        "/actions?status=&q=action",
        "/evidence?q=log",
    ):
        counter[0] = 0
        assert client.get(url_).status_code == 200, url_
        counts[url_.replace(str(data.drill_id), "<drill>").replace(data.control_code, "<control>")] = counter[0]
    close_app(app)
    return counts


def test_queries_per_page_do_not_grow_with_the_data(tmp_path, empty_database_url, database_url, monkeypatch):
    # the menu's count is reused for 30 s: on a loaded machine one run could outlast it and count it again
    monkeypatch.setattr("views.support.filters.WAITING_SECONDS", 3600)
    small = queries_per_page(tmp_path, empty_database_url, SMALL)
    # database_url is already migrated; the data set goes into it as it is
    larger = queries_per_page(tmp_path, database_url, LARGER)
    assert small == larger

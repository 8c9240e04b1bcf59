"""Every form, fed random, huge, unicode and NUL-laden input (ASVS V5.1): never a 500, never a partial record.

The forms are found by reading the pages themselves, so a field added to a template is
fuzzed without anyone remembering to list it here.
"""

import html.parser
import io
import json
from urllib.parse import urljoin

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlmodel import SQLModel

from models.people.users import Role
from tests.helpers import PASSWORD, csrf_token, reread

pytestmark = pytest.mark.slow

#: forms whose success starts a slow background render or ends the session; they are fuzzed elsewhere or not at all
NOT_FUZZED = ("/logout", "/reports/drill/", "/reports/controls", "/reports/actions")
#: tables a refused request may legitimately write to: failed password checks are counted
COUNTERS = {"sign_in_failure"}
#: forms where a wrong password is counted, and the first one in a window audited
PASSWORD_FORMS = ("/account/password", "/sign")

#: pages whose forms only an approver is shown; the rest are fuzzed as an administrator
APPROVER_PAGES = {"/drills/{drill}/review"}
PAGES = [
    "/drills/new",
    "/drills/{drill}/edit",
    "/drills/{drill}/review",
    "/drills/{drill}/objectives/new",
    "/drills/{drill}/participants/new",
    "/drills/{drill}/steps/new",
    "/drills/{drill}/outages/new",
    "/drills/{drill}/steps/{step}",
    "/drills/{drill}/live",
    "/drills/{drill}/timeline/import",
    "/systems/new",
    "/systems/{system}/edit",
    "/findings/new",
    "/findings/{finding}/edit",
    "/actions/new",
    "/actions/{action}/edit",
    "/actions/{action}",
    "/evidence/upload",
    "/evidence/{evidence}/supersede",
    "/controls/A.5.30/applicability",
    "/people/new",
    "/people/{person}",
    "/account/password",
    "/account",
    "/reports/verify",
    "/webhooks",
]


class _Forms(html.parser.HTMLParser):
    """The forms of one method on a page: action, and each field with the values its options offer."""

    def __init__(self, method: str = "post"):
        super().__init__()
        self.method = method
        self.forms: list[tuple[str, dict[str, list[str]]]] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "get").lower() == self.method:
            self.forms.append((a.get("action") or "", {}))
        elif not self.forms or not a.get("name"):
            if tag == "option" and self._select:
                self.forms[-1][1][self._select].append(a.get("value") or "")
            return
        elif tag in ("input", "textarea", "select"):
            self.forms[-1][1].setdefault(a["name"], [a.get("value") or ""] if a.get("type") != "file" else ["<file>"])
            if tag == "select":
                self._select = a["name"]

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def post_forms(page_url: str, html: str) -> list[tuple[str, dict[str, list[str]]]]:
    parser = _Forms()
    parser.feed(html)
    return [
        (urljoin(page_url, action), fields)
        for action, fields in parser.forms
        if not any(part in urljoin(page_url, action) for part in NOT_FUZZED)
    ]


HOSTILE_TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=60),
    st.builds(
        lambda piece, times: piece * times,
        st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=8),
        st.integers(2_000, 40_000),
    ),
    st.sampled_from(
        [
            "\x00",
            "a\x00b",
            "9" * 30,
            "-1",
            "0",
            "1e309",
            "NaN",
            "2026-02-30T25:61",
            "1900-01-01T00:00",
            "9999-12-31T23:59",
            "9999-12-31T23:59:59Z",
            "0001-01-01T00:00+14:00",
            "0001-01-01T00:00:22+22:01",
            "0001-01-01",
            "9999-12-31",
            "1969-12-31T23:59:59-12:00",
            "2026-03-29T02:30",
            "' OR 1=1 --",
            "<script>alert(1)</script>",
            "=cmd|' /C calc'!A0",
            "../../etc/passwd",
            "\u202e\ufeff",
            "🔥" * 500,
            " ",
            "",
        ]
    ),
)


def _row_counts(db) -> dict[str, int]:
    return {
        t.name: db.execute(select(func.count()).select_from(t)).scalar_one() for t in SQLModel.metadata.sorted_tables
    }


@pytest.mark.parametrize("page", PAGES)
def test_v5_1_hostile_input_to_any_form_is_refused_cleanly(app, db, users, demo, evidence_item, vault, page):
    role = Role.APPROVER if page in APPROVER_PAGES else Role.ADMIN
    client = app.test_client()
    client.post(
        "/login", data={"email": f"{role.value}@example.test", "password": PASSWORD, "csrf_token": csrf_token(client)}
    )
    url = page.format(
        drill=demo.id,
        step=demo.steps[0].id,
        system=demo.systems[0].id,
        finding=demo.findings[0].id,
        action=demo.actions[0].id,
        evidence=evidence_item.id,
        person=users[Role.EDITOR].id,
    )
    if page.endswith("/live"):  # the cockpit takes input only while the drill is under way
        demo.actual_end = None
        db.commit()
    response = client.get(url)
    assert response.status_code == 200, url
    forms = post_forms(url, response.get_data(as_text=True))
    assert forms, f"no form found on {url}"

    # The forms are read once: examples that succeed change the records, and later ones then meet a stale version or a new state.
    @settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def fuzz(data):
        action, fields = data.draw(st.sampled_from(forms))
        sent, files = {}, {}
        for name, options in fields.items():
            if name == "csrf_token":
                sent[name] = options[0]
            elif options == ["<file>"]:
                files[name] = (io.BytesIO(data.draw(st.binary(max_size=2000))), data.draw(HOSTILE_TEXT) or "x")
            else:
                sent[name] = data.draw(st.one_of(st.sampled_from(options), HOSTILE_TEXT) if options else HOSTILE_TEXT)
        reread(db)
        before, stored = _row_counts(db), sorted(vault.root.rglob("*"))
        response = client.post(action, data={**sent, **files}, content_type="multipart/form-data")
        assert response.status_code < 500, (action, sent)
        if response.status_code >= 400:
            reread(db)
            after = _row_counts(db)
            changed = {t for t in after if after[t] != before[t]} - COUNTERS
            if action.endswith(PASSWORD_FORMS):
                changed -= {"audit_event"}
            assert not changed, (action, response.status_code, changed)
            assert sorted(vault.root.rglob("*")) == stored, "a refused upload must leave no file behind"

    fuzz()


#: pages whose search and filter forms (method GET) are fuzzed, with the pager's ?page= besides
LIST_PAGES = [
    "/drills",
    "/findings",
    "/actions",
    "/evidence",
    "/controls",
    "/controls/A.5.30",
    "/controls/coverage",
    "/audit",
]


@pytest.mark.parametrize("page", LIST_PAGES)
def test_v5_1_hostile_search_and_filter_input_is_answered_cleanly(app, users, demo, evidence_item, page):
    client = app.test_client()
    client.post("/login", data={"email": "admin@example.test", "password": PASSWORD, "csrf_token": csrf_token(client)})
    parser = _Forms("get")
    parser.feed(client.get(page).get_data(as_text=True))
    fields = {name: options for _, form in parser.forms for name, options in form.items()} | {"page": []}
    assert len(fields) > 1, f"no search or filter form on {page}"

    @settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def fuzz(data):
        sent = {
            name: data.draw(st.one_of(st.sampled_from(options), HOSTILE_TEXT) if options else HOSTILE_TEXT)
            for name, options in fields.items()
        }
        response = client.get(page, query_string=sent)
        assert response.status_code in (200, 400, 404), (page, sent, response.status_code)

    fuzz()


#: what a URL's placeholders are filled with: the fixtures' records, and a word each string placeholder takes
PLACEHOLDERS = {"code": "A.5.30", "kind": "steps", "move": "start", "state": "down", "subject": "drills"}
#: field names the API and the forms know, so generated documents reach the validators
FIELD_NAMES = st.sampled_from(
    [
        "title",
        "kind",
        "planned_start",
        "actual_start",
        "actual_end",
        "due_date",
        "notes",
        "drill_id",
        "owner_id",
        "finding_id",
        "controls",
        "severity",
        "description",
        "version",
        "outcome",
        "system_ids",
        "email",
        "role",
    ]
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | HOSTILE_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(FIELD_NAMES | st.text(max_size=8), inner, max_size=6),
    max_leaves=25,
)
#: a JSON document over the 1 MiB limit
OVERSIZED = b"[" + b"1," * 700_000 + b"1]"
HOSTILE_BODIES = st.one_of(
    JSON_VALUES.map(lambda value: ("application/json", json.dumps(value).encode())),
    st.integers(1, 5000).map(lambda depth: ("application/json", ("[" * depth + "]" * depth).encode())),
    st.integers(1, 3000).map(lambda depth: ("application/json", ('{"a":' * depth + "1" + "}" * depth).encode())),
    st.sampled_from([b"{", b"[1,]", b'{"title": NaN}', b"\xff\xfe", b'"' + b"x" * 100 + b'"']).map(
        lambda body: ("application/json", body)
    ),
    st.just(("application/json", OVERSIZED)),
    st.tuples(
        st.sampled_from(
            [
                "text/plain",
                "application/xml",
                "multipart/form-data; boundary=x",
                "multipart/form-data",
                "application/x-www-form-urlencoded",
                "application/octet-stream",
                "",
                "application/json; charset=utf-16",
            ]
        ),
        st.binary(max_size=600),
    ),
)


def _write_routes(app) -> list[str]:
    """Every route that takes a body, its placeholders filled: forms, uploads and the API alike."""
    adapter, urls = app.url_map.bind("localhost"), []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"}):
            values = {name: PLACEHOLDERS.get(name, 1) for name in rule.arguments}
            urls.append((method, adapter.build(rule.endpoint, values, method=method)))
    return urls


def test_v5_1_hostile_bodies_to_any_route_are_refused_cleanly(app, db, users, demo, evidence_item, vault):
    """JSON, nested, huge, malformed, of the wrong type: to every route that takes a body, as a person and a token."""
    from tests.helpers import bearer, make_token

    app.config["REPORT_WORKERS"] = 0  # a report asked for stays queued: no render writes while others are judged
    routes = [(method, url) for method, url in _write_routes(app) if url != "/logout"]  # it would end the session
    assert len(routes) > 40
    client = app.test_client()
    client.post("/login", data={"email": "admin@example.test", "password": PASSWORD, "csrf_token": csrf_token(client)})
    token = bearer(make_token(db, users[Role.ADMIN]))

    @settings(max_examples=400, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(route=st.sampled_from(routes), body=HOSTILE_BODIES, csrf=st.booleans())
    def fuzz(route, body, csrf):
        method, url = route
        content_type, data = body
        headers = {"Content-Type": content_type} if content_type else {}
        if url.startswith("/api/"):
            headers |= token
        elif csrf:
            headers["X-CSRFToken"] = csrf_token(client, "/")
        reread(db)
        before, stored = _row_counts(db), sorted(vault.root.rglob("*"))
        response = client.open(url, method=method, data=data, headers=headers)
        assert response.status_code < 500, (method, url, content_type, data[:200], response.status_code)
        if response.status_code >= 400:
            reread(db)
            after = _row_counts(db)
            allowed = COUNTERS | ({"audit_event"} if url.endswith(PASSWORD_FORMS) else set())
            assert {t for t in after if after[t] != before[t]} <= allowed, (method, url, content_type, data[:200])
            assert sorted(vault.root.rglob("*")) == stored

    fuzz()

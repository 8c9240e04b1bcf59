"""Hostile bodies and slow clients: what a stranger or a careless script sends costs a clear 4xx, never
memory, a 500 or another person's request."""

import io
import json
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests

from models.people.users import Role
from tests.helpers import Auth, bearer, csrf_token, make_token, page_token, web_sign_in


class CountingStream(io.RawIOBase):
    """A request body of `size` bytes that counts how much of it the server read."""

    def __init__(self, size: int, fill: bytes = b" "):
        self.size, self.fill, self.read_bytes = size, fill, 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self.read_bytes

    def seek(self, offset, whence=io.SEEK_SET):  # the test client measures the body this way; nothing is read
        self.read_bytes = {io.SEEK_SET: offset, io.SEEK_CUR: self.read_bytes + offset, io.SEEK_END: self.size}[whence]
        return self.read_bytes

    def readinto(self, buffer):
        n = min(len(buffer), self.size - self.read_bytes)
        buffer[:n] = self.fill * n
        self.read_bytes += n
        return n


def _post_stream(client, url, stream, content_type, headers=None):
    return client.post(
        url,
        input_stream=stream,
        headers={"Content-Type": content_type, "Content-Length": str(stream.size), **(headers or {})},
    )


def test_a_large_json_body_to_the_sign_in_page_is_refused_unread(client):
    """31 MB of JSON sent to /login took the server to a gigabyte; now its headers settle it."""
    stream = CountingStream(31 * 2**20)
    response = _post_stream(client, "/login", stream, "application/json")
    assert response.status_code == 415
    assert "takes a form" in response.get_data(as_text=True)
    assert stream.read_bytes == 0


def test_a_form_larger_than_any_real_one_is_a_413_unread(client, auth):
    auth.login_as(Role.EDITOR)
    stream = CountingStream(8 * 2**20, b"a")
    response = _post_stream(client, "/drills/new", stream, "application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert stream.read_bytes == 0


@pytest.mark.parametrize("body", ["[1, 2, 3]", '{"title": ["a", "b"]}', '"text"'])
def test_json_sent_to_a_form_is_a_415_not_a_500(client, auth, body):
    auth.login_as(Role.EDITOR)
    response = client.post("/drills/new", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 415


@pytest.mark.parametrize("depth", [17, 1000, 100_000])
def test_deeply_nested_json_is_a_400_with_the_limit(client, db, users, depth):
    token = make_token(db, users[Role.EDITOR])
    body = '{"title": ' + "[" * depth + "]" * depth + "}"
    response = client.post("/api/v1/drills", data=body, headers={**bearer(token), "Content-Type": "application/json"})
    assert response.status_code == 400
    assert "nested too deeply" in response.get_json()["detail"]


def test_json_at_the_depth_limit_is_read_and_judged_by_its_fields(client, db, users):
    token = make_token(db, users[Role.EDITOR])
    body = '{"title": "Night drill", "kind": "tabletop", "notes": ' + "[" * 15 + "]" * 15 + "}"
    response = client.post("/api/v1/drills", data=body, headers={**bearer(token), "Content-Type": "application/json"})
    assert response.status_code == 422


def test_an_api_body_over_one_mebibyte_is_a_413_unread(client, db, users):
    token = make_token(db, users[Role.EDITOR])
    stream = CountingStream(2 * 2**20)
    response = _post_stream(client, "/api/v1/drills", stream, "application/json", bearer(token))
    assert response.status_code == 413
    assert stream.read_bytes == 0


def test_the_api_takes_json_only(client, db, users):
    token = make_token(db, users[Role.EDITOR])
    response = client.post("/api/v1/drills", data={"title": "x"}, headers=bearer(token))
    assert response.status_code == 415
    assert "application/json" in response.get_json()["detail"]


def test_the_api_still_takes_a_large_file_as_evidence(client, db, users, demo):
    token = make_token(db, users[Role.EDITOR])
    body = b"log line\n" * 300_000  # 2.7 MB, above the JSON limit
    response = client.post(
        f"/api/v1/evidence?filename=big.log&drill_id={demo.id}",
        data=body,
        headers={**bearer(token), "Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 201, response.get_data(as_text=True)


def _browser_session(base: str, email: str) -> requests.Session:
    web = requests.Session()
    response = web_sign_in(web, base, email)
    assert response.status_code == 200 and response.url.endswith("/"), response.text[:300]
    return web


@pytest.mark.parametrize("route", ["raw", "form"])
def test_a_slow_upload_does_not_hold_up_anyone_elses_writes(live_server, users, demo, route):
    """An upload whose body trickles in held SQLite's write lock; another person's sign-in failed after 30 s."""
    editor = _browser_session(live_server, "editor@example.test")
    token = page_token(editor, live_server + "/evidence/upload")
    cookie = "; ".join(f"{c.name}={c.value}" for c in editor.cookies)
    if route == "raw":
        path, content_type = f"/evidence/upload-raw?drill_id={demo.id}", "application/octet-stream"
        start, length = b"slow log\n", 1_000_000
        extra = f"X-Filename: slow.log\r\nX-CSRFToken: {token}\r\n"
    else:
        path, content_type = "/evidence/upload", "multipart/form-data; boundary=XyZ"
        start = (
            f'--XyZ\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            f'--XyZ\r\nContent-Disposition: form-data; name="files"; filename="slow.log"\r\n'
            "Content-Type: text/plain\r\n\r\nslow log\n"
        ).encode()
        length, extra = 1_000_000, ""
    host = urlsplit(live_server)
    slow = socket.create_connection((host.hostname, host.port))
    slow.sendall(
        (
            f"POST {path} HTTP/1.1\r\nHost: {host.netloc}\r\nCookie: {cookie}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {length}\r\n{extra}\r\n"
        ).encode()
        + start
    )
    try:
        time.sleep(1.0)  # the server has read the headers and is waiting for the rest of the body
        began = time.monotonic()
        other = _browser_session(live_server, "approver@example.test")
        assert time.monotonic() - began < 10
        assert other.get(live_server + "/drills").status_code == 200
    finally:
        slow.close()


def test_nothing_is_left_behind_when_a_body_stops_half_way(live_server, users, demo, vault):
    """A client that goes away mid-upload leaves no record, no file and no lock."""
    editor = _browser_session(live_server, "editor@example.test")
    token = page_token(editor, live_server + "/evidence/upload")
    cookie = "; ".join(f"{c.name}={c.value}" for c in editor.cookies)
    host = urlsplit(live_server)
    cut = socket.create_connection((host.hostname, host.port))
    cut.sendall(
        (
            f"POST /evidence/upload-raw?drill_id={demo.id} HTTP/1.1\r\nHost: {host.netloc}\r\nCookie: {cookie}\r\n"
            f"Content-Type: application/octet-stream\r\nContent-Length: 100000\r\nX-Filename: cut.log\r\n"
            f"X-CSRFToken: {token}\r\n\r\npartial log\n"
        ).encode()
    )
    cut.close()
    time.sleep(0.5)
    listing = editor.get(live_server + "/evidence").text
    assert "cut.log" not in listing
    done = threading.Event()
    threading.Thread(target=lambda: (_browser_session(live_server, "approver@example.test"), done.set())).start()
    assert done.wait(10)
    assert not any(vault.root.rglob("*.part"))


def test_a_json_number_where_text_belongs_is_a_field_error(client, db, users):
    token = make_token(db, users[Role.EDITOR])
    response = client.post(
        "/api/v1/drills",
        data=json.dumps({"title": 12, "kind": "tabletop"}),
        headers={**bearer(token), "Content-Type": "application/json"},
    )
    assert response.status_code == 422


@pytest.mark.parametrize("method, url", [("POST", "/no-such-page"), ("PUT", "/login"), ("POST", "/drills")])
def test_a_body_sent_where_no_route_takes_it_is_never_read(client, auth, method, url):
    """A 150 MB form to an address with no route, or a method the route lacks, was read whole: 117 MB to 569 MB."""
    auth.login_as(Role.EDITOR)
    stream = CountingStream(150 * 2**20, b"a")
    response = client.open(
        url,
        method=method,
        input_stream=stream,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Content-Length": str(stream.size)},
    )
    assert response.status_code in (404, 405)
    assert stream.read_bytes == 0


def test_json_to_a_page_that_takes_files_is_a_415_unread(client, auth):
    """20 MB of JSON sent to the verify page was parsed before the CSRF check: 160 MB to 1 GB."""
    auth.login_as(Role.AUDITOR)
    stream = CountingStream(20 * 2**20, b"1")
    response = _post_stream(client, "/reports/verify", stream, "application/json")
    assert response.status_code == 415 and stream.read_bytes == 0


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "multipart/form-data", "application/json"]
)
def test_a_raw_upload_is_stored_whole_whatever_type_it_claims(client, auth, demo, content_type):
    """curl's default type made the body be read as a form, and the upload was refused as cut off."""
    auth.login_as(Role.EDITOR)
    body = b'{"a": "b", "deep": ' + b"[" * 40 + b"]" * 40 + b"}\na=b&c=d\n"
    response = client.post(
        f"/evidence/upload-raw?drill_id={demo.id}",
        data=body,
        headers={"X-CSRFToken": csrf_token(client, "/"), "X-Filename": "notes.txt", "Content-Type": content_type},
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["size"] == len(body)


def test_a_refused_or_abandoned_upload_leaves_no_file_in_the_intake(client, auth, vault, evidence_item):
    auth.login_as(Role.EDITOR)
    missing = client.post(
        "/evidence/999999/supersede",
        data={"csrf_token": csrf_token(client, "/"), "file": (io.BytesIO(b"corrected log\n"), "a.log")},
        content_type="multipart/form-data",
    )
    assert missing.status_code == 404
    bad_meta = client.post(
        f"/evidence/{evidence_item.id}/supersede",
        data={
            "csrf_token": csrf_token(client, "/"),
            "collected_on": "not a date",
            "file": (io.BytesIO(b"corrected log\n"), "a.log"),
        },
        content_type="multipart/form-data",
    )
    assert bad_meta.status_code == 422
    assert list(vault.tmp.iterdir()) == []


def test_parallel_guesses_meet_the_sign_in_limit(live_server, users):
    """On PostgreSQL twelve guesses sent at once were all checked against a limit of five."""
    from concurrent.futures import ThreadPoolExecutor

    def guess(_):
        web = requests.Session()
        token = page_token(web, live_server + "/login")
        return web.post(
            live_server + "/login",
            data={"email": "approver@example.test", "password": "a wrong guess!", "csrf_token": token},
        ).status_code

    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(guess, range(12)))
    assert answers.count(401) <= 5 and answers.count(429) >= 7, answers


def test_an_address_that_is_not_utf8_is_a_400(app, users):
    """A raw \\xff in the query string answered 500 on every page."""
    client = app.test_client()
    Auth(client).login_as(Role.AUDITOR)
    for path in ("/", "/drills", "/controls/A.5.30"):
        answer = client.get(path, environ_overrides={"QUERY_STRING": "q=%ff".replace("%ff", "\xff")})
        assert answer.status_code == 400, path

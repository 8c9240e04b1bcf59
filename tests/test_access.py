"""Who may open what: every page for every role, generated from the app's own URL map."""

import pytest

from models.users import Role
from views.access import check_every_route_has_a_rule

READ_PAGES = ["/", "/drills", "/drills/{drill}", "/actions", "/controls", "/controls/A.5.30", "/evidence"]


def _urls(app, demo):
    """Every GET route of the app with its parameters filled in from the reference drill."""
    fill = {"drill_id": demo.id, "code": "A.5.30"}
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or "GET" not in rule.methods:
            continue
        urls.append(rule.build({arg: fill[arg] for arg in rule.arguments})[1])
    return urls


def test_every_page_is_covered_by_this_test(app):
    covered = {p.split("/{")[0] for p in READ_PAGES} | {"/login"}
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static" and "GET" in rule.methods:
            assert rule.rule.split("/<")[0] in covered, f"{rule.rule} has no access test; add it to READ_PAGES"


def test_anonymous_users_are_sent_to_sign_in(app, client, demo):
    for url in _urls(app, demo):
        response = client.get(url)
        if url == "/login":
            assert response.status_code == 200
        else:
            assert response.status_code == 302, url
            assert response.headers["Location"].startswith("/login?next="), url


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_every_page(client, auth, demo, role):
    auth.login_as(role)
    for page in READ_PAGES:
        url = page.format(drill=demo.id)
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("url", ["/drills/999", "/controls/A.99.1", "/nothing-here"])
def test_unknown_ids_get_a_404_page(client, auth, url):
    auth.login_as(Role.AUDITOR)
    response = client.get(url)
    assert response.status_code == 404
    assert b"There is nothing at this address" in response.data


def test_a_route_without_an_access_rule_stops_the_app(app):
    @app.route("/unguarded")
    def unguarded():
        return "secret"

    with pytest.raises(RuntimeError, match="without an access rule: unguarded"):
        check_every_route_has_a_rule(app)


def test_security_headers_on_every_response(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers
    assert "Strict-Transport-Security" in client.get("/login", base_url="https://localhost").headers

"""The suite's OpenID provider: tests/oidc_provider.mjs (the npm package oidc-provider) run by Node on loopback,
and a person's side of its pages, driven over HTTP as a browser would."""

import json
import re
import socket
import subprocess
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import requests

SCRIPT = Path(__file__).with_name("oidc_provider.mjs")

#: the groups-to-roles map the suite configures, as DRILLBOOK_OIDC_ROLE_MAP
ROLE_MAP = "dr-admins=admin,dr-cto=approver,dr-it=editor,auditors=auditor"


class TestProvider:
    """A running provider: its issuer, and what its administrator and its users can do."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.process = subprocess.Popen(
            ["node", str(SCRIPT), str(port)],
            cwd=SCRIPT.parent.parent,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line = self.process.stdout.readline()
        if not line.startswith("ready "):
            self.process.kill()
            raise RuntimeError(f"the OpenID provider did not start: {line!r}")
        self.issuer = line.split()[1]

    def settings(self, client: str = "drillbook", **extra) -> dict:
        """App settings that sign in through this provider as `client`."""
        return {
            "OIDC_ISSUER": self.issuer,
            "OIDC_CLIENT_ID": client,
            "OIDC_CLIENT_SECRET": f"{client}-secret",
            "OIDC_NAME": "Test IdP",
            "OIDC_SCOPES": "openid email profile groups",
            "OIDC_ROLE_MAP": ROLE_MAP,
            **extra,
        }

    def change_account(self, login: str, **change) -> None:
        """What the provider's administrator does: move someone between groups, disable them."""
        requests.put(f"{self.issuer}/test/accounts/{login}", data=json.dumps(change), timeout=5).raise_for_status()

    def sign_in(self, browser: requests.Session, authorize_url: str, login: str | None, until: str) -> str:
        """Follow `authorize_url` as a browser, sign in as `login` if asked, and return the address the
        provider sends the browser back to (the first one starting with `until`)."""
        url = authorize_url
        for _ in range(20):
            if url.startswith(until):
                return url
            response = browser.get(url, allow_redirects=False, timeout=10)
            if response.is_redirect:
                url = urljoin(url, response.headers["Location"])
                continue
            form = re.search(r'<form[^>]*action="([^"]+)"[^>]*method="post"', response.text)
            if form is None or 'name="login"' not in response.text:
                raise AssertionError(f"the provider answered {response.status_code}: {response.text[:300]}")
            if login is None:
                raise AssertionError("the provider asked for a sign-in")
            response = browser.post(
                urljoin(url, unescape(form.group(1))),
                data={"prompt": "login", "login": login, "password": "any"},
                allow_redirects=False,
                timeout=10,
            )
            url = urljoin(url, response.headers["Location"])
        raise AssertionError("the provider never sent the browser back")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

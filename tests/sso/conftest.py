"""A real OpenID provider for the single sign-on tests: tests/sso/provider.mjs (panva's oidc-provider) on
127.0.0.1, started once for the session, and a browser that signs in at it as a person would."""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from app.auth import sso
from app.config import parse_role_rule

HERE = Path(__file__).resolve().parent
CLIENT_ID, CLIENT_SECRET = "crucible", "a client secret for the tests only"
# The app under test answers at BASE_URL http://localhost (tests/conftest.py): the provider sends people back there.
APP_BASE = "http://localhost"
ROLE_RULE = "ethics-office=coordinator; ethics-chair=chair,reviewer"


@dataclass
class IdentityProvider:
    issuer: str

    def add_account(self, login: str, **claims) -> None:
        requests.post(f"{self.issuer}/test/accounts", json={login: claims}, timeout=5).raise_for_status()

    def alter_next_id_token(self, how: str) -> None:
        requests.post(f"{self.issuer}/test/next-id-token", data=how, timeout=5).raise_for_status()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def identity_provider():
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        message = "tests/sso needs its node modules: make test installs them (npm install in tests/sso)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    port = _free_port()
    clients = [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                "redirect_uris": [f"{APP_BASE}/login/sso/uni/callback"],
                "post_logout_redirect_uris": [f"{APP_BASE}/login"]}]
    process = subprocess.Popen(["node", str(HERE / "provider.mjs")], cwd=HERE, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PORT": str(port), "CLIENTS": json.dumps(clients)})
    try:
        deadline = time.monotonic() + 30
        assert process.stdout is not None
        for line in process.stdout:
            if line.strip() == "ready":
                break
            assert time.monotonic() < deadline, "the OpenID provider did not start"
        else:
            pytest.fail("the OpenID provider stopped before it was ready")
        yield IdentityProvider(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(timeout=10)


def provider_settings(issuer: str, **overrides) -> dict:
    """What OIDC_UNI_* in the environment would give (app/config.py), for the provider under test."""
    return {
        "label": "University Login",
        "metadata_url": f"{issuer}/.well-known/openid-configuration",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "scope": "openid email profile",
        "email_claim": "email",
        "name_claim": "name",
        "department_claim": "department",
        "groups_claim": "groups",
        "emails_verified": False,
        "roles": parse_role_rule(ROLE_RULE),
        **overrides,
    }


@pytest.fixture
def sso_app(app, identity_provider):
    """The suite's app with the provider configured as "uni" (the settings are restored after each test)."""
    app.config["OIDC_PROVIDERS"] = {"uni": provider_settings(identity_provider.issuer)}
    sso.init_app(app)
    return app


class Browser:
    """A person's browser at the identity provider (its cookies are the provider's session), handing the
    provider's answer to the app's test client, which holds the app's session."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer
        self.http = requests.Session()

    def follow(self, url: str, response: requests.Response | None = None) -> str:
        """Follow the provider's redirects until one leads back to the app; its URL."""
        while not url.startswith(APP_BASE):
            response = self.http.get(url, allow_redirects=False, timeout=10)
            if response.status_code not in (302, 303):
                return url
            url = requests.compat.urljoin(url, response.headers["Location"])
        return url

    def sign_in(self, client, login: str, start: str = "/login/sso/uni") -> str:
        """Start at the app, sign in at the provider as `login`; the callback URL the provider sends back."""
        started = client.get(start)
        assert started.status_code == 302 and started.location.startswith(self.issuer), started.location
        url = self.follow(started.location)
        if url.startswith(APP_BASE):  # the provider's session is still open: no sign-in page
            return url
        assert "/interaction/" in url
        answer = self.http.post(url, data={"login": login}, allow_redirects=False, timeout=10)
        return self.follow(requests.compat.urljoin(url, answer.headers["Location"]))

    def end_session(self, url: str) -> str:
        """Confirm the provider's sign-out page, as the person would; where the provider sends them."""
        page = self.http.get(url, timeout=10)
        form = re.search(r'<form[^>]*action="([^"]+)"', page.text)
        xsrf = re.search(r'name="xsrf" value="([^"]+)"', page.text)
        assert form and xsrf, page.text
        answer = self.http.post(requests.compat.urljoin(url, form.group(1)),
                                data={"xsrf": xsrf.group(1), "logout": "yes"}, allow_redirects=False, timeout=10)
        return answer.headers["Location"]


def local(url: str) -> str:
    """The app's path and query of an absolute URL back to it, for the test client."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


@pytest.fixture
def browser(identity_provider):
    return lambda: Browser(identity_provider.issuer)

"""Security headers on every response, caching of signed-in pages, HSTS only over HTTPS, cookie flags."""
from __future__ import annotations

import pytest

from app import create_app
from app.config import load_config
from tests.helpers import login, make_user

ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def assert_common_headers(response):
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert directives.get("frame-ancestors") == ["'none'"], csp
    assert directives.get("script-src") == ["'self'"], csp
    assert directives.get("object-src") == ["'none'"] and directives.get("base-uri") == ["'none'"], csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "*" not in csp
    for name, value in ALWAYS.items():
        assert response.headers.get(name) == value, name
    assert "camera=()" in response.headers.get("Permissions-Policy", "")


@pytest.mark.parametrize("path", ["/login", "/register", "/no-such-page", "/static/js/forms.js",
                                  "/bootstrap/static/css/bootstrap.min.css", "/forgot-password"])
def test_headers_on_anonymous_responses(client, path):
    response = client.get(path)
    assert_common_headers(response)
    # Nothing personal on these: no HSTS over plain HTTP, and caching is left to the defaults.
    assert "Strict-Transport-Security" not in response.headers
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_headers_on_error_and_refusal_responses(app, client):
    assert_common_headers(client.post("/login", data={"email": "a@example.ac.uk", "password": "x"}, csrf=False))
    assert_common_headers(client.get("/applications/1"))  # redirect to sign in


def test_signed_in_pages_are_not_stored(app, client):
    user = make_user(app)
    login(client, user)
    for path in ("/", "/account", "/applications/new", "/no-such-page"):
        response = client.get(path)
        assert_common_headers(response)
        assert response.headers.get("Cache-Control") == "no-store", path
    # Static files stay cacheable even for a signed-in user.
    assert "no-store" not in client.get("/static/js/forms.js").headers.get("Cache-Control", "")
    client.post("/logout")
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")


def test_hsts_only_over_https(client):
    secure = client.get("/login", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_hsts_behind_a_trusted_proxy(tmp_path):
    proxied = create_app({"TESTING": True, "SECRET_KEY": "k", "TRUSTED_PROXIES": 1, "SERVER_NAME": "localhost",
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite3'}"})
    client = proxied.test_client()
    response = client.get("/login", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
    assert "Strict-Transport-Security" in response.headers
    # Without TRUSTED_PROXIES the same header is not believed.
    direct = create_app({"TESTING": True, "SECRET_KEY": "k", "SERVER_NAME": "localhost",
                         "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'd.sqlite3'}"})
    response = direct.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers


def test_session_cookie_flags(app, client):
    user = make_user(app)
    response = login(client, user)
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    # Tests run over plain HTTP; production marks it Secure (next test).


def test_production_cookies_are_secure(monkeypatch):
    monkeypatch.setenv("CRUCIBLE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    config = load_config()
    assert config["SESSION_COOKIE_SECURE"] is True and config["REMEMBER_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True and config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["RATELIMIT_ENABLED"] is True


def test_mail_links_ignore_the_host_header(app, client, monkeypatch):
    """A reset link built from the request's Host would let anyone send a victim a link to their own site."""
    from sqlalchemy import select

    from app.core.mail import OutboxMessage
    from app.extensions import db

    # As in production: no SERVER_NAME; and no CSRF cookie can follow a request to another host name.
    monkeypatch.setitem(app.config, "SERVER_NAME", None)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    user = make_user(app)
    response = client.post("/forgot-password", data={"email": user.email}, base_url="http://evil.example",
                           buffered=True)
    assert response.status_code == 302
    with app.app_context():
        body = db.session.scalar(select(OutboxMessage.body).order_by(OutboxMessage.id.desc()))
    assert "evil.example" not in body
    assert app.config["BASE_URL"] + "/reset-password/" in body


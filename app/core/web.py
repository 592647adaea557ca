"""Request hooks shared by every page: security headers, template helpers, outbox delivery."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask, Response, current_app, g, request, session

from app.core.mail import deliver_pending
from app.core.markdown import render_markdown
from app.core.permissions import ROLES, may

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for mail: the configured BASE_URL plus the route's path.

    Never built from the request's Host header, which the client chooses: a password-reset link built
    from it could point at another site (host header poisoning).
    """
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    base_url: str = current_app.config["BASE_URL"]
    return base_url.rstrip("/") + path


# Features this app never uses are switched off for its pages and anything they might embed.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=()"
)


def register_web_hooks(app: Flask) -> None:
    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = PERMISSIONS_POLICY
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
        if request.is_secure:
            # Only over HTTPS (behind a proxy: TRUSTED_PROXIES makes X-Forwarded-Proto count).
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        # Static files first: no need to load the user for them.
        if not request.path.startswith(("/static/", "/bootstrap/")) and _signed_in():
            # Pages of a signed-in user stay out of every cache (shared computers, back button after sign-out).
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
        return response

    def _signed_in() -> bool:
        # The user this request loaded, if any, without loading it again: that would read User.active, which
        # a commit in the view has expired (a query on every save), and fails when the database is down.
        user = g.get("_login_user")
        if user is None:
            return "_user_id" in session
        return not user.is_anonymous

    @app.teardown_request
    def deliver_mail(exc: BaseException | None) -> None:
        if exc is None and g.get("crucible_mail_pending"):
            deliver_pending()

    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.globals["ROLE_LABELS"] = ROLES
    app.jinja_env.globals["may"] = may
    app.jinja_env.filters["datetime"] = lambda value: value.strftime("%-d %b %Y, %H:%M UTC") if value else ""
    app.jinja_env.filters["date"] = lambda value: value.strftime("%-d %B %Y") if value else ""
    app.jinja_env.filters["datetime_attr"] = machine_time


def machine_time(value: datetime | date | None) -> str:
    """A <time datetime="..."> value: whole seconds, since HTML allows at most three digits of a fraction (the
    stored microseconds made every such attribute invalid)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return value.isoformat()

"""Request hooks shared by every page: security headers, template helpers, outbox delivery."""
from __future__ import annotations

from flask import Flask, g, request
from flask_login import current_user

from app.core.markdown import render_markdown
from app.core.permissions import ROLES

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def register_web_hooks(app: Flask) -> None:
    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        if request.is_secure:
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if current_user.is_authenticated and not request.path.startswith(("/static/", "/bootstrap/")):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.teardown_request
    def deliver_mail(exc):
        if exc is None and g.get("crucible_mail_pending"):
            from app.core.mail import deliver_pending

            deliver_pending()

    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.globals["ROLE_LABELS"] = ROLES
    app.jinja_env.filters["datetime"] = lambda value: value.strftime("%-d %b %Y, %H:%M UTC") if value else ""
    app.jinja_env.filters["date"] = lambda value: value.strftime("%-d %B %Y") if value else ""

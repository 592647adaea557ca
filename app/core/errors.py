"""Friendly error pages with a reference id for support; no stack trace ever reaches a user."""
from __future__ import annotations

import logging
import secrets

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger("crucible.errors")

MESSAGES = {
    400: ("Something in the request was not right", "The page could not use what was sent. Go back, check the form and try again."),
    403: ("You do not have access to this page", "If you think you should, ask the application's owner or the research office."),
    404: ("Page not found", "Check the address, or go back to your dashboard."),
    405: ("That action is not available here", "Go back and use the buttons on the page."),
    409: ("That cannot be done right now", "The application has changed since the page was loaded."),
    413: ("The file or form is too large", "Send something smaller."),
    429: ("Too many attempts", "Wait a few minutes and try again."),
    500: ("Something went wrong on our side", "Nothing you did caused this. Try again; if it keeps happening, contact the research office with the reference below."),
}


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.is_json


def render_error(status: int, detail: str | None = None, *, template_context: dict | None = None):
    reference = secrets.token_hex(4).upper()
    title, default_detail = MESSAGES.get(status, MESSAGES[500] if status >= 500 else MESSAGES[400])
    log.info("HTTP %s on %s %s (ref %s): %s", status, request.method, request.path, reference, detail or "")
    if _wants_json():
        return jsonify(error=title, detail=detail or default_detail, reference=reference), status
    context = {"status": status, "title": title, "detail": detail or default_detail, "reference": reference}
    context.update(template_context or {})
    return render_template("error.html", **context), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(
            400, "The form had expired or was sent from another site. Reload the page and try again; what you typed is still in your browser's back history."
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        detail = error.description if code in (409,) and error.description else None
        return render_error(code, detail)

    @app.errorhandler(Exception)
    def unhandled(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        log.exception("Unhandled error on %s %s", request.method, request.path)
        return render_error(500)

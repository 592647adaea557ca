"""Friendly error pages with a reference id for support; no stack trace ever reaches a user."""
from __future__ import annotations

import logging
import secrets
from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from app.extensions import db

log = logging.getLogger("crucible.errors")

MESSAGES = {
    400: ("Something in the request was not right",
          "The page could not use what was sent. Go back, check the form and try again."),
    403: ("You do not have access to this page",
          "If you think you should, ask the application's owner or the research office."),
    404: ("Page not found", "Check the address, or go back to your dashboard."),
    405: ("That action is not available here", "Go back and use the buttons on the page."),
    409: ("That cannot be done right now", "The application has changed since the page was loaded."),
    413: ("The file or form is too large", "Send something smaller."),
    429: ("Too many attempts", "Wait a few minutes and try again."),
    500: ("Something went wrong on our side",
          "Nothing you did caused this. Try again; if it keeps happening, contact the research office with the "
          "reference below."),
    503: ("Crucible is briefly unavailable",
          "Nothing you did caused this, and nothing already saved is lost. Wait a minute and try again."),
}


class Forbidden(Exception):
    """A user asked for something an access predicate refuses; one handler answers it with the 403 page.

    Raised by `core.permissions.allowed` and by services, which check the same predicates as the routes.
    """


# Seconds a client is asked to wait when the database cannot be reached (a restart takes a few).
RETRY_AFTER_SECONDS = 30


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.is_json


# An error page as a view returns it: the JSON or HTML body, and the status.
ErrorResponse = tuple[Response | str, int]


def render_error(status: int, detail: str | None = None, *,
                 template_context: dict[str, Any] | None = None) -> ErrorResponse:
    reference = secrets.token_hex(4).upper()
    title, default_detail = MESSAGES.get(status, MESSAGES[500] if status >= 500 else MESSAGES[400])
    log.info("HTTP %s on %s %s (ref %s): %s", status, request.method, request.path, reference, detail or "")
    if _wants_json():
        return jsonify(error=title, detail=detail or default_detail, reference=reference), status
    context = {"status": status, "title": title, "detail": detail or default_detail, "reference": reference}
    context.update(template_context or {})
    try:
        return render_template("error.html", **context), status
    except Exception:  # noqa: BLE001 - the page itself failed (the database is down: the menu needs the user)
        log.exception("error page %s failed; serving the plain one (ref %s)", status, reference)
        # Straight from the environment: render_template would run the context processors, and Flask-Login's
        # loads the signed-in user from the database again.
        return current_app.jinja_env.get_template("error_plain.html").render(**context), status


def register_error_handlers(app: Flask) -> None:
    @app.teardown_appcontext
    def close_session_quietly(exc: BaseException | None) -> None:
        """Runs before Flask-SQLAlchemy's own teardown (registered earlier, so run later), which would let the
        ROLLBACK on a connection the database has just dropped escape to the WSGI server after the response is
        already made: it is closed here, and a failure logged instead."""
        try:
            db.session.remove()
        except Exception as error:  # noqa: BLE001 - the connection is gone; the pool replaces it
            log.warning("closing the database session failed (connection lost): %s", error)
            db.session.registry.clear()

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> ErrorResponse:
        return render_error(
            400, "The form had expired or was sent from another site. Reload the page and try again; what you typed "
            "is still in your browser's back history."
        )

    @app.errorhandler(Forbidden)
    def forbidden(error: Forbidden) -> ErrorResponse:
        log.info("refused: %s", error)
        return render_error(403)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ErrorResponse:
        code = error.code or 500
        detail = error.description if code in (409,) and error.description else None
        return render_error(code, detail)

    @app.errorhandler(Exception)
    def unhandled(error: Exception) -> ResponseReturnValue:
        if isinstance(error, HTTPException):
            return http_error(error)
        if _database_unreachable(error):
            log.error("Database unreachable on %s %s: %s", request.method, request.path, error)
            _discard_transaction()
            response, status = render_error(503)
            response = app.make_response((response, status))
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        log.exception("Unhandled error on %s %s", request.method, request.path)
        return render_error(500)


def _database_unreachable(error: Exception) -> bool:
    """A lost or refused database connection (a restart, a failover), as opposed to a bug in a query."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, (OperationalError, InterfaceError))


def _discard_transaction() -> None:
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is already gone; the pool replaces it
        log.debug("rollback after a lost connection failed", exc_info=True)

"""Work done after the response has been sent, in its own application context.

Used where the work itself would tell the client something through the response time: a password-reset
request for a known address writes a mail and an audit row, one for an unknown address writes nothing, so
doing that work in the request made known addresses measurably slower. The request only names the work; the
same few statements run on both paths, and the answer goes out before the work starts. Also used for work that
would keep a person waiting: without a queue, a decision's signed assessment is produced after its response.

The work runs from the WSGI response's close(), which servers call once the body is written (gunicorn, the
development server, the test client). It gets a fresh app context, so its own database session; outgoing
mail it queued is delivered at its end, as a request's would be in teardown.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, g

from app.core.mail import deliver_pending
from app.extensions import db

log = logging.getLogger("crucible.deferred")

Work = list[tuple[Callable[..., None], tuple[Any, ...], dict[str, Any]]]


def after_response(func: Callable[..., None], *args: Any, **kwargs: Any) -> None:
    """Run func(*args, **kwargs) once this request's response has been sent. Arguments must be plain values."""
    g.setdefault("crucible_deferred", []).append((func, args, kwargs))


def attach(app: Flask) -> None:
    @app.after_request
    def _run_deferred_on_close(response: Response) -> Response:
        work = g.pop("crucible_deferred", None)
        if work:
            application = current_app._get_current_object()  # type: ignore[attr-defined]
            response.call_on_close(lambda: run(application, work))
        return response


def run(application: Flask, work: Work) -> None:
    for func, args, kwargs in work:
        with application.app_context():
            try:
                func(*args, **kwargs)
                if g.get("crucible_mail_pending"):
                    deliver_pending()
            except Exception:  # noqa: BLE001 - the response is gone; log it, and leave the next piece of work be
                log.exception("deferred work %s failed", getattr(func, "__name__", func))
                db.session.rollback()

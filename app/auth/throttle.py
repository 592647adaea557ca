"""Sign-in throttling: too many failed sign-ins for one account, or from one address, and further attempts
are refused with 429, even with the right password, until the window has passed.

Two counters, kept where each works best:

* Per account, in the database. Every failed sign-in is already an audit event (`user.sign_in_failed`,
  with the normalised email address tried), so the counter is a count of those rows inside the window,
  after the account's last successful sign-in. Nothing else to store or migrate; it is shared by every
  gunicorn worker and machine without Redis, and an unknown address is counted exactly like a known one,
  so a 429 never reveals which addresses have accounts.
* Per address, with Flask-Limiter on the sign-in view: one moving window per client address that only
  failed attempts use up. Its storage is Redis when REDIS_URL is set (shared by all workers), else memory
  (per worker process: with N workers an address gets up to N times the limit, which the per-account
  counter does not allow for any one account).

Every refusal is logged (logger `crucible.auth`) and audited as `user.sign_in_throttled`.

Password re-entry (the account page's current password, the chair's signing password) is throttled the same
way per account: each wrong password is audited as `user.password_reentry_failed`, and after
LOGIN_FAILURES_PER_ACCOUNT of them within the window further attempts are refused with 429 without checking the
password (`user.password_reentry_throttled`). Someone holding a signed-in session (a borrowed computer, a stolen
cookie) can no longer guess the password behind it. Only a signed-in session reaches these forms, so the
per-account counter is the one that matters; every guess also costs that session a full request.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app, g, request
from sqlalchemy import func, select

from app.auth.models import find_user_by_email, normalise_email
from app.core.audit import AuditEvent, record
from app.core.models import utcnow
from app.extensions import db

log = logging.getLogger("crucible.auth")

FAILED = "user.sign_in_failed"
THROTTLED = "user.sign_in_throttled"
REENTRY_FAILED = "user.password_reentry_failed"
REENTRY_THROTTLED = "user.password_reentry_throttled"
# Reasons that count as a guess: a right password for a deactivated account is not one.
GUESSES = ("wrong_password", "unknown_email")

# The clock the per-account window is measured with; tests move it instead of sleeping.
clock = utcnow


def window() -> timedelta:
    return timedelta(seconds=current_app.config.get("LOGIN_FAILURE_WINDOW", 900))


def address_limit() -> str:
    """Flask-Limiter's limit for the sign-in view, read from the configuration at request time."""
    config = current_app.config
    return f"{config.get('LOGIN_FAILURES_PER_ADDRESS', 10)} per {config.get('LOGIN_FAILURE_WINDOW', 900)} seconds"


def note_failure() -> None:
    """Mark this request as a failed sign-in, so the per-address limit counts it."""
    g.crucible_sign_in_failed = True


def failure_counts(response) -> bool:
    """Flask-Limiter's deduct_when: only failed sign-ins use up the per-address allowance."""
    return bool(g.get("crucible_sign_in_failed"))


def recent_failures(email: str, now: datetime | None = None) -> int:
    """Failed sign-ins for this address within the window and since the account last signed in."""
    email = normalise_email(email)
    now = now or clock()
    since = now - window()
    user = find_user_by_email(email)
    if user is not None and user.last_login_at is not None and user.last_login_at > since:
        since = user.last_login_at
    return db.session.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.action == FAILED,
            AuditEvent.at > since,
            AuditEvent.data["email"].as_string() == email,
            AuditEvent.data["reason"].as_string().in_(GUESSES),
        )
    ) or 0


def account_locked(email: str) -> bool:
    return recent_failures(email) >= current_app.config.get("LOGIN_FAILURES_PER_ACCOUNT", 10)


def refuse(scope: str, email: str | None) -> None:
    """Log and audit one refused attempt (scope: 'account' or 'address'); the caller answers 429."""
    email = normalise_email(email or "")[:320] or None
    address = request.remote_addr
    log.warning("Sign-in refused: too many failed attempts for this %s (email=%s, address=%s)",
                scope, email, address)
    user = find_user_by_email(email) if email else None
    record(THROTTLED, actor=None, object_type="user", object_id=user.id if user else None,
           data={"email": email, "ip": address, "scope": scope})
    db.session.commit()


def on_address_limit(request_limit) -> None:
    """Flask-Limiter's on_breach for the sign-in view: the request is answered 429 by the error handler."""
    refuse("address", request.form.get("email"))


def failures(action: str, user_id: int, now: datetime | None = None) -> int:
    """Audit events `action` (a wrong re-entered password, a wrong second-step code) about this account within
    the window."""
    since = (now or clock()) - window()
    return db.session.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.action == action, AuditEvent.object_type == "user",
            AuditEvent.object_id == str(user_id), AuditEvent.at > since,
        )
    ) or 0


def reentry_locked(user_id: int) -> bool:
    return failures(REENTRY_FAILED, user_id) >= current_app.config.get("LOGIN_FAILURES_PER_ACCOUNT", 10)

"""Every change to accounts and sign-in sessions happens here, with its audit event, in one transaction.

Signing in creates a server-side UserSession whose random token is what Flask-Login keeps in the cookie
(see User.get_id), so listing and revoking sessions works, and a revoked session's cookie stops working
on the very next request.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from functools import lru_cache
from typing import Any, cast

from flask import current_app, g, request, session
from flask_login import login_user, logout_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import CursorResult, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import TooManyRequests
from werkzeug.security import check_password_hash, generate_password_hash

from app.auth import throttle
from app.auth.models import User, UserRole, UserSession, find_user_by_email, normalise_email
from app.auth.permissions import owns_session
from app.auth.sso import local_password_allowed
from app.core.audit import record
from app.core.crypto import InvalidToken, fernet
from app.core.deferred import after_response
from app.core.mail import queue_mail
from app.core.models import utcnow
from app.core.permissions import GRANTABLE_ROLES, Resource
from app.core.web import external_url
from app.extensions import db, login_manager

LAST_SEEN_INTERVAL = timedelta(minutes=5)
RESET_SALT = "password-reset"


class EmailTaken(Exception):
    """An account with this email address already exists."""


class ReentryThrottled(TooManyRequests):
    """Too many wrong passwords re-entered by one account: answered 429 by the error pages."""


class AccountRuleError(Exception):
    """A requested change breaks a rule (e.g. an admin removing their own admin role)."""


# --- Loading the signed-in user ----------------------------------------------------------------------

# Every request runs this, so it is built once (building a statement costs more than running it here), and
# the roles come in the same round trip instead of a second SELECT.
_SIGNED_IN_USER = (
    select(UserSession, User)
    .join(User, UserSession.user_id == User.id)
    .where(UserSession.token == bindparam("token"), UserSession.revoked_at.is_(None), User.active.is_(True))
    .options(joinedload(User.role_grants))
)


@login_manager.user_loader
def load_user(token: str) -> User | None:
    """Flask-Login's id is the UserSession token: only a live session of an active user signs anyone in."""
    if not token:
        return None
    row = db.session.execute(_SIGNED_IN_USER, {"token": token}).unique().first()
    if row is None:
        return None
    user_session, user = row
    if _session_expired(user_session):
        # Idle too long, or signed in too long ago: revoke it, so the cookie never works again.
        user_session.revoked_at = utcnow()
        record("user.session_expired", actor=user, object_type="user", object_id=user.id,
               data={"session_id": user_session.id})
        db.session.commit()
        return None
    user.current_session = user_session
    return user


def _session_expired(user_session: UserSession) -> bool:
    """Past SESSION_IDLE_TIMEOUT since last seen, or SESSION_MAX_AGE since sign-in (seconds; 0: never)."""
    now = utcnow()
    idle = current_app.config.get("SESSION_IDLE_TIMEOUT", 0)
    max_age = current_app.config.get("SESSION_MAX_AGE", 0)
    if idle and user_session.last_seen_at is not None and now - user_session.last_seen_at > timedelta(seconds=idle):
        return True
    return bool(max_age and user_session.created_at is not None
                and now - user_session.created_at > timedelta(seconds=max_age))


def touch_session(user: User) -> None:
    """Record activity on the current session, at most once every LAST_SEEN_INTERVAL.

    Called at the start of a request (before the view has changed anything), so committing is safe.
    """
    user_session = user.current_session
    if user_session is None:
        return
    now = utcnow()
    if user_session.last_seen_at is None or now - user_session.last_seen_at >= LAST_SEEN_INTERVAL:
        user_session.last_seen_at = now
        db.session.commit()


# --- Accounts ------------------------------------------------------------------------------------

def create_user(*, email: str, name: str, password: str | None, roles=(), actor=None,
                action: str = "user.created", password_hash: str | None = None,
                department: str | None = None) -> User:
    """Create an account (roles beyond 'applicant' optional) and audit it; the caller has checked the password."""
    email = normalise_email(email)
    unknown = set(roles) - set(GRANTABLE_ROLES) - {"applicant"}
    if unknown:
        raise AccountRuleError(f"Unknown role: {', '.join(sorted(unknown))}")
    if find_user_by_email(email) is not None:
        raise EmailTaken(email)
    user = User(email=email, name=name.strip(), department=department or None, active=True)
    if password_hash is not None:
        user.password_hash = password_hash
    else:
        user.set_password(password or "")
    granted_by = getattr(actor, "id", None)
    user.role_grants = [
        UserRole(role=role, granted_by_id=granted_by) for role in sorted(set(roles)) if role != "applicant"
    ]
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError as exc:  # a concurrent registration won the race for this address
        db.session.rollback()
        raise EmailTaken(email) from exc
    record(
        action,
        actor=actor if actor is not None else (user if action == "user.registered" else None),
        object_type="user",
        object_id=user.id,
        data={"email": user.email, "name": user.name, "department": user.department, "roles": sorted(user.roles)},
    )
    db.session.commit()
    return user


def grant_role(user: User, role: str, *, actor=None) -> bool:
    """Add one role (returns False if the user already had it)."""
    if role not in GRANTABLE_ROLES:
        raise AccountRuleError(f"Unknown or non-grantable role: {role}")
    if user.has_role(role):
        return False
    before = sorted(user.roles)
    user.role_grants.append(UserRole(role=role, granted_by_id=getattr(actor, "id", None)))
    db.session.flush()
    record("user.roles_changed", actor=actor, object_type="user", object_id=user.id,
           data={"before": before, "after": sorted(user.roles)})
    db.session.commit()
    return True


# --- Signing in and out --------------------------------------------------------------------------

@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    return generate_password_hash("not a real password, only for equal timing", method=method)


def authenticate(email: str, password: str) -> tuple[User | None, str | None]:
    """(user, None) for good credentials of an active account, else (None, reason).

    The reason is 'inactive' only when the password was right, so the page may say so without revealing
    anything to someone who does not know the password; every other failure reads the same to the user.
    A failed attempt is audited with the address tried, never the password.

    After LOGIN_FAILURES_PER_ACCOUNT failed attempts for the address within the window, the reason is
    'throttled' and the password is not even checked (see throttle.py).
    """
    email = normalise_email(email or "")
    password = password or ""
    if not local_password_allowed(email):
        record("user.sign_in_failed", actor=None, object_type="user", object_id=None,
               data={"email": email, "reason": "local_passwords_off", "ip": request.remote_addr})
        db.session.commit()
        return None, "local_passwords_off"
    if throttle.account_locked(email):
        throttle.refuse("account", email)
        return None, "throttled"
    user = find_user_by_email(email)
    if user is None:
        # Spend the same time as a real check so response times do not reveal which addresses exist.
        check_password_hash(_dummy_hash(current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")), password)
        reason = "unknown_email"
    elif not user.check_password(password):
        reason = "wrong_password"
    elif not user.active:
        reason = "inactive"
    else:
        return user, None
    if reason != "inactive":
        throttle.note_failure()
    record(
        "user.sign_in_failed",
        actor=None,
        object_type="user",
        object_id=user.id if user else None,
        data={"email": email, "reason": reason, "ip": request.remote_addr},
    )
    db.session.commit()
    return None, ("inactive" if reason == "inactive" else "bad_credentials")


def reentered_password_ok(user: User, password: str, *, purpose: str) -> bool:
    """Check a password asked for again from a signed-in user (purpose: 'password_change', 'decision').

    Throttled like sign-in (throttle.py): after too many wrong ones in the window, ReentryThrottled, and the
    password is not checked. A wrong one is audited, and committed at once so a rollback of the caller's
    transaction cannot undo the count.
    """
    if throttle.reentry_locked(user.id):
        throttle.log.warning("Password re-entry refused: too many wrong passwords (user=%s, purpose=%s, address=%s)",
                             user.id, purpose, request.remote_addr)
        record(throttle.REENTRY_THROTTLED, actor=user, object_type="user", object_id=user.id,
               data={"purpose": purpose, "ip": request.remote_addr})
        db.session.commit()
        raise ReentryThrottled()
    if user.check_password(password or ""):
        return True
    record(throttle.REENTRY_FAILED, actor=user, object_type="user", object_id=user.id,
           data={"purpose": purpose, "ip": request.remote_addr})
    db.session.commit()
    return False


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def _client_details() -> dict:
    agent = request.headers.get("User-Agent", "")[:300] or None
    return {"user_agent": agent, "ip_address": (request.remote_addr or "")[:64] or None}


def sign_in(user: User) -> UserSession:
    """Open a new server-side session for the user and bind this browser to it."""
    user_session = UserSession(user_id=user.id, **_client_details())
    db.session.add(user_session)
    user.last_login_at = utcnow()
    db.session.flush()
    record("user.signed_in", actor=user, object_type="user", object_id=user.id,
           data={"session_id": user_session.id, "ip": user_session.ip_address})
    db.session.commit()
    # A fresh session cookie on sign-in prevents session fixation. Flask-WTF makes a new raw CSRF token
    # the next time a form needs one, so forms keep working.
    session.clear()
    g.pop("csrf_token", None)
    user.current_session = user_session
    login_user(user)
    return user_session


def sign_out(user: User) -> None:
    """Revoke this browser's session and forget it."""
    user_session = user.current_session
    if user_session is not None and user_session.revoked_at is None:
        user_session.revoked_at = utcnow()
        record("user.signed_out", actor=user, object_type="user", object_id=user.id,
               data={"session_id": user_session.id})
        db.session.commit()
    logout_user()
    session.clear()
    g.pop("csrf_token", None)


# --- Sessions ------------------------------------------------------------------------------------

def active_sessions(user: User) -> list[UserSession]:
    return list(
        db.session.scalars(
            select(UserSession)
            .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
            .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
        )
    )


def live_session(session_id: int) -> UserSession | None:
    """A session not yet revoked, whoever's it is (auth.permissions.owns_session says who may touch it)."""
    return db.session.scalar(select(UserSession).where(UserSession.id == session_id, UserSession.revoked_at.is_(None)))


# A live session, known only to its own user: anyone else's answers 404, like a missing one.
USER_SESSION: Resource[UserSession] = Resource("target", load=live_session, visible=owns_session, id_arg="session_id")


def _revoke_sessions(user: User, *, keep: UserSession | None = None) -> int:
    """Mark the user's live sessions revoked (all of them, or all but `keep`); return how many."""
    statement = (
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if keep is not None:
        statement = statement.where(UserSession.id != keep.id)
    # An UPDATE's result is a CursorResult, which counts the rows.
    result = cast(CursorResult[Any], db.session.execute(statement))
    return result.rowcount or 0


def revoke_session(user: User, user_session: UserSession) -> None:
    user_session.revoked_at = utcnow()
    record("user.session_revoked", actor=user, object_type="user", object_id=user.id,
           data={"session_id": user_session.id})
    db.session.commit()


def revoke_other_sessions(user: User) -> int:
    count = _revoke_sessions(user, keep=user.current_session)
    record("user.other_sessions_revoked", actor=user, object_type="user", object_id=user.id,
           data={"sessions_revoked": count, "kept_session_id": getattr(user.current_session, "id", None)})
    db.session.commit()
    return count


def revoke_all_sessions(user: User) -> int:
    """Revoke every live session of the user (e.g. on deactivation); the caller audits and commits."""
    return _revoke_sessions(user)


# --- Passwords -----------------------------------------------------------------------------------

def change_password(user: User, new_password: str) -> int:
    """Set a new password and sign out every other session; the current one stays signed in."""
    user.set_password(new_password)
    count = _revoke_sessions(user, keep=user.current_session)
    record("user.password_changed", actor=user, object_type="user", object_id=user.id,
           data={"other_sessions_revoked": count})
    _queue_password_changed_notice(user)
    db.session.commit()
    return count


def _reset_serializer() -> URLSafeTimedSerializer:
    secret_key = current_app.secret_key
    if secret_key is None:
        raise RuntimeError("SECRET_KEY is not set: password reset links cannot be signed")
    return URLSafeTimedSerializer(secret_key, salt=RESET_SALT)


def _password_fingerprint(user: User) -> str:
    """Changes whenever the password does (new salt each time), which makes a reset link single-use."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:32]


def make_reset_token(user: User) -> str:
    return _reset_serializer().dumps({"user": user.id, "fp": _password_fingerprint(user)})


def user_for_reset_token(token: str) -> tuple[User | None, str | None]:
    """(user, None) for a valid token; (None, 'expired' | 'invalid') otherwise."""
    max_age = current_app.config.get("PASSWORD_RESET_MAX_AGE", 3600)
    try:
        payload = _reset_serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        return None, "expired"
    except BadSignature:
        return None, "invalid"
    if not isinstance(payload, dict):
        return None, "invalid"
    user = db.session.get(User, payload.get("user")) if isinstance(payload.get("user"), int) else None
    if user is None or not user.active:
        return None, "invalid"
    if not hmac.compare_digest(str(payload.get("fp", "")), _password_fingerprint(user)):
        return None, "used"
    return user, None


def request_password_reset(email: str) -> None:
    """Name the reset work for after the response (see deferred_password_reset): the request does the same
    for every address, so neither its answer nor its time says whether the address has an account."""
    after_response(deferred_password_reset, normalise_email(email or "")[:320], request.remote_addr)


def deferred_password_reset(email: str, ip: str | None) -> None:
    """Send a reset link if the address belongs to an active account; do nothing visible otherwise."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        return
    link = external_url("auth.reset_password", token=make_reset_token(user))
    minutes = max(1, current_app.config.get("PASSWORD_RESET_MAX_AGE", 3600) // 60)
    queue_mail(
        user.email,
        "Reset your Crucible password",
        f"Hello {user.name},\n\n"
        "Someone, hopefully you, asked to reset the password for your Crucible account.\n"
        f"Open this link to choose a new password. It works once, within the next {minutes} minutes:\n\n"
        f"{link}\n\n"
        "If you did not ask for this, you can ignore this email: your password has not changed.\n",
        user_id=user.id,
        secrets=[link],
    )
    record("user.password_reset_requested", actor=None, object_type="user", object_id=user.id,
           data={"email": user.email, "ip": ip})
    db.session.commit()


# --- Registration by mailed link -----------------------------------------------------------------
# The registration form's answer is the same whether or not the address has an account: the account is
# created only from a link mailed to the address, and an address that has one gets a mail saying so instead.

REGISTRATION_PURPOSE = "registration link"


def request_registration(*, email: str, name: str, password: str, department: str = "") -> None:
    """Hash the password here (the same cost for every address) and leave the rest for after the response."""
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    after_response(deferred_registration, normalise_email(email)[:320], name.strip(),
                   generate_password_hash(password, method=method), request.remote_addr,
                   " ".join(department.split())[:200])


def deferred_registration(email: str, name: str, password_hash: str, ip: str | None, department: str = "") -> None:
    existing = find_user_by_email(email)
    if existing is not None:
        queue_mail(
            existing.email,
            "Someone tried to create a Crucible account with your address",
            f"Hello {existing.name},\n\n"
            "Someone, perhaps you, tried to create a Crucible account with this email address, which already has "
            "one. Nothing was changed.\n\n"
            f"To sign in: {external_url('auth.login')}\n"
            f"If you have forgotten your password: {external_url('auth.forgot_password')}\n",
            user_id=existing.id,
        )
        record("user.registration_refused", actor=None, object_type="user", object_id=existing.id,
               data={"email": email, "reason": "email_taken", "ip": ip})
    else:
        token = fernet(REGISTRATION_PURPOSE).encrypt(
            json.dumps({"email": email, "name": name, "password_hash": password_hash,
                        "department": department}).encode()
        ).decode()
        link = external_url("auth.confirm_registration", token=token)
        hours = max(1, current_app.config.get("REGISTRATION_LINK_MAX_AGE", 86400) // 3600)
        queue_mail(
            email,
            "Finish creating your Crucible account",
            f"Hello {name},\n\n"
            f"Open this link within {hours} hours to finish creating your Crucible account:\n\n{link}\n\n"
            "If you did not ask for an account, ignore this email and no account will be made.\n",
            secrets=[link],
        )
        record("user.registration_requested", actor=None, object_type="user", object_id=None,
               data={"email": email, "ip": ip})
    db.session.commit()


def registration_from_token(token: str) -> tuple[dict | None, str | None]:
    """(details, None) for a valid link; (None, 'expired' | 'invalid' | 'used') otherwise."""
    max_age = current_app.config.get("REGISTRATION_LINK_MAX_AGE", 86400)
    try:
        details = json.loads(fernet(REGISTRATION_PURPOSE).decrypt(token.encode(), ttl=max_age))
    except InvalidToken:
        # Fernet does not say which; a link older than its age is the usual cause, a mangled one the other.
        try:
            fernet(REGISTRATION_PURPOSE).decrypt(token.encode())
        except (InvalidToken, ValueError):
            return None, "invalid"
        return None, "expired"
    except ValueError:
        return None, "invalid"
    if not isinstance(details, dict) or not all(isinstance(details.get(k), str)
                                                for k in ("email", "name", "password_hash")):
        return None, "invalid"
    if find_user_by_email(details["email"]) is not None:
        return None, "used"
    return details, None


def complete_registration(details: dict) -> User:
    """Create the account the link describes (it starts as an applicant only); EmailTaken if made meanwhile."""
    # Links mailed before the department was asked for carry none.
    department = details.get("department")
    return create_user(email=details["email"], name=details["name"], password=None,
                       password_hash=details["password_hash"], action="user.registered",
                       department=department if isinstance(department, str) else None)


def reset_password(user: User, new_password: str) -> int:
    """Set the new password from a reset link and sign out everywhere."""
    user.set_password(new_password)
    count = _revoke_sessions(user)
    record("user.password_reset", actor=user, object_type="user", object_id=user.id,
           data={"sessions_revoked": count})
    _queue_password_changed_notice(user)
    db.session.commit()
    return count


def _queue_password_changed_notice(user: User) -> None:
    queue_mail(
        user.email,
        "Your Crucible password was changed",
        f"Hello {user.name},\n\n"
        "The password for your Crucible account was just changed, and your other sessions were signed out.\n"
        "If this was not you, reset your password at once and tell the research office.\n",
        user_id=user.id,
    )


def update_expertise(user: User, actor: User, expertise: str) -> bool:
    """Set the user's areas of expertise (whitespace collapsed; empty clears them), with the audit event; the
    caller commits. Whether anything changed."""
    text = " ".join(expertise.split()) or None
    if text == user.expertise:
        return False
    record("user.expertise_changed", actor=actor, object_type="user", object_id=user.id,
           data={"before": user.expertise, "after": text})
    user.expertise = text
    return True


def set_expertise(user: User, expertise: str) -> bool:
    """The user's own change of their areas of expertise (the account page)."""
    changed = update_expertise(user, user, expertise)
    if changed:
        db.session.commit()
    return changed


def set_mail_digest(user: User, digest: bool) -> None:
    if user.mail_digest != digest:
        user.mail_digest = digest
        record("user.mail_preference_changed", actor=user, object_type="user", object_id=user.id,
               data={"digest": digest})
        db.session.commit()


# --- Name, department and email address ---------------------------------------------------------------------
# A person edits their own name and department at once; a new email address of their own takes effect only when
# the link mailed to it is followed (proving they read it), and the old address is told. An administrator changes
# any of the three directly, and the person is told by email.

EMAIL_CHANGE_SALT = "email-change"


def update_details(user: User, actor: User, *, name: str, department: str) -> bool:
    """Set the name and department (whitespace collapsed; an empty department clears it), with the audit event;
    the caller commits. Whether anything changed."""
    new_name, new_department = " ".join(name.split()), " ".join(department.split()) or None
    if (new_name, new_department) == (user.name, user.department):
        return False
    record("user.details_changed", actor=actor, object_type="user", object_id=user.id,
           data={"before": {"name": user.name, "department": user.department},
                 "after": {"name": new_name, "department": new_department}})
    user.name, user.department = new_name, new_department
    return True


def set_details(user: User, *, name: str, department: str) -> bool:
    """The user's own change of their name and department (the account page)."""
    changed = update_details(user, user, name=name, department=department)
    if changed:
        db.session.commit()
    return changed


def _email_change_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt=EMAIL_CHANGE_SALT)


def require_free_email(user: User, email: str) -> str:
    """The address normalised; EmailTaken when another account has it."""
    email = normalise_email(email)
    other = find_user_by_email(email)
    if other is not None and other.id != user.id:
        raise EmailTaken(email)
    return email


def request_email_change(user: User, new_email: str) -> None:
    """Mail a confirmation link to the new address and tell the old one; nothing changes until the link is
    followed. EmailTaken when another account has the address."""
    new_email = require_free_email(user, new_email)
    # The link carries the address it replaces, so it works once: after the change it no longer matches.
    token = _email_change_serializer().dumps({"user": user.id, "old": user.email, "new": new_email})
    link = external_url("auth.confirm_email_change", token=token)
    hours = max(1, current_app.config.get("EMAIL_CHANGE_MAX_AGE", 86400) // 3600)
    queue_mail(new_email, "Confirm your new Crucible email address",
               f"Hello {user.name},\n\nYou asked to use this address for your Crucible account instead of "
               f"{user.email}. Open this link within {hours} hours to confirm it:\n\n{link}\n\n"
               "Until you do, your account keeps its current address. If you did not ask for this, ignore this "
               "email.\n", secrets=[link])
    queue_mail(user.email, "A change of your Crucible email address was requested",
               f"Hello {user.name},\n\nSomeone signed in to your Crucible account asked to change its email "
               f"address to {new_email}. The change happens only when the link sent to that address is "
               "followed; until then this address stays in use.\n"
               "If this was not you, change your password at once and tell the research office.\n",
               user_id=user.id)
    record("user.email_change_requested", actor=user, object_type="user", object_id=user.id,
           data={"email": user.email, "new_email": new_email})
    db.session.commit()


def email_change_from_token(token: str) -> tuple[User | None, str | None, str | None]:
    """(user, new address, None) for a valid link; (None, None, 'expired' | 'invalid' | 'used') otherwise."""
    max_age = current_app.config.get("EMAIL_CHANGE_MAX_AGE", 86400)
    try:
        payload = _email_change_serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        return None, None, "expired"
    except BadSignature:
        return None, None, "invalid"
    if not isinstance(payload, dict) or not isinstance(payload.get("user"), int):
        return None, None, "invalid"
    user = db.session.get(User, payload["user"])
    if user is None or not user.active:
        return None, None, "invalid"
    if payload.get("old") != user.email:
        return None, None, "used"
    return user, str(payload.get("new", "")), None


def change_email(user: User, actor: User | None, new_email: str) -> str | None:
    """Give the account a new address (from the confirmation link, or an administrator), audited, and tell the
    old address; the caller commits. EmailTaken when another account has it. The old address, or None when
    nothing changed."""
    new_email = require_free_email(user, new_email)
    old_email = user.email
    if new_email == old_email:
        return None
    user.email = new_email
    record("user.email_changed", actor=actor, object_type="user", object_id=user.id,
           data={"before": old_email, "after": new_email})
    queue_mail(old_email, "Your Crucible email address was changed",
               f"Hello {user.name},\n\nThe email address of your Crucible account is now {new_email}; this "
               "address is no longer used for it.\n"
               "If this was not you, tell the research office at once.\n")
    return old_email


def confirm_email_change(user: User, new_email: str) -> None:
    """The link was followed: the new address takes effect. EmailTaken when another account took it since."""
    change_email(user, user, new_email)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise EmailTaken(new_email) from None

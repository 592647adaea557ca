"""Two-step sign-in with an authenticator app (TOTP, RFC 6238), and recovery codes (ASVS 4.3.1, 2.8).

Who must use it is an institution setting, MFA_REQUIRED_ROLES (config.py): in production the admin, chair,
coordinator and security officer roles by default, in development nobody (the demo accounts sign in with their
passwords; enrolment is offered on the account page). A user in such a role who has not enrolled is signed in
but sent to enrolment before any other page (auth/routes.py). Crucible has no single sign-on; every account
signs in with its local password, so the requirement applies to every account in those roles.

Secrets are encrypted at rest (Fernet, key from MFA_ENCRYPTION_KEY or else SECRET_KEY, app/core/crypto.py);
recovery codes are stored hashed and work once; a TOTP code works once (the step is remembered). Wrong codes
are audited and throttled like sign-in (throttle.py). Every change is audited: user.mfa_enrolled,
user.mfa_verified, user.mfa_failed, user.mfa_recovery_code_used, user.mfa_disabled.
"""
from __future__ import annotations

import secrets
import time
from typing import Any

import pyotp
from flask import current_app, request
from sqlalchemy import delete, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.auth import throttle
from app.auth.models import User, UserRecoveryCode, UserTotp
from app.core.audit import record
from app.core.crypto import fernet
from app.core.models import utcnow
from app.extensions import db

PURPOSE = "totp secret"
RECOVERY_CODES = 10
FAILED = "user.mfa_failed"


class MfaThrottled(Exception):
    """Too many wrong codes for this account within the window."""


def _cipher():
    return fernet(PURPOSE, key_setting="MFA_ENCRYPTION_KEY")


def required_roles() -> frozenset[str]:
    return frozenset(current_app.config.get("MFA_REQUIRED_ROLES") or ())


def required_for(user: Any) -> bool:
    return bool(required_roles() & set(user.roles))


def factor(user: User) -> UserTotp | None:
    return db.session.scalar(select(UserTotp).where(UserTotp.user_id == user.id))


def enrolled(user: User) -> bool:
    totp = factor(user)
    return totp is not None and totp.confirmed_at is not None


def _totp(row: UserTotp) -> pyotp.TOTP:
    return pyotp.TOTP(_cipher().decrypt(row.secret_encrypted.encode()).decode())


def offer(user: User) -> tuple[str, str]:
    """The unconfirmed secret to enrol with (made once, kept until confirmed): (secret, otpauth URI)."""
    row = factor(user)
    if row is None:
        row = UserTotp(user_id=user.id, secret_encrypted=_cipher().encrypt(pyotp.random_base32().encode()).decode())
        db.session.add(row)
        db.session.commit()
    totp = _totp(row)
    issuer = current_app.config.get("MFA_ISSUER", "Crucible")
    return totp.secret, totp.provisioning_uri(name=user.email, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code (segno: pure Python, no image libraries)."""
    import segno

    return segno.make(uri, error="m").svg_inline(scale=4, title="QR code to add Crucible to an authenticator app")


def _accept(row: UserTotp, code: str) -> bool:
    """A current code (one step either side for clock drift) not used before; remembers its step."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return False
    totp = _totp(row)
    now = int(time.time())
    for drift in (0, -1, 1):
        step = now // totp.interval + drift
        if secrets.compare_digest(totp.at(step * totp.interval), code):
            if row.last_used_step is not None and step <= row.last_used_step:
                return False
            row.last_used_step = step
            return True
    return False


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(UserRecoveryCode).where(UserRecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    db.session.add_all(UserRecoveryCode(user_id=user.id, code_hash=generate_password_hash(code, method=method))
                       for code in codes)
    return codes


def confirm_enrolment(user: User, code: str) -> list[str] | None:
    """Confirm the offered secret with a code from the app; the new recovery codes (shown once), or None."""
    row = factor(user)
    if row is None or row.confirmed_at is not None or not _accept(row, code):
        db.session.rollback()
        return None
    row.confirmed_at = utcnow()
    codes = _new_recovery_codes(user)
    record("user.mfa_enrolled", actor=user, object_type="user", object_id=user.id,
           data={"method": "totp", "recovery_codes": len(codes)})
    db.session.commit()
    return codes


def _check_throttle(user: User) -> None:
    if throttle.failures(FAILED, user.id) >= current_app.config.get("LOGIN_FAILURES_PER_ACCOUNT", 10):
        throttle.log.warning("Second sign-in step refused: too many wrong codes (user=%s, address=%s)",
                             user.id, request.remote_addr)
        record("user.mfa_throttled", actor=None, object_type="user", object_id=user.id,
               data={"ip": request.remote_addr})
        db.session.commit()
        raise MfaThrottled()


def verify(user: User, code: str) -> bool:
    """The second sign-in step: a TOTP code, or else a recovery code (used up). Audited either way."""
    _check_throttle(user)
    row = factor(user)
    if row is not None and row.confirmed_at is not None and _accept(row, code):
        record("user.mfa_verified", actor=user, object_type="user", object_id=user.id,
               data={"method": "totp", "ip": request.remote_addr})
        db.session.commit()
        return True
    typed = code.strip().lower()
    for recovery in db.session.scalars(select(UserRecoveryCode).where(UserRecoveryCode.user_id == user.id,
                                                                      UserRecoveryCode.used_at.is_(None))):
        if typed and check_password_hash(recovery.code_hash, typed):
            recovery.used_at = utcnow()
            record("user.mfa_recovery_code_used", actor=user, object_type="user", object_id=user.id,
                   data={"ip": request.remote_addr, "left": remaining_recovery_codes(user)})
            db.session.commit()
            return True
    db.session.rollback()
    record(FAILED, actor=None, object_type="user", object_id=user.id, data={"ip": request.remote_addr})
    db.session.commit()
    return False


def remaining_recovery_codes(user: User) -> int:
    return len(db.session.scalars(select(UserRecoveryCode.id).where(
        UserRecoveryCode.user_id == user.id, UserRecoveryCode.used_at.is_(None))).all())


def disable(user: User) -> None:
    """Remove the authenticator and the recovery codes (the caller has asked for the password again)."""
    db.session.execute(delete(UserRecoveryCode).where(UserRecoveryCode.user_id == user.id))
    db.session.execute(delete(UserTotp).where(UserTotp.user_id == user.id))
    record("user.mfa_disabled", actor=user, object_type="user", object_id=user.id, data={})
    db.session.commit()

"""Symmetric encryption for secrets the app must read back (tokens it mails out, authenticator secrets).

Fernet (AES-128-CBC with HMAC-SHA256, a timestamp inside) with a key derived per purpose by HKDF, from
MFA_ENCRYPTION_KEY when it is set, else from SECRET_KEY. A separate purpose gives a separate key, so a token
made for one use can never be read as another.
"""
from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

__all__ = ["InvalidToken", "fernet"]


def fernet(purpose: str, *, key_setting: str = "SECRET_KEY") -> Fernet:
    secret = current_app.config.get(key_setting) or current_app.config["SECRET_KEY"]
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"crucible", info=purpose.encode()).derive(
        secret.encode() if isinstance(secret, str) else secret
    )
    return Fernet(base64.urlsafe_b64encode(derived))

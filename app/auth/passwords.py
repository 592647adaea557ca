"""Password rules shared by registration, password reset, password change and the create-user command.

The rules follow current guidance (NIST SP 800-63B): a generous length range, no composition rules, and a
check against passwords that are known to be common or easy to guess.
"""
from __future__ import annotations

import re
from functools import lru_cache

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 12
MAX_LENGTH = 128
MIN_SCORE = 2
# Parts of a name or email address shorter than this are too ordinary to forbid ("li", "ab").
_MIN_PERSONAL_PART = 3


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def _squash(text: str) -> str:
    """Lower-case letters and digits only, so 'Jane.Smith' and 'jane smith' compare equal."""
    return re.sub(r"[^0-9a-z]", "", text.lower())


def _personal_parts(email: str | None, name: str | None) -> list[str]:
    parts: list[str] = []
    if email and "@" in email:
        local = email.split("@", 1)[0]
        parts.append(_squash(local))
        parts.extend(_squash(p) for p in re.split(r"[._+\-]+", local))
    if name:
        parts.append(_squash(name))
        parts.extend(_squash(p) for p in name.split())
    return sorted({p for p in parts if len(p) >= _MIN_PERSONAL_PART}, key=len, reverse=True)


def password_problem(password: str, *, email: str | None = None, name: str | None = None) -> str | None:
    """Return a friendly reason the password cannot be used, or None when it is acceptable."""
    if password is None or len(password) < MIN_LENGTH:
        return f"Your password must be at least {MIN_LENGTH} characters long"
    if len(password) > MAX_LENGTH:
        return f"Your password must be {MAX_LENGTH} characters or fewer"
    if password.strip() == "":
        return "Your password cannot be only spaces"
    if password.lower() in _common_passwords() or password.strip().lower() in _common_passwords():
        return "This password is too common. Choose one that is harder to guess"
    squashed = _squash(password)
    for part in _personal_parts(email, name):
        if part in squashed:
            return "Your password must not contain your name or email address"
    user_inputs = [p for p in (email, name) if p]
    result = zxcvbn(password, user_inputs=user_inputs)
    if result["score"] < MIN_SCORE:
        warning = (result.get("feedback") or {}).get("warning") or ""
        advice = "Try a few unrelated words together"
        if warning:
            return f"This password is too easy to guess: {warning[0].lower()}{warning[1:].rstrip('.')}. {advice}"
        return f"This password is too easy to guess. {advice}"
    return None

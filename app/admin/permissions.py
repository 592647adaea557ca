"""Administration (users, roles, the outbox) is for administrators alone."""
from __future__ import annotations

from typing import Any


def can_administer(user: Any) -> bool:
    return user.has_any_role("admin")

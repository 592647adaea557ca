"""Each user manages their own account and sessions; nobody else's, whatever their roles."""
from __future__ import annotations

from typing import Any

from app.auth.models import UserSession


def owns_session(user: Any, session: UserSession) -> bool:
    """Another user's session is treated as not existing (404), so session ids cannot be probed."""
    return session.user_id == user.id

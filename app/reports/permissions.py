"""Institution-wide figures are for the research office."""
from __future__ import annotations

from typing import Any

from app.core.permissions import OFFICE_ROLES


def can_read_reports(user: Any) -> bool:
    return user.has_any_role(*OFFICE_ROLES)

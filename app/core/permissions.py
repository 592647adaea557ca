"""Roles and the decorators that guard routes by role."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import abort
from flask_login import current_user, login_required

# Every signed-in user is an applicant; the others are granted by an admin.
ROLES: dict[str, str] = {
    "applicant": "Applicant",
    "reviewer": "Reviewer",
    "chair": "Committee chair",
    "coordinator": "Research office coordinator",
    "security_officer": "Security officer (export control / Trusted Research)",
    "admin": "Administrator",
}
GRANTABLE_ROLES = tuple(r for r in ROLES if r != "applicant")
COMMITTEE_ROLES = frozenset({"reviewer", "chair", "coordinator", "security_officer", "admin"})

P = ParamSpec("P")
R = TypeVar("R")


def roles_required(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Allow the view to users holding any of the given roles; others get 403."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        def with_role(*args: P.args, **kwargs: P.kwargs) -> R:
            if not current_user.has_any_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        signed_in: Callable[P, R] = login_required(with_role)
        return wraps(view)(signed_in)

    return decorator

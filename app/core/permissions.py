"""Roles and the decorators that guard routes by role."""
from __future__ import annotations

from functools import wraps

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


def roles_required(*roles: str):
    """Allow the view to users holding any of the given roles; others get 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_any_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator

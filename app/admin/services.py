"""Changes an administrator makes to other accounts, each audited in the same transaction."""
from __future__ import annotations

from app.auth import services as auth_services
from app.auth.models import User, UserRole
from app.core.audit import record
from app.core.permissions import GRANTABLE_ROLES
from app.extensions import db


class AccessRuleError(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def update_user_access(user: User, *, actor: User, roles: set[str], active: bool) -> list[str]:
    """Set the user's roles and active flag; return what changed ('roles', 'activated', 'deactivated').

    An administrator cannot take away their own admin role or deactivate themselves, so there is always
    someone left who can undo a mistake.
    """
    roles = set(roles)
    unknown = roles - set(GRANTABLE_ROLES)
    if unknown:
        raise AccessRuleError("roles", f"Unknown role: {', '.join(sorted(unknown))}")
    if user.id == actor.id:
        if "admin" not in roles:
            raise AccessRuleError("role_admin",
                                  "You cannot remove your own administrator role. Ask another administrator")
        if not active:
            raise AccessRuleError("active", "You cannot deactivate your own account. Ask another administrator")

    changes: list[str] = []
    before = sorted(user.roles)
    current = {grant.role for grant in user.role_grants}
    if roles != current:
        user.role_grants = [grant for grant in user.role_grants if grant.role in roles] + [
            UserRole(role=role, granted_by_id=actor.id) for role in sorted(roles - current)
        ]
        db.session.flush()
        record("user.roles_changed", actor=actor, object_type="user", object_id=user.id,
               data={"before": before, "after": sorted(user.roles),
                     "granted": sorted(roles - current), "revoked": sorted(current - roles)})
        changes.append("roles")

    if active != user.active:
        user.active = active
        if active:
            record("user.activated", actor=actor, object_type="user", object_id=user.id, data={})
            changes.append("activated")
        else:
            revoked = auth_services.revoke_all_sessions(user)
            record("user.deactivated", actor=actor, object_type="user", object_id=user.id,
                   data={"sessions_revoked": revoked})
            changes.append("deactivated")

    if changes:
        db.session.commit()
    return changes

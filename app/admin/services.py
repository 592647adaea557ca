"""Changes an administrator makes to other accounts, each audited in the same transaction."""
from __future__ import annotations

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from app.auth import services as auth_services
from app.auth.models import User, UserRole, UserSession
from app.core.audit import record
from app.core.mail import OutboxMessage, queue_mail
from app.core.permissions import GRANTABLE_ROLES
from app.extensions import db

USERS_PER_PAGE = 50
OUTBOX_PER_PAGE = 50


def users_page(query: str) -> Pagination:
    """The page of users (the request's ?page=) whose name or address contains `query`, by name."""
    statement = select(User).order_by(func.lower(User.name), User.id).options(selectinload(User.role_grants))
    if query:
        pattern = "%" + query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(
            or_(func.lower(User.name).like(pattern, escape="\\"), func.lower(User.email).like(pattern, escape="\\"))
        )
    return db.paginate(statement, per_page=USERS_PER_PAGE, max_per_page=USERS_PER_PAGE, error_out=False)


def find_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def live_session_count(user: User) -> int:
    return db.session.scalar(
        select(func.count(UserSession.id)).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    ) or 0


def outbox_page() -> Pagination:
    """The page of queued and sent mail (the request's ?page=), newest first."""
    statement = select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    return db.paginate(statement, per_page=OUTBOX_PER_PAGE, max_per_page=OUTBOX_PER_PAGE, error_out=False)


def find_outbox_message(message_id: int) -> OutboxMessage | None:
    return db.session.get(OutboxMessage, message_id)


class AccessRuleError(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _require_free_email(user: User, email: str) -> None:
    try:
        auth_services.require_free_email(user, email)
    except auth_services.EmailTaken:
        raise AccessRuleError("email", "Another account uses this email address. Enter a different one") from None


def update_user_details(user: User, *, actor: User, name: str, department: str, email: str) -> list[str]:
    """Set the name, department and email address, each change audited, and tell the person by email (at the
    new address and the old one when it changed); the caller commits. What changed ('details', 'email')."""
    _require_free_email(user, email)
    changes = ["details"] if auth_services.update_details(user, actor, name=name, department=department) else []
    if auth_services.change_email(user, actor, email):
        changes.append("email")
    if changes:
        queue_mail(user.email, "Your Crucible account details were changed",
                   f"Hello {user.name},\n\nAn administrator changed your Crucible account's details. They are now:"
                   f"\n\nName: {user.name}\nDepartment: {user.department or 'none'}\nEmail address: {user.email}"
                   "\n\nIf something is wrong, tell the research office.\n", user_id=user.id)
    return changes


def update_user_access(user: User, *, actor: User, roles: set[str], active: bool,
                       expertise: str | None = None, details: dict[str, str] | None = None) -> list[str]:
    """Set the user's roles, active flag and (when given) areas of expertise; return what changed ('roles',
    'activated', 'deactivated', 'expertise').

    An administrator cannot take away their own admin role or deactivate themselves, so there is always
    someone left who can undo a mistake.
    """
    if details is not None:
        # Refused before anything changes, beside the field.
        _require_free_email(user, details["email"])
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

    if expertise is not None and auth_services.update_expertise(user, actor, expertise):
        changes.append("expertise")
    if details is not None:
        changes += update_user_details(user, actor=actor, **details)

    if changes:
        db.session.commit()
    return changes

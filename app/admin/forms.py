from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField

from app.core.permissions import GRANTABLE_ROLES, ROLES


def _role_field_name(role: str) -> str:
    return f"role_{role}"


class _UserAccessBase(FlaskForm):
    """Roles (one checkbox per grantable role) and whether the account may sign in."""

    def role_fields(self):
        return [self[_role_field_name(role)] for role in GRANTABLE_ROLES]

    def selected_roles(self) -> set[str]:
        return {role for role in GRANTABLE_ROLES if self[_role_field_name(role)].data}

    def role_field(self, role: str):
        return self[_role_field_name(role)]

    @classmethod
    def for_user(cls, user, **kwargs):
        """A form preset to the user's current access (request data, when posted, takes precedence)."""
        data = {_role_field_name(role): user.has_role(role) for role in GRANTABLE_ROLES}
        data["active"] = user.active
        return cls(data=data, **kwargs)


UserAccessForm = type(
    "UserAccessForm",
    (_UserAccessBase,),
    {
        **{_role_field_name(role): BooleanField(ROLES[role]) for role in GRANTABLE_ROLES},
        "active": BooleanField("Account active: the person can sign in"),
        "submit": SubmitField("Save changes"),
    },
)

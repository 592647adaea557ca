from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField

from app.auth.forms import department_field, email_field, expertise_field, name_field
from app.core.permissions import EXTRA_REVIEWER_ROLES, GRANTABLE_ROLES, ROLES
from app.questionnaires.loader import get_policy

if TYPE_CHECKING:
    from app.auth.models import User


def _role_field_name(role: str) -> str:
    return f"role_{role}"


# The institution policy the questionnaires name, which says what its extra reviewer roles are called.
INSTITUTION_POLICY = "default"


def role_label(role: str) -> str:
    """A role as the admin's page names it: an extra reviewer's as the institution policy does."""
    named = get_policy(INSTITUTION_POLICY).roles
    return named[role].label if role in EXTRA_REVIEWER_ROLES and role in named else ROLES[role]


# One checkbox per grantable role, added to the form below its class; made first, so they come first on the page.
_ROLE_FIELDS = {_role_field_name(role): BooleanField(role_label(role)) for role in GRANTABLE_ROLES}


class UserAccessForm(FlaskForm):
    """Name, department and email address, roles (one checkbox per grantable role) and whether the account may
    sign in."""

    name = name_field()
    department = department_field()
    email = email_field()
    active = BooleanField("Account active: the person can sign in")
    expertise = expertise_field()
    submit = SubmitField("Save changes")

    def role_fields(self) -> list[Any]:
        return [self[_role_field_name(role)] for role in GRANTABLE_ROLES]

    def selected_roles(self) -> set[str]:
        return {role for role in GRANTABLE_ROLES if self[_role_field_name(role)].data}

    def role_field(self, role: str) -> Any:
        return self[_role_field_name(role)]

    def details(self) -> dict[str, str]:
        return {"name": self.name.data or "", "department": self.department.data or "", "email": self.email.data or ""}

    @classmethod
    def for_user(cls, user: User, **kwargs: Any) -> UserAccessForm:
        """A form preset to the user's current access (request data, when posted, takes precedence)."""
        data: dict[str, Any] = {_role_field_name(role): user.has_role(role) for role in GRANTABLE_ROLES}
        data["active"] = user.active
        data["expertise"] = user.expertise or ""
        data.update(name=user.name, department=user.department or "", email=user.email)
        return cls(data=data, **kwargs)


for _name, _field in _ROLE_FIELDS.items():
    setattr(UserAccessForm, _name, _field)

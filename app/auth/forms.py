"""Forms for signing in, registering and managing passwords; the password rules live in passwords.py."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from app.auth.passwords import MAX_LENGTH, password_problem
from app.auth.services import reentered_password_ok

EMAIL_MAX = 320
NAME_MAX = 200


def _email_field(label: str = "Email address") -> EmailField:
    return EmailField(
        label,
        validators=[
            DataRequired("Enter your email address"),
            Email("Enter an email address in the correct format, like name@example.ac.uk",
                  check_deliverability=False),
            Length(max=EMAIL_MAX, message=f"Email address must be {EMAIL_MAX} characters or fewer"),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )


def _new_password_fields(label: str = "Password"):
    password = PasswordField(label, validators=[DataRequired("Enter a password")])
    confirm = PasswordField(
        "Confirm password",
        validators=[
            DataRequired("Enter the password again to confirm it"),
            EqualTo("password", message="The two passwords do not match"),
        ],
    )
    return password, confirm


class NewPasswordMixin:
    """Checks `password` against the rules, using whatever name and email the form (or user) provides."""

    def password_context(self) -> tuple[str | None, str | None]:
        return None, None

    def validate_password(self, field) -> None:
        email, name = self.password_context()
        problem = password_problem(field.data or "", email=email, name=name)
        if problem:
            raise ValidationError(problem)


class RegisterForm(NewPasswordMixin, FlaskForm):
    name = StringField(
        "Full name",
        validators=[
            DataRequired("Enter your full name"),
            Length(max=NAME_MAX, message=f"Name must be {NAME_MAX} characters or fewer"),
        ],
        filters=[lambda value: " ".join(value.split()) if isinstance(value, str) else value],
    )
    email = _email_field()
    department = StringField("Department (optional)", description="For example: Department of Materials",
                             validators=[Length(max=NAME_MAX, message=f"Enter {NAME_MAX} characters or fewer")])
    password, confirm = _new_password_fields()
    submit = SubmitField("Create account")

    def password_context(self):
        return self.email.data, self.name.data


class ConfirmRegistrationForm(FlaskForm):
    submit = SubmitField("Create my account")


class LoginForm(FlaskForm):
    email = _email_field()
    password = PasswordField(
        "Password",
        validators=[DataRequired("Enter your password"), Length(max=MAX_LENGTH * 4)],
    )
    submit = SubmitField("Sign in")


class ForgotPasswordForm(FlaskForm):
    email = _email_field()
    submit = SubmitField("Send reset link")


class ResetPasswordForm(NewPasswordMixin, FlaskForm):
    password, confirm = _new_password_fields("New password")
    submit = SubmitField("Set new password")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._user = user

    def password_context(self):
        return (self._user.email, self._user.name) if self._user else (None, None)


class ChangePasswordForm(NewPasswordMixin, FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired("Enter your current password")])
    password, confirm = _new_password_fields("New password")
    submit = SubmitField("Change password")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._user = user

    def password_context(self):
        return (self._user.email, self._user.name) if self._user else (None, None)

    def validate_password(self, field) -> None:
        super().validate_password(field)
        if self._user is not None and self._user.check_password(field.data or ""):
            raise ValidationError("Your new password must be different from your current one")

    def validate_current_password(self, field) -> None:
        if self._user is None or not reentered_password_ok(self._user, field.data or "", purpose="password_change"):
            raise ValidationError("Your current password is not correct")


def _code_field(label: str, missing: str) -> StringField:
    """A one-time code: digits on a phone's keypad, never spell-checked (the template adds one-time-code)."""
    return StringField(label, validators=[DataRequired(missing), Length(max=32)],
                       render_kw={"inputmode": "numeric", "spellcheck": "false"})


EXPERTISE_HINT = ("What you can review, separated by commas, e.g. DFT, graph neural networks, export control. "
                  "The research office sees it when choosing reviewers.")


def expertise_field() -> TextAreaField:
    """Areas of expertise (User.expertise): on the account page and the administrator's page of a user."""
    return TextAreaField("Areas of expertise", description=EXPERTISE_HINT,
                         validators=[Length(max=500, message="Enter 500 characters or fewer")])


class ExpertiseForm(FlaskForm):
    expertise = expertise_field()


class TwoStepForm(FlaskForm):
    code = _code_field("Code from your authenticator app, or a recovery code",
                       "Enter the 6-digit code from your authenticator app")
    submit = SubmitField("Continue")


class EnrolForm(FlaskForm):
    code = _code_field("6-digit code from the app", "Enter the 6-digit code the app shows")
    submit = SubmitField("Turn on two-step sign-in")


class DisableTwoStepForm(FlaskForm):
    current_password = PasswordField("Your password", validators=[DataRequired("Enter your password")])
    submit = SubmitField("Turn off two-step sign-in")


def email_field() -> EmailField:
    """An email address entered by someone else (the administrator's page of a user)."""
    return _email_field()


def name_field() -> StringField:
    return StringField("Full name", validators=[
        DataRequired("Enter a full name"),
        Length(max=NAME_MAX, message=f"Name must be {NAME_MAX} characters or fewer"),
    ], filters=[lambda value: " ".join(value.split()) if isinstance(value, str) else value])


def department_field() -> StringField:
    return StringField("Department (optional)", description="For example: Department of Materials",
                       validators=[Length(max=NAME_MAX, message=f"Enter {NAME_MAX} characters or fewer")])


class DetailsForm(FlaskForm):
    """The name and department on the account page."""
    name = name_field()
    department = department_field()


class ChangeEmailForm(FlaskForm):
    email = _email_field("New email address")


class ConfirmEmailForm(FlaskForm):
    submit = SubmitField("Use this email address")

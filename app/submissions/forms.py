from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length

from app.core.forms import choices


class NewSubmissionForm(FlaskForm):
    title = StringField(
        "Project title",
        validators=[DataRequired("Enter the project's title"),
                    Length(max=300, message="Enter 300 characters or fewer")],
    )


class InviteForm(FlaskForm):
    email = StringField(
        "Email address",
        validators=[DataRequired("Enter an email address"), Email("Enter an email address like name@example.ac.uk"),
                    Length(max=320)],
    )
    role = RadioField(
        "Access",
        choices=choices([("editor", "Editor – can change answers"), ("viewer", "Viewer – can read answers")]),
        default="editor",
        validators=[DataRequired("Choose the access to give")],
    )


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        "Why are you withdrawing this application? (optional)",
        validators=[Length(max=2000, message="Enter 2000 characters or fewer")],
    )

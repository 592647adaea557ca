from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, PasswordField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.core.forms import choices
from app.reviews import export_control
from app.reviews.models import RECOMMENDATIONS
from app.submissions.workflow import OUTCOMES, ROUTES


class RouteForm(FlaskForm):
    route = SelectField("Review route", choices=choices(list(ROUTES.items())))
    reason = TextAreaField("Reason for the change", validators=[DataRequired("Give the reason for changing the route"),
                                                                Length(max=2000)])


def _person_id(value: str | int | None) -> int | None:
    """The chosen person's id; None for the list's "Choose ..." placeholder, so that DataRequired refuses it."""
    return int(value) if value not in ("", None) else None


class AssignForm(FlaskForm):
    # The service checks the person (in the pool, not on the team, not already asked) and says which rule is
    # broken; WTForms' own check would only say "Not a valid choice" of someone no longer listed.
    reviewer_id = SelectField("Reviewer", coerce=_person_id, validate_choice=False,
                              validators=[DataRequired("Choose a reviewer")])
    kind = HiddenField(default="reviewer")
    due_on = DateField("Due date (optional)", validators=[Optional()])


class InterestForm(FlaskForm):
    has_conflict = RadioField(
        "Do you have a conflict of interest with this application?",
        choices=choices([("no", "No, I have no conflict of interest"),
                 ("yes", "Yes: I have a personal, financial or professional interest, or collaborate with the team")]),
        validators=[DataRequired("Say whether you have a conflict of interest")],
    )
    statement = TextAreaField("If yes, describe it", validators=[Length(max=2000)])


class CommentForm(FlaskForm):
    body = TextAreaField("Comment", validators=[DataRequired("Write a comment before sending it"),
                                                Length(max=10000, message="Enter 10000 characters or fewer")])
    visibility = RadioField("Who is it for?", choices=choices([("applicant", "To the applicant"),
                                                       ("committee", "Committee only")]), default="applicant")
    question_id = HiddenField()
    parent_id = HiddenField()


class ReplyForm(FlaskForm):
    body = TextAreaField("Your answer", validators=[DataRequired("Write your answer before sending it"),
                                                    Length(max=10000, message="Enter 10000 characters or fewer")])
    parent_id = HiddenField(validators=[DataRequired()])


class RecommendationForm(FlaskForm):
    recommendation = RadioField("Your recommendation", choices=choices(list(RECOMMENDATIONS.items())),
                                validators=[DataRequired("Choose a recommendation")])
    summary = TextAreaField("Summary of your reasons",
                            validators=[DataRequired("Summarise the reasons for your recommendation"),
                                        Length(max=10000)])


class SignoffForm(FlaskForm):
    """The security officer's sign-off; its rules are export_control.problems, which the service applies too."""

    classification = RadioField("Export-control classification",
                                choices=choices(list(export_control.CLASSIFICATION_CHOICES.items())),
                                validate_choice=False)
    control_entry = StringField("Control-list entry (when listed)", validators=[Length(max=export_control.ENTRY_MAX)])
    basis = TextAreaField("Basis for the classification", validators=[Length(max=5000)])
    licence = RadioField("Is an export licence needed?", choices=choices(list(export_control.LICENCE_CHOICES.items())),
                         validate_choice=False)
    trusted_research = RadioField("Trusted Research outcome",
                                  choices=choices(list(export_control.TRUSTED_RESEARCH_OUTCOMES.items())),
                                  validate_choice=False)
    conditions = TextAreaField("Conditions", validators=[Length(max=10000)])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        found = export_control.problems(
            classification=self.classification.data or "", entry=self.control_entry.data or "",
            basis=self.basis.data or "", licence=self.licence.data or "",
            trusted_research=self.trusted_research.data or "", conditions=self.conditions.data or "")
        for name, message in found.items():
            self[name].errors = [*self[name].errors, message]
        return valid and not found


class DecisionForm(FlaskForm):
    outcome = RadioField("Decision", choices=choices(list(OUTCOMES.items())),
                         validators=[DataRequired("Choose a decision")])
    summary = TextAreaField("Reasons for the decision", validators=[Length(max=10000)])
    conditions = TextAreaField("Conditions (one per line; needed when approving with conditions)",
                               validators=[Length(max=10000)])
    # Checked by the service (approval.checked_valid_until), which knows the project's dates; only a date that
    # is not one is refused here.
    valid_until = DateField("Approval valid until (when approving)", validators=[Optional()])
    password = PasswordField("Your password, to sign the decision",
                             validators=[DataRequired("Enter your password to sign the decision")])


class ConditionReportForm(FlaskForm):
    """The applicant's evidence that a condition is met: what the research office checks before confirming."""
    note = TextAreaField("How the condition was met", validators=[
        DataRequired("Explain how the condition was met, so the research office can check it"), Length(max=2000)])


class ConditionSendBackForm(FlaskForm):
    """The research office returns a reported condition to the applicant, saying what is missing."""
    reason = TextAreaField("Why it is sent back", validators=[
        DataRequired("Give the reason for sending the condition back"), Length(max=2000)])


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False

    search = StringField("Search reference or title", validators=[Optional(), Length(max=200)])
    state = SelectField("State", choices=choices([("open", "All open"), ("triage", "Waiting for triage"),
                                          ("in_review", "In review"), ("changes_requested", "Changes requested"),
                                          ("conditions", "Approved with conditions"), ("decided", "Decided"),
                                          ("withdrawn", "Withdrawn"), ("expired", "Approval expired")]),
                        default="open")
    tier = SelectField("Tier", choices=choices([("", "Any tier"), ("Low", "Low"), ("Medium", "Medium"),
                                                ("High", "High")]), default="")
    route = SelectField("Route", choices=choices([("", "Any route"), *ROUTES.items()]), default="")
    flag = SelectField("Flag", choices=choices([("", "Any flag"), ("overdue", "Overdue"),
                                                ("recusal", "Recusal to replace"),
                                                ("conditions_reported", "Conditions reported met")]), default="")

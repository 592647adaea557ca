"""The archive's forms: choosing what to export (CSRF, as every form)."""
from __future__ import annotations

from datetime import timedelta

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.validators import InputRequired, ValidationError

from app.archive.services.archive import ExportChoice
from app.core.forms import choices
from app.documents.models import DOCUMENT_KINDS
from app.submissions.workflow import OUTCOMES

# The longest range one export may span (about ten years): a bag is streamed, but an export is audited as one act.
MAX_EXPORT_DAYS = 3660


class Day(DateField):
    """A date field whose complaint about a date it cannot read says what to type."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError("Enter the date as year-month-day, for example 2026-01-31.") from None


class ExportForm(FlaskForm):
    date_from = Day("First day archived", validators=[InputRequired("Enter the first day to export.")])
    date_to = Day("Last day archived (inclusive)", validators=[InputRequired("Enter the last day to export.")])
    outcome = SelectField("Outcome", default="", choices=choices([("", "Any outcome"), *OUTCOMES.items()]),
                          invalid_choice_message="Choose an outcome from the list.")
    kind = SelectField("Documents", default="",
                       choices=choices([("", "Every signed assessment"), *DOCUMENT_KINDS.items()]),
                       invalid_choice_message="Choose which documents from the list.")

    def chosen(self) -> ExportChoice:
        """What a valid form chose."""
        if self.date_from.data is None or self.date_to.data is None:
            raise ValueError("the form has not been validated")
        return ExportChoice(self.date_from.data, self.date_to.data, self.outcome.data or "", self.kind.data or "")

    def validate_date_to(self, field: DateField) -> None:
        first, last = self.date_from.data, field.data
        if first is None or last is None:
            return
        if last < first:
            raise ValidationError("The last day must be the same as the first day or after it.")
        if last - first > timedelta(days=MAX_EXPORT_DAYS):
            raise ValidationError("Export at most ten years at a time.")

"""Conditions of an approval: the applicant reports one met, the research office confirms it or sends it back."""
from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from wtforms import Field

from app.core.forms import ConfirmForm
from app.core.permissions import allowed
from app.reviews import services
from app.reviews.forms import ConditionReportForm, ConditionSendBackForm
from app.reviews.models import Condition
from app.reviews.permissions import can_confirm_condition, can_report_condition, can_send_back_condition
from app.reviews.routes_feedback import render_feedback
from app.reviews.routes_triage import render_triage
from app.reviews.services import CONDITION
from app.reviews.web import bp, flash_back_to, if_rule_broken


def _beside(field: Field, draw: Callable[[], ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
    """How a refused form is answered: its page drawn again (`draw`), with what was typed, and the message (a
    broken rule's, or the form's own errors without one) beside `field`."""

    def show(message: str | None = None) -> ResponseReturnValue:
        if message:
            field.errors = [message]
        return draw()

    return show


@bp.post("/applications/<int:submission_id>/conditions/<int:condition_id>/report")
@allowed(can_report_condition, load=CONDITION)
def report_condition(condition: Condition, submission_id: int):
    if condition.submission_id != submission_id:
        abort(404)  # another application's condition, by this one's address
    form = ConditionReportForm()
    show = _beside(form.note, lambda: render_feedback(condition.submission, report_form=form,
                                                      report_id=condition.id, status=422))
    if not form.validate_on_submit():
        return show()
    if_rule_broken(show)
    services.report_condition(condition, current_user, form.note.data or "")
    flash("Thank you. The research office will confirm the condition.", "success")
    return redirect(url_for(".feedback", submission_id=submission_id))


@bp.post("/review/conditions/<int:condition_id>/confirm")
@allowed(can_confirm_condition, load=CONDITION)
def confirm_condition(condition: Condition):
    submission_id = condition.submission_id
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if_rule_broken(flash_back_to(".triage", submission_id=submission_id))
    approved = services.confirm_condition(condition, current_user)
    flash("All conditions are met: the application is approved." if approved else "Condition confirmed.", "success")
    return redirect(url_for(".triage", submission_id=submission_id))


@bp.post("/review/conditions/<int:condition_id>/send-back")
@allowed(can_send_back_condition, load=CONDITION)
def send_back_condition(condition: Condition):
    form = ConditionSendBackForm()
    show = _beside(form.reason, lambda: render_triage(condition.submission, send_back_form=form,
                                                      send_back_id=condition.id, status=422))
    if not form.validate_on_submit():
        return show()
    if_rule_broken(show)
    services.send_back_condition(condition, current_user, form.reason.data or "")
    flash("Condition sent back: the applicant has been told why and can report it again.", "success")
    return redirect(url_for(".triage", submission_id=condition.submission_id))

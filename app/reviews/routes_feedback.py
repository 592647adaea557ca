"""The applicant's view of the outcome: the decision, its conditions, and the comments released to the team,
which the team may answer."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from app.core.permissions import allowed
from app.reviews import presenters, services
from app.reviews.forms import ConditionReportForm, ReplyForm
from app.reviews.permissions import can_answer_committee
from app.reviews.web import bp, comment_threads, if_rule_broken
from app.submissions import services as submission_services
from app.submissions import workflow
from app.submissions.models import Submission
from app.submissions.permissions import can_read_application, team_role
from app.submissions.services import APPLICATION
from app.submissions.workflow import OUTCOMES


@bp.route("/applications/<int:submission_id>/feedback")
@allowed(can_read_application, load=APPLICATION)
def feedback(submission: Submission):
    return render_feedback(submission)


def render_feedback(submission, reply_form=None, reply_parent=None, report_form=None, report_id=None, status=200):
    """The page; a refused answer (`reply_form`, under thread `reply_parent`) or report of a condition
    (`report_form`, condition `report_id`) is drawn again with what was typed and the message beside it."""
    level = team_role(current_user, submission)
    questionnaire = submission_services.questionnaire_for(submission)
    # Each comment is shown under the answer it is about, as that answer stands in the latest round.
    round_ = services.round_of(submission, submission.round_number)
    answers = presenters.round_answers(questionnaire, round_)[0] if round_ is not None else {}
    return render_template(
        "reviews/feedback.html", submission=submission, decisions=services.decisions_of(submission),
        conditions=services.conditions_of(submission), threads=comment_threads(submission, committee=False),
        questionnaire=questionnaire, answers=answers, round_number=submission.round_number, level=level,
        reply_form=reply_form or ReplyForm(), reply_parent=reply_parent,
        report_form=report_form or ConditionReportForm(), report_id=report_id,
        can_reply=level != "viewer" and workflow.can("applicant_reply", submission.state),
        revising=level != "viewer" and workflow.can("edit", submission.state),
        can_report=level in ("owner", "editor") and workflow.can("report_condition", submission.state),
        outcomes=OUTCOMES, page_title="Decision and comments",
    ), status


@bp.post("/applications/<int:submission_id>/feedback/reply")
@allowed(can_answer_committee, load=APPLICATION)
def reply(submission: Submission):
    form = ReplyForm()
    parent_id = int(form.parent_id.data) if (form.parent_id.data or "").isdigit() else None

    def show(message: str | None = None):
        if message:
            form.body.errors = [message]
        return render_feedback(submission, reply_form=form, reply_parent=parent_id, status=422)

    if not form.validate_on_submit() or parent_id is None:
        return show()
    if_rule_broken(show)
    services.add_comment(submission, current_user, body=form.body.data, question_id=None, visibility="applicant",
                         parent_id=parent_id)
    flash("Your answer has been sent to the reviewers.", "success")
    return redirect(url_for(".feedback", submission_id=submission.id, _anchor=f"comment-{parent_id}"))

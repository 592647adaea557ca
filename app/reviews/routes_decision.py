"""The chair's pages: applications awaiting a decision, and the signed decision."""
from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.core import lists
from app.core.permissions import allowed
from app.extensions import db
from app.reviews import services
from app.reviews.forms import DecisionForm
from app.reviews.models import RECOMMENDATIONS
from app.reviews.permissions import UnderReview, can_decide, can_open_chair_queue, decides_as
from app.reviews.services import REVIEW
from app.reviews.web import bp, comment_threads, if_rule_broken, table_state
from app.submissions import services as submission_services
from app.submissions import workflow
from app.submissions.workflow import OUTCOMES


@bp.route("/review/chair")
@allowed(can_open_chair_queue)
def chair_queue():
    table = table_state(services.CHAIR_SORTS, "due")
    rows, assignments, total, more = services.awaiting_decision(
        current_user, sort=table["sort"], direction=table["direction"], page=table["page"])
    return render_template("reviews/chair.html", rows=rows, assignments=assignments, table=table, total=total,
                           more=more, page=table["page"],
                           pages=lists.page_count(total, more, services.CHAIR_PER_PAGE, table["page"]),
                           page_title="Applications awaiting a decision")


@bp.route("/review/applications/<int:submission_id>/decide", methods=["GET", "POST"])
@allowed(can_decide, load=REVIEW)
def decide(review: UnderReview):
    submission = review.submission
    form = DecisionForm()
    if request.method == "GET":
        workflow.require("decide:approved", submission.state)
        return _render_decide(review, form)
    if not form.validate_on_submit():
        return _render_decide(review, form)
    if_rule_broken(lambda message: _render_decide(review, form, error=message))
    try:
        decided = services.decide(submission, current_user, outcome=form.outcome.data,
                                  summary=form.summary.data or "", conditions=(form.conditions.data or "").splitlines(),
                                  password=form.password.data, valid_until=form.valid_until.data)
    except services.ApprovalPeriodError as refused:
        db.session.rollback()  # nothing was changed; the row lock is let go
        form.valid_until.errors = [str(refused)]
        return _render_decide(review, form)
    flash(f"Decision recorded and signed: {OUTCOMES[decided.decision.outcome]}.", "success")
    if decided.job is not None and decided.job.status != "done":
        # The signed assessment is produced after this response (or on the worker): its page follows it.
        return redirect(url_for("documents.job", job_id=decided.job.id))
    return redirect(url_for(".application", submission_id=submission.id))


def _render_decide(review: UnderReview, form: DecisionForm, error: str | None = None):
    submission = review.submission
    form.password.data = ""  # never sent back, even to its owner
    period = services.approval_period_offer(submission, date.today())
    if request.method == "GET" and form.valid_until.data is None:
        form.valid_until.data = period.default
    return render_template(
        "reviews/decide.html", submission=submission, review=review, form=form, error=error,
        capacity=decides_as(current_user, review),
        assignments=services.active_assignments(submission),
        threads=comment_threads(submission, committee=True), recommendations=RECOMMENDATIONS,
        blockers={o: services.decision_blockers(submission, o) for o in OUTCOMES},
        questionnaire=submission_services.questionnaire_for(submission), period=period,
        page_title=f"Decide on {submission.reference}",
    ), (422 if error or form.errors else 200)

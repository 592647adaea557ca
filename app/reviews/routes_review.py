"""The reviewers' pages, and the committee's reading of an application: my reviews, the declaration of
interests, the application with its comments, the recommendation, the diff between rounds and the history."""
from __future__ import annotations

from datetime import date
from typing import Any, NamedTuple

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.core import lists
from app.core.forms import ConfirmForm
from app.core.permissions import allowed
from app.reviews import presenters, services
from app.reviews.anonymity import as_team_sees_user
from app.reviews.forms import CommentForm, InterestForm, RecommendationForm, SignoffForm
from app.reviews.models import RECOMMENDATIONS, Assignment
from app.reviews.permissions import (
    CommentUnderReview,
    UnderReview,
    can_declare_interest,
    can_open_my_reviews,
    can_read_review,
    can_resolve_comment,
    can_review,
    can_sign_off,
    sees_recommendations,
)
from app.reviews.services import ASSIGNMENT, COMMENT, REVIEW
from app.reviews.web import Thread, bp, comment_threads, if_rule_broken, table_state, wants_fragment
from app.submissions import services as submission_services
from app.submissions import workflow
from app.submissions.workflow import OUTCOMES


@bp.route("/review/mine")
@allowed(can_open_my_reviews)
def mine():
    table = table_state(services.MINE_SORTS, "due")
    show = request.args.get("show", "all")
    show = show if show in services.MINE_FILTERS else "all"
    search = (request.args.get("search") or "").strip()[:200]
    assignments, submissions, total, more = services.my_reviews(
        current_user, show=show, search=search, sort=table["sort"], direction=table["direction"], page=table["page"])
    template = "reviews/_mine_results.html" if wants_fragment() else "reviews/mine.html"
    return render_template(template, assignments=assignments, submissions=submissions, today=date.today(),
                           recommendations=RECOMMENDATIONS, table=table,
                           show=show, search=search, filters=services.MINE_FILTERS, total=total, more=more,
                           page=table["page"],
                           pages=lists.page_count(total, more, services.MINE_PER_PAGE, table["page"]),
                           page_title="My reviews")


@bp.route("/review/assignments/<int:assignment_id>", methods=["GET", "POST"])
@allowed(can_declare_interest, load=ASSIGNMENT)
def assignment(assignment: Assignment):
    submission = assignment.submission
    form = InterestForm()
    if assignment.coi_status == "none":
        return redirect(url_for(".application", submission_id=submission.id))

    def show(message: str | None = None, status: int = 200):
        if message:
            form.statement.errors = [message]
        return render_template("reviews/interest.html", assignment=assignment, submission=submission, form=form,
                               facts=services.conflict_facts(submission),
                               page_title="Declare any conflict of interest"), status

    if request.method == "POST" and assignment.coi_status == "pending" and form.validate_on_submit():
        if_rule_broken(lambda message: show(message, 422))
        has_conflict = form.has_conflict.data == "yes"
        services.declare_interest(assignment, current_user, has_conflict=has_conflict,
                                  statement=form.statement.data or "")
        if not has_conflict:
            return redirect(url_for(".application", submission_id=submission.id))
        flash("Thank you. You have been recused and the research office will reassign the review.", "success")
        return redirect(url_for(".mine"))
    return show()


class QuestionOnPage(NamedTuple):
    question: Any
    answer: dict[str, Any]  # the answer as submitted, as answers.answer_view shows it
    threads: list[Thread]


class SectionOnPage(NamedTuple):
    section: Any
    questions: list[QuestionOnPage]


@bp.route("/review/applications/<int:submission_id>", methods=["GET"])
@allowed(can_read_review, load=REVIEW)
def application(review: UnderReview):
    # ?comment=A1 or ?reply=12: the page with that one comment form open (the "Comment on" links without JS).
    reply_to = request.args.get("reply", type=int)
    return _render_application(review, open_parent=reply_to,
                               open_question=None if reply_to else request.args.get("comment", type=str))


def _signoff_form(assignment: Assignment) -> SignoffForm:
    """The security officer's form, holding their sign-off so far (if any)."""
    signoff = assignment.signoff
    if signoff is None:
        return SignoffForm(formdata=None)
    return SignoffForm(formdata=None, classification="listed" if signoff.control_entry else "not_listed",
                       control_entry=signoff.control_entry or "", basis=signoff.basis,
                       licence="yes" if signoff.licence_required else "no",
                       trusted_research=signoff.trusted_research, conditions=signoff.conditions)


def _render_application(review: UnderReview, recommendation_form=None, comment_error=None, status=200,
                        open_question=None, open_parent=None, draft=None):
    submission, assignments = review.submission, review.assignments
    questionnaire = submission_services.questionnaire_for(submission)
    round_ = services.round_of(submission, submission.round_number)
    if round_ is not None:
        answers, risk_profile = presenters.round_answers(questionnaire, round_)
    else:
        answers, risk_profile = {}, submission.risk_profile
    mine = review.assignment_of(current_user)
    sees_all = sees_recommendations(current_user, review)
    if recommendation_form is None and mine is not None:
        recommendation_form = (_signoff_form(mine) if mine.kind == "security" else
                               RecommendationForm(recommendation=mine.recommendation, summary=mine.summary))
    threads = comment_threads(submission, committee=True)
    sections = [
        SectionOnPage(section, [
            QuestionOnPage(q, answers[q.id], threads.get(q.id, []))
            for q in section.questions if q.id in answers
        ])
        for section in questionnaire.sections
    ]
    decision = services.current_decision(submission)
    # A form asked for where the page has no such question or thread opens as the whole application's form.
    if open_parent is not None and not any(t.root.id == open_parent for ts in threads.values() for t in ts):
        open_question, open_parent = "", None
    if open_question and not any(item.question.id == open_question for s in sections for item in s.questions):
        open_question = ""
    return render_template(
        "reviews/application.html", submission=submission, review=review, questionnaire=questionnaire, round=round_,
        sections=sections, threads=threads, risk_profile=risk_profile,
        mine=mine, assignments=assignments if sees_all else [], recommendation_form=recommendation_form,
        can_comment=workflow.can("review_comment", submission.state),
        can_recommend=mine is not None and workflow.can("recommend", submission.state),
        decision=decision, comment_error=comment_error, open_question=open_question, open_parent=open_parent,
        draft=draft, recommendations=RECOMMENDATIONS, team_view=as_team_sees_user(current_user, submission.id),
        outcomes=OUTCOMES,
        page_title=f"Review {submission.reference}",
    ), status


@bp.post("/review/applications/<int:submission_id>/comments")
@allowed(can_read_review, load=REVIEW)
def add_comment(review: UnderReview):
    submission = review.submission
    form = CommentForm()
    parent_id = int(form.parent_id.data) if (form.parent_id.data or "").isdigit() else None
    # Refused comments come back in their own form, open where they were written, with the text as typed.
    refused = dict(open_question=form.question_id.data or "", open_parent=parent_id, status=422,
                   draft={"body": form.body.data or "", "visibility": form.visibility.data})
    if not form.validate_on_submit():
        return _render_application(review, comment_error=next(iter(form.errors.values()))[0], **refused)
    if_rule_broken(lambda message: _render_application(review, comment_error=message, **refused))
    services.add_comment(submission, current_user, body=form.body.data, question_id=form.question_id.data or None,
                         visibility=form.visibility.data, parent_id=parent_id)
    flash("Comment added.", "success")
    anchor = f"q-{form.question_id.data}" if form.question_id.data else "general-comments"
    return redirect(url_for(".application", submission_id=submission.id, _anchor=anchor))


@bp.post("/review/comments/<int:comment_id>/resolve")
@allowed(can_resolve_comment, load=COMMENT)
def resolve_comment(target: CommentUnderReview):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.resolve_thread(target, current_user)
    flash("Thread marked resolved.", "success")
    return redirect(url_for(".application", submission_id=target.review.submission.id))


@bp.post("/review/assignments/<int:assignment_id>/recommend")
@allowed(can_review, load=ASSIGNMENT)
def recommend(assignment: Assignment):
    submission = assignment.submission
    form = RecommendationForm()

    def show(message: str | None = None):
        if message:
            form.summary.errors = [message]
        return _render_application(services.under_review_of(submission), recommendation_form=form, status=422)

    if not form.validate_on_submit():
        return show()
    if_rule_broken(show)
    services.recommend(assignment, current_user, recommendation=form.recommendation.data, summary=form.summary.data)
    flash("Your recommendation has been recorded.", "success")
    return redirect(url_for(".application", submission_id=submission.id))


@bp.post("/review/assignments/<int:assignment_id>/sign-off")
@allowed(can_sign_off, load=ASSIGNMENT)
def sign_off(assignment: Assignment):
    submission = assignment.submission
    form = SignoffForm()

    def show(message: str | None = None):
        if message and not form.errors:
            form.classification.errors = [message]
        return _render_application(services.under_review_of(submission), recommendation_form=form, status=422)

    if not form.validate_on_submit():
        return show()
    if_rule_broken(show)
    services.sign_off(assignment, current_user, classification=form.classification.data,
                      entry=form.control_entry.data or "", basis=form.basis.data or "", licence=form.licence.data,
                      trusted_research=form.trusted_research.data, conditions=form.conditions.data or "")
    flash("Your security sign-off has been recorded.", "success")
    return redirect(url_for(".application", submission_id=submission.id))


@bp.route("/review/applications/<int:submission_id>/diff")
@allowed(can_read_review, load=REVIEW)
def diff(review: UnderReview):
    submission = review.submission
    new = request.args.get("to", submission.round_number, type=int)
    old = request.args.get("from", new - 1, type=int)
    if old < 1 or new > submission.round_number or old >= new:
        abort(404)
    try:
        rows = services.round_diff(submission, old, new)
    except LookupError:
        abort(404)
    return render_template("reviews/diff.html", submission=submission, review=review, rows=rows, old=old, new=new,
                           changed=sum(1 for r in rows if r["changed"]),
                           threads=comment_threads(submission, committee=True),
                           page_title=f"Changes from round {old} to round {new}")


@bp.route("/review/applications/<int:submission_id>/history")
@allowed(can_read_review, load=REVIEW)
def history(review: UnderReview):
    submission = review.submission
    lines = services.history_of(
        submission, recommendations_of=None if sees_recommendations(current_user, review) else current_user.id)
    return render_template("reviews/history.html", submission=submission, review=review, lines=lines,
                           page_title=f"History of {submission.reference}")

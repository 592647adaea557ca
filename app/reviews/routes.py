"""Committee pages (triage, reviewing, deciding, history) and the applicant's view of the outcome."""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any, NamedTuple

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from app.core.forms import choices
from app.core.permissions import OVERSIGHT_ROLES, allowed
from app.core.web import page_url
from app.extensions import db
from app.reviews import presenters, services
from app.reviews.forms import (
    AssignForm,
    CommentForm,
    ConditionReportForm,
    DecisionForm,
    InterestForm,
    QueueFilterForm,
    RecommendationForm,
    ReplyForm,
    RouteForm,
)
from app.reviews.models import OUTCOMES, RECOMMENDATIONS, Assignment, Condition
from app.reviews.permissions import (
    CommentUnderReview,
    UnderReview,
    can_answer_committee,
    can_confirm_condition,
    can_decide,
    can_declare_interest,
    can_open_chair_queue,
    can_open_my_reviews,
    can_open_queue,
    can_read_review,
    can_report_condition,
    can_resolve_comment,
    can_review,
    can_triage,
    can_unassign,
)
from app.reviews.services import ASSIGNMENT, COMMENT, CONDITION, REVIEW
from app.submissions import services as submission_services
from app.submissions import workflow
from app.submissions.forms import ConfirmForm
from app.submissions.models import Submission
from app.submissions.permissions import can_read_application, team_role
from app.submissions.services import APPLICATION

bp = Blueprint("reviews", __name__, template_folder="templates")
bp.add_app_template_global(presenters.comment_thread, "comment_thread")
bp.add_app_template_global(presenters.thread_actions, "thread_actions")
bp.add_app_template_global(presenters.queue_row, "queue_row")


def _rule_broken(action, *args, **kwargs):
    """Call a service; a broken review rule is undone and its message returned, for the page to show."""
    try:
        return action(*args, **kwargs), None
    except workflow.TransitionError as error:
        abort(409, description=str(error))
    except services.ReviewRuleError as error:
        db.session.rollback()
        return None, str(error)


def _back(submission_id: int, fallback: str = "reviews.application"):
    target = request.form.get("next")
    if target and target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect(url_for(fallback, submission_id=submission_id))


# ---------------------------------------------------------------- coordinator


@bp.route("/review/queue")
@allowed(can_open_queue)
def queue():
    form = QueueFilterForm(request.args)
    table = _table_state(services.QUEUE_SORTS, "waiting")
    filters = services.QueueFilters(
        state=form.state.data or "open", tier=form.tier.data or "", route=form.route.data or "",
        search=(form.search.data or "")[:200], page=table["page"], sort=table["sort"],
        direction=table["direction"],
    )
    rows, total = services.coordinator_queue(filters)
    pages = max(1, -(-total // filters.per_page))
    template = "reviews/_queue_results.html" if _wants_fragment() else "reviews/queue.html"
    return render_template(template, form=form, rows=rows, total=total, page=filters.page, pages=pages,
                           table=table, today=date.today(), page_title="Applications queue")


def _wants_fragment() -> bool:
    """static/js/live-table.js asks for the results alone (the table and its pages) to swap them in place."""
    return request.headers.get("X-Requested-With") == "live-table"


def _table_state(sorts, default_sort: str) -> dict:
    """Sorting and paging from the query string, and a helper that links to the same list changed."""
    sort = request.args.get("sort", default_sort)
    sort = sort if sort in sorts else default_sort
    direction = "desc" if request.args.get("dir") == "desc" else "asc"
    page = max(1, request.args.get("page", 1, type=int) or 1)
    current = {k: v for k, v in request.args.items() if v and k not in ("page",)}
    endpoint = request.endpoint
    if endpoint is None:
        raise RuntimeError("a table's links need the request's endpoint")

    def link(**changes) -> str:
        args = {**current, **{k: v for k, v in changes.items()}}
        return page_url(endpoint, **{k: v for k, v in args.items() if v not in (None, "")})

    def sort_link(key: str) -> str:
        return link(sort=key, dir="desc" if key == sort and direction == "asc" else "asc", page=None)

    def aria_sort(key: str) -> str | None:
        return ("descending" if direction == "desc" else "ascending") if key == sort else None

    return {"sort": sort, "direction": direction, "page": page, "link": link, "sort_link": sort_link,
            "aria_sort": aria_sort}


@bp.route("/review/applications/<int:submission_id>/triage")
@allowed(can_triage, load=APPLICATION)
def triage(submission: Submission):
    return _render_triage(submission)


def _render_triage(submission, route_form=None, assign_form=None, security_form=None, status=200):
    route_form = route_form or RouteForm(route=submission.route)
    assign_form = assign_form or AssignForm(kind="reviewer")
    assign_form.reviewer_id.choices = choices((u.id, u.name) for u in services.reviewer_pool(submission))
    security_form = security_form or AssignForm(kind="security", prefix="security")
    security_form.reviewer_id.choices = choices((u.id, u.name) for u in services.reviewer_pool(submission, "security"))
    assignments = services.assignments_of(submission)
    conditions = services.conditions_of(submission)
    return render_template(
        "reviews/triage.html", submission=submission, route_form=route_form, assign_form=assign_form,
        security_form=security_form, assignments=assignments, conditions=conditions,
        missing=services.review_requirements(submission) if submission.state == workflow.State.SUBMITTED else [],
        confirm=ConfirmForm(),
        can_assign=workflow.can("assign", submission.state), page_title=f"Triage {submission.reference}",
    ), status


@bp.post("/review/applications/<int:submission_id>/route")
@allowed(can_triage, load=APPLICATION)
def override_route(submission: Submission):
    form = RouteForm()
    if not form.validate_on_submit():
        return _render_triage(submission, route_form=form, status=422)
    _, error = _rule_broken(services.override_route, submission, current_user, form.route.data, form.reason.data)
    if error:
        form.reason.errors = [error]
        return _render_triage(submission, route_form=form, status=422)
    flash(f"Route changed to {workflow.ROUTES[form.route.data].lower()}.", "success")
    return redirect(url_for(".triage", submission_id=submission.id))


@bp.post("/review/applications/<int:submission_id>/assign")
@allowed(can_triage, load=APPLICATION)
def assign(submission: Submission):
    kind = "security" if request.form.get("security-kind") == "security" else "reviewer"
    form = AssignForm(prefix="security") if kind == "security" else AssignForm()
    form.reviewer_id.choices = choices((u.id, u.name) for u in services.reviewer_pool(submission, kind))
    if not form.validate_on_submit():
        return _render_triage(submission, **({"security_form": form} if kind == "security" else {"assign_form": form}),
                              status=422)
    assignment, error = _rule_broken(services.assign, submission, current_user, form.reviewer_id.data, kind=kind,
                             due_on=form.due_on.data)
    if error:
        form.reviewer_id.errors = [error]
        return _render_triage(submission, **({"security_form": form} if kind == "security" else {"assign_form": form}),
                              status=422)
    flash(f"{assignment.reviewer.name} assigned.", "success")
    return redirect(url_for(".triage", submission_id=submission.id))


@bp.post("/review/assignments/<int:assignment_id>/unassign")
@allowed(can_unassign, load=ASSIGNMENT)
def unassign(assignment: Assignment):
    submission = assignment.submission
    if not ConfirmForm().validate_on_submit():
        abort(400)
    _, error = _rule_broken(services.unassign, assignment, current_user)
    flash(error or "Reviewer removed.", "error" if error else "success")
    return redirect(url_for(".triage", submission_id=submission.id))


@bp.post("/review/applications/<int:submission_id>/start")
@allowed(can_triage, load=APPLICATION)
def start_review(submission: Submission):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if submission.state == workflow.State.IN_REVIEW:
        flash("Review has started.", "success")  # a repeated click
        return redirect(url_for(".triage", submission_id=submission.id))
    _, error = _rule_broken(services.start_review, submission, current_user)
    flash(error or "Review has started; the reviewers have been told.", "error" if error else "success")
    return redirect(url_for(".triage", submission_id=submission.id))


@bp.post("/review/conditions/<int:condition_id>/confirm")
@allowed(can_confirm_condition, load=CONDITION)
def confirm_condition(condition: Condition):
    submission = condition.submission
    if not ConfirmForm().validate_on_submit():
        abort(400)
    approved, error = _rule_broken(services.confirm_condition, condition, current_user)
    if error:
        flash(error, "error")
    else:
        flash("All conditions are met: the application is approved." if approved else "Condition confirmed.", "success")
    return redirect(url_for(".triage", submission_id=submission.id))


# ---------------------------------------------------------------- reviewer


@bp.route("/review/mine")
@allowed(can_open_my_reviews)
def mine():
    table = _table_state(services.MINE_SORTS, "due")
    show = request.args.get("show", "all")
    show = show if show in services.MINE_FILTERS else "all"
    search = (request.args.get("search") or "").strip()[:200]
    assignments, submissions, total = services.my_reviews(
        current_user, show=show, search=search, sort=table["sort"], direction=table["direction"], page=table["page"])
    template = "reviews/_mine_results.html" if _wants_fragment() else "reviews/mine.html"
    return render_template(template, assignments=assignments, submissions=submissions, today=date.today(),
                           recommendations=RECOMMENDATIONS, table=table,
                           show=show, search=search, filters=services.MINE_FILTERS, total=total, page=table["page"],
                           pages=max(1, -(-total // services.MINE_PER_PAGE)), page_title="My reviews")


@bp.route("/review/assignments/<int:assignment_id>", methods=["GET", "POST"])
@allowed(can_declare_interest, load=ASSIGNMENT)
def assignment(assignment: Assignment):
    submission = assignment.submission
    form = InterestForm()
    if assignment.coi_status == "none":
        return redirect(url_for(".application", submission_id=submission.id))
    if request.method == "POST" and assignment.coi_status == "pending" and form.validate_on_submit():
        _, error = _rule_broken(services.declare_interest, assignment, current_user,
                        has_conflict=form.has_conflict.data == "yes", statement=form.statement.data or "")
        if error:
            form.statement.errors = [error]
        elif form.has_conflict.data == "yes":
            flash("Thank you. You have been recused and the research office will reassign the review.", "success")
            return redirect(url_for(".mine"))
        else:
            return redirect(url_for(".application", submission_id=submission.id))
    return render_template("reviews/interest.html", assignment=assignment, submission=submission, form=form,
                           page_title="Declare any conflict of interest")


# What the committee's pages show, as named tuples: a template reads the fields of a dict only after getattr has
# failed, seven times slower, and the reviewer's page reads hundreds.
class Thread(NamedTuple):
    """A comment and its replies, oldest first."""
    root: Any
    replies: list


class QuestionOnPage(NamedTuple):
    question: Any
    answer: Markup  # heading and answer, reviews/_answer.html
    opener: Markup  # its "Comment on" link
    threads: list[Thread]


class SectionOnPage(NamedTuple):
    section: Any
    questions: list[QuestionOnPage]


def _threads(submission: Submission, *, committee: bool) -> dict[str | None, list[Thread]]:
    """Question id (None: the whole application) -> its threads; for the applicant, only those released."""
    comments = services.comments_of(submission)
    if not committee:
        comments = [c for c in comments if c.visibility == "applicant" and c.released_at is not None]
    replies = defaultdict(list)
    for comment in comments:
        if comment.parent_id:
            replies[comment.parent_id].append(comment)
    threads: dict[str | None, list[Thread]] = defaultdict(list)
    for comment in comments:
        if comment.parent_id is None:
            threads[comment.question_id].append(Thread(comment, replies[comment.id]))
    return threads


@bp.route("/review/applications/<int:submission_id>", methods=["GET"])
@allowed(can_read_review, load=REVIEW)
def application(review: UnderReview):
    # ?comment=A1 or ?reply=12: the page with that one comment form open (the "Comment on" links without JS).
    reply_to = request.args.get("reply", type=int)
    return _render_application(review, open_parent=reply_to,
                               open_question=None if reply_to else request.args.get("comment", type=str))


def _render_application(review: UnderReview, recommendation_form=None, comment_error=None, status=200,
                        open_question=None, open_parent=None, draft=None):
    submission, assignments = review.submission, review.assignments
    questionnaire = submission_services.questionnaire_for(submission)
    round_ = services.round_of(submission, submission.round_number)
    if round_ is not None:
        answer_blocks, risk_profile = presenters.drawn_round(questionnaire, round_)
    else:
        answer_blocks, risk_profile = {}, presenters.risk_profile_list(submission.risk_profile)
    mine = review.assignment_of(current_user)
    own_done = mine is not None and mine.recommendation is not None
    sees_all = current_user.has_any_role(*OVERSIGHT_ROLES) or own_done
    if recommendation_form is None and mine is not None:
        recommendation_form = RecommendationForm(recommendation=mine.recommendation, summary=mine.summary)
    threads = _threads(submission, committee=True)
    sections = [
        SectionOnPage(section, [
            QuestionOnPage(q, answer_blocks[q.id], presenters.comment_opener(q), threads.get(q.id, []))
            for q in section.questions if q.id in answer_blocks
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
        "reviews/application.html", submission=submission, questionnaire=questionnaire, round=round_,
        sections=sections, threads=threads, risk_profile=risk_profile,
        mine=mine, assignments=assignments if sees_all else [], recommendation_form=recommendation_form,
        can_comment=workflow.can("review_comment", submission.state),
        can_recommend=mine is not None and workflow.can("recommend", submission.state),
        decision=decision, comment_error=comment_error, open_question=open_question, open_parent=open_parent,
        draft=draft, recommendations=RECOMMENDATIONS,
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
    _, error = _rule_broken(services.add_comment, submission, current_user, body=form.body.data,
                    question_id=form.question_id.data or None, visibility=form.visibility.data, parent_id=parent_id)
    if error:
        return _render_application(review, comment_error=error, **refused)
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
    if not form.validate_on_submit():
        return _render_application(services.under_review_of(submission), recommendation_form=form, status=422)
    _, error = _rule_broken(services.recommend, assignment, current_user, recommendation=form.recommendation.data,
                    summary=form.summary.data)
    if error:
        form.summary.errors = [error]
        return _render_application(services.under_review_of(submission), recommendation_form=form, status=422)
    flash("Your recommendation has been recorded.", "success")
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
    return render_template("reviews/diff.html", submission=submission, rows=rows, old=old, new=new,
                           changed=sum(1 for r in rows if r["changed"]),
                           threads=_threads(submission, committee=True),
                           page_title=f"Changes from round {old} to round {new}")


@bp.route("/review/applications/<int:submission_id>/history")
@allowed(can_read_review, load=REVIEW)
def history(review: UnderReview):
    submission = review.submission
    events, actors = services.history_of(submission)
    return render_template("reviews/history.html", submission=submission, events=events, actors=actors,
                           page_title=f"History of {submission.reference}")


# ---------------------------------------------------------------- chair


@bp.route("/review/chair")
@allowed(can_open_chair_queue)
def chair_queue():
    rows, assignments = services.awaiting_decision(current_user)
    return render_template("reviews/chair.html", rows=rows, assignments=assignments,
                           page_title="Applications awaiting a decision")


@bp.route("/review/applications/<int:submission_id>/decide", methods=["GET", "POST"])
@allowed(can_decide, load=APPLICATION)
def decide(submission: Submission):
    form = DecisionForm()
    error = None
    if request.method == "POST":
        if form.validate_on_submit():
            decided, error = _rule_broken(services.decide, submission, current_user, outcome=form.outcome.data,
                                          summary=form.summary.data or "",
                                          conditions=(form.conditions.data or "").splitlines(),
                                          password=form.password.data)
            if decided is not None:
                flash(f"Decision recorded and signed: {OUTCOMES[decided.decision.outcome]}.", "success")
                job = decided.job
                if job is not None and job.status != "done":
                    # Queued on the worker (or failed and awaiting retry): show its progress.
                    return redirect(url_for("documents.job", job_id=job.id))
                return redirect(url_for(".application", submission_id=submission.id))
        form.password.data = ""
    elif not workflow.can("decide:approved", submission.state):
        abort(409, description=str(workflow.TransitionError("decide:approved", submission.state)))
    assignments = services.active_assignments(submission)
    return render_template(
        "reviews/decide.html", submission=submission, form=form, error=error, assignments=assignments,
        threads=_threads(submission, committee=True), recommendations=RECOMMENDATIONS,
        blockers={o: services.decision_blockers(submission, o) for o in OUTCOMES},
        questionnaire=submission_services.questionnaire_for(submission),
        page_title=f"Decide on {submission.reference}",
    ), (422 if error or form.errors else 200)


# ---------------------------------------------------------------- applicant


@bp.route("/applications/<int:submission_id>/feedback")
@allowed(can_read_application, load=APPLICATION)
def feedback(submission: Submission):
    return _render_feedback(submission)


def _render_feedback(submission, reply_form=None, reply_parent=None, status=200):
    level = team_role(current_user, submission)
    decisions = services.decisions_of(submission)
    conditions = services.conditions_of(submission)
    questionnaire = submission_services.questionnaire_for(submission)
    return render_template(
        "reviews/feedback.html", submission=submission, decisions=decisions, conditions=conditions,
        threads=_threads(submission, committee=False), questionnaire=questionnaire, level=level,
        reply_form=reply_form or ReplyForm(), reply_parent=reply_parent, report_form=ConditionReportForm(),
        can_reply=level != "viewer" and workflow.can("applicant_reply", submission.state),
        can_report=level in ("owner", "editor") and workflow.can("report_condition", submission.state),
        outcomes=OUTCOMES, page_title="Decision and comments",
    ), status


@bp.post("/applications/<int:submission_id>/feedback/reply")
@allowed(can_answer_committee, load=APPLICATION)
def reply(submission: Submission):
    form = ReplyForm()
    parent_id = int(form.parent_id.data) if (form.parent_id.data or "").isdigit() else None
    if not form.validate_on_submit() or parent_id is None:
        return _render_feedback(submission, reply_form=form, reply_parent=parent_id, status=422)
    _, error = _rule_broken(services.add_comment, submission, current_user, body=form.body.data, question_id=None,
                    visibility="applicant", parent_id=parent_id)
    if error:
        form.body.errors = [error]
        return _render_feedback(submission, reply_form=form, reply_parent=parent_id, status=422)
    flash("Your answer has been sent to the reviewers.", "success")
    return redirect(url_for(".feedback", submission_id=submission.id, _anchor=f"comment-{parent_id}"))


@bp.post("/applications/<int:submission_id>/conditions/<int:condition_id>/report")
@allowed(can_report_condition, load=CONDITION)
def report_condition(condition: Condition, submission_id: int):
    if condition.submission_id != submission_id:
        abort(404)  # another application's condition, by this one's address
    submission = condition.submission
    form = ConditionReportForm()
    if not form.validate_on_submit():
        abort(400)
    _, error = _rule_broken(services.report_condition, condition, current_user, form.note.data or "")
    flash(error or "Thank you. The research office will confirm the condition.", "error" if error else "success")
    return redirect(url_for(".feedback", submission_id=submission.id))

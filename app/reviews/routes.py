"""Committee pages (triage, reviewing, deciding, history) and the applicant's view of the outcome."""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any, NamedTuple

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import func, or_, select

from app.auth.models import User
from app.core.audit import AuditEvent
from app.core.forms import choices
from app.core.permissions import roles_required
from app.core.web import page_url
from app.documents.models import RenderJob
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
from app.reviews.models import OUTCOMES, RECOMMENDATIONS, Assignment, Comment, Condition, Decision
from app.submissions import services as submission_services
from app.submissions import workflow
from app.submissions.forms import ConfirmForm
from app.submissions.models import Submission

bp = Blueprint("reviews", __name__, template_folder="templates")
bp.add_app_template_global(presenters.comment_thread, "comment_thread")
bp.add_app_template_global(presenters.thread_actions, "thread_actions")
bp.add_app_template_global(presenters.queue_row, "queue_row")


def _submission(submission_id: int) -> Submission:
    submission = submission_services.page_submission(submission_id)
    if submission is None:
        abort(404)
    return submission


def _assignment_of_mine(assignment_id: int) -> Assignment:
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None:
        abort(404)
    if assignment.reviewer_id != current_user.id:
        abort(403)
    return assignment


def _committee(submission: Submission) -> None:
    if not services.committee_view(current_user, submission):
        abort(403)


def _oversight(submission: Submission) -> None:
    """Coordinator or admin, and never on an application of their own team."""
    if not current_user.has_any_role("coordinator", "admin") or services.is_team_member(current_user, submission):
        abort(403)


def _run(action, *args, **kwargs):
    """Call a service, turning its refusals into the matching page: 403, 409, or a message to show."""
    try:
        return action(*args, **kwargs), None
    except services.Forbidden:
        abort(403)
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
@roles_required("coordinator", "admin")
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
@login_required
def triage(submission_id: int):
    submission = _submission(submission_id)
    _oversight(submission)
    return _render_triage(submission)


def _render_triage(submission, route_form=None, assign_form=None, security_form=None, status=200):
    route_form = route_form or RouteForm(route=submission.route)
    assign_form = assign_form or AssignForm(kind="reviewer")
    assign_form.reviewer_id.choices = choices((u.id, u.name) for u in services.reviewer_pool(submission))
    security_form = security_form or AssignForm(kind="security", prefix="security")
    security_form.reviewer_id.choices = choices((u.id, u.name) for u in services.reviewer_pool(submission, "security"))
    assignments = db.session.scalars(select(Assignment).where(Assignment.submission_id == submission.id)
                                     .order_by(Assignment.round_number.desc(), Assignment.id)).all()
    conditions = db.session.scalars(select(Condition).where(Condition.submission_id == submission.id)
                                    .order_by(Condition.id)).all()
    return render_template(
        "reviews/triage.html", submission=submission, route_form=route_form, assign_form=assign_form,
        security_form=security_form, assignments=assignments, conditions=conditions,
        missing=services.review_requirements(submission) if submission.state == workflow.State.SUBMITTED else [],
        confirm=ConfirmForm(),
        can_assign=workflow.can("assign", submission.state), page_title=f"Triage {submission.reference}",
    ), status


@bp.post("/review/applications/<int:submission_id>/route")
@login_required
def override_route(submission_id: int):
    submission = _submission(submission_id)
    _oversight(submission)
    form = RouteForm()
    if not form.validate_on_submit():
        return _render_triage(submission, route_form=form, status=422)
    _, error = _run(services.override_route, submission, current_user, form.route.data, form.reason.data)
    if error:
        form.reason.errors = [error]
        return _render_triage(submission, route_form=form, status=422)
    flash(f"Route changed to {workflow.ROUTES[form.route.data].lower()}.", "success")
    return redirect(url_for(".triage", submission_id=submission.id))


@bp.post("/review/applications/<int:submission_id>/assign")
@login_required
def assign(submission_id: int):
    submission = _submission(submission_id)
    _oversight(submission)
    kind = "security" if request.form.get("security-kind") == "security" else "reviewer"
    form = AssignForm(prefix="security") if kind == "security" else AssignForm()
    form.reviewer_id.choices = choices((u.id, u.name) for u in services.reviewer_pool(submission, kind))
    if not form.validate_on_submit():
        return _render_triage(submission, **({"security_form": form} if kind == "security" else {"assign_form": form}),
                              status=422)
    assignment, error = _run(services.assign, submission, current_user, form.reviewer_id.data, kind=kind,
                             due_on=form.due_on.data)
    if error:
        form.reviewer_id.errors = [error]
        return _render_triage(submission, **({"security_form": form} if kind == "security" else {"assign_form": form}),
                              status=422)
    flash(f"{assignment.reviewer.name} assigned.", "success")
    return redirect(url_for(".triage", submission_id=submission.id))


@bp.post("/review/assignments/<int:assignment_id>/unassign")
@login_required
def unassign(assignment_id: int):
    assignment = db.session.get(Assignment, assignment_id) or abort(404)
    submission = _submission(assignment.submission_id)
    _oversight(submission)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    _, error = _run(services.unassign, assignment, current_user)
    flash(error or "Reviewer removed.", "error" if error else "success")
    return redirect(url_for(".triage", submission_id=submission.id))


@bp.post("/review/applications/<int:submission_id>/start")
@login_required
def start_review(submission_id: int):
    submission = _submission(submission_id)
    _oversight(submission)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if submission.state == workflow.State.IN_REVIEW:
        flash("Review has started.", "success")  # a repeated click
        return redirect(url_for(".triage", submission_id=submission.id))
    _, error = _run(services.start_review, submission, current_user)
    flash(error or "Review has started; the reviewers have been told.", "error" if error else "success")
    return redirect(url_for(".triage", submission_id=submission.id))


@bp.post("/review/conditions/<int:condition_id>/confirm")
@login_required
def confirm_condition(condition_id: int):
    condition = db.session.get(Condition, condition_id) or abort(404)
    submission = _submission(condition.submission_id)
    _oversight(submission)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    approved, error = _run(services.confirm_condition, condition, current_user)
    if error:
        flash(error, "error")
    else:
        flash("All conditions are met: the application is approved." if approved else "Condition confirmed.", "success")
    return redirect(url_for(".triage", submission_id=submission.id))


# ---------------------------------------------------------------- reviewer


@bp.route("/review/mine")
@roles_required("reviewer", "chair", "security_officer")
def mine():
    table = _table_state(MINE_SORTS, "due")
    show = request.args.get("show", "all")
    show = show if show in MINE_FILTERS else "all"
    search = (request.args.get("search") or "").strip()[:200]
    query = (
        select(Assignment).join(Submission, Submission.id == Assignment.submission_id)
        .where(Assignment.reviewer_id == current_user.id, Assignment.active.is_(True),
               Assignment.round_number == Submission.round_number)
    )
    if show == "todo":
        query = query.where(Assignment.recommendation.is_(None))
    elif show == "done":
        query = query.where(Assignment.recommendation.is_not(None))
    if search:
        like = f"%{search.lower()}%"
        query = query.where(or_(func.lower(Submission.reference).like(like), func.lower(Submission.title).like(like)))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    column = MINE_SORTS[table["sort"]]
    order = column.desc() if table["direction"] == "desc" else column.asc()
    assignments = db.session.scalars(
        query.order_by(order.nulls_last(), Assignment.id).limit(MINE_PER_PAGE)
        .offset((table["page"] - 1) * MINE_PER_PAGE)
    ).all()
    submissions = {s.id: s for s in db.session.scalars(
        select(Submission).where(Submission.id.in_([a.submission_id for a in assignments])))} if assignments else {}
    template = "reviews/_mine_results.html" if _wants_fragment() else "reviews/mine.html"
    return render_template(template, assignments=assignments, submissions=submissions, today=date.today(),
                           recommendations=RECOMMENDATIONS, table=table,
                           show=show, search=search, filters=MINE_FILTERS, total=total, page=table["page"],
                           pages=max(1, -(-total // MINE_PER_PAGE)), page_title="My reviews")


MINE_PER_PAGE = 25
MINE_FILTERS = {"all": "All", "todo": "Still to recommend", "done": "Recommended"}
MINE_SORTS = {"reference": Submission.reference, "title": Submission.title, "due": Assignment.due_on}


@bp.route("/review/assignments/<int:assignment_id>", methods=["GET", "POST"])
@login_required
def assignment(assignment_id: int):
    assignment = _assignment_of_mine(assignment_id)
    submission = _submission(assignment.submission_id)
    if not assignment.active and assignment.coi_status != "declared":
        abort(403)
    form = InterestForm()
    if assignment.coi_status == "none":
        return redirect(url_for(".application", submission_id=submission.id))
    if request.method == "POST" and assignment.coi_status == "pending" and form.validate_on_submit():
        _, error = _run(services.declare_interest, assignment, current_user,
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
@login_required
def application(submission_id: int):
    submission = _submission(submission_id)
    assignments = services.active_assignments(submission)  # the access check and the page both read them
    if not services.committee_view(current_user, submission, assignments):
        abort(403)
    # ?comment=A1 or ?reply=12: the page with that one comment form open (the "Comment on" links without JS).
    reply_to = request.args.get("reply", type=int)
    return _render_application(submission, assignments=assignments, open_parent=reply_to,
                               open_question=None if reply_to else request.args.get("comment", type=str))


def _render_application(submission, recommendation_form=None, comment_error=None, status=200, assignments=None,
                        open_question=None, open_parent=None, draft=None):
    questionnaire = submission_services.questionnaire_for(submission)
    round_ = services.round_of(submission, submission.round_number)
    if round_ is not None:
        answer_blocks, risk_profile = presenters.drawn_round(questionnaire, round_)
    else:
        answer_blocks, risk_profile = {}, presenters.risk_profile_list(submission.risk_profile)
    if assignments is None:
        assignments = services.active_assignments(submission)
    mine = services.own_assignment(current_user, assignments)
    own_done = mine is not None and mine.recommendation is not None
    sees_all = current_user.has_any_role("chair", "coordinator", "admin") or own_done
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
@login_required
def add_comment(submission_id: int):
    submission = _submission(submission_id)
    _committee(submission)
    form = CommentForm()
    parent_id = int(form.parent_id.data) if (form.parent_id.data or "").isdigit() else None
    # Refused comments come back in their own form, open where they were written, with the text as typed.
    refused = dict(open_question=form.question_id.data or "", open_parent=parent_id, status=422,
                   draft={"body": form.body.data or "", "visibility": form.visibility.data})
    if not form.validate_on_submit():
        return _render_application(submission, comment_error=next(iter(form.errors.values()))[0], **refused)
    _, error = _run(services.add_comment, submission, current_user, body=form.body.data,
                    question_id=form.question_id.data or None, visibility=form.visibility.data, parent_id=parent_id)
    if error:
        return _render_application(submission, comment_error=error, **refused)
    flash("Comment added.", "success")
    anchor = f"q-{form.question_id.data}" if form.question_id.data else "general-comments"
    return redirect(url_for(".application", submission_id=submission.id, _anchor=anchor))


@bp.post("/review/comments/<int:comment_id>/resolve")
@login_required
def resolve_comment(comment_id: int):
    comment = db.session.get(Comment, comment_id) or abort(404)
    submission = _submission(comment.submission_id)
    _committee(submission)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    _run(services.resolve_thread, comment, current_user)
    flash("Thread marked resolved.", "success")
    return redirect(url_for(".application", submission_id=submission.id))


@bp.post("/review/assignments/<int:assignment_id>/recommend")
@login_required
def recommend(assignment_id: int):
    assignment = _assignment_of_mine(assignment_id)
    submission = _submission(assignment.submission_id)
    _committee(submission)
    form = RecommendationForm()
    if not form.validate_on_submit():
        return _render_application(submission, recommendation_form=form, status=422)
    _, error = _run(services.recommend, assignment, current_user, recommendation=form.recommendation.data,
                    summary=form.summary.data)
    if error:
        form.summary.errors = [error]
        return _render_application(submission, recommendation_form=form, status=422)
    flash("Your recommendation has been recorded.", "success")
    return redirect(url_for(".application", submission_id=submission.id))


@bp.route("/review/applications/<int:submission_id>/diff")
@login_required
def diff(submission_id: int):
    submission = _submission(submission_id)
    _committee(submission)
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
@login_required
def history(submission_id: int):
    submission = _submission(submission_id)
    _committee(submission)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.submission_id == submission.id)
                                .order_by(AuditEvent.id)).all()
    actor_ids = {e.actor_id for e in events if e.actor_id}
    actors = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(actor_ids)))} if actor_ids else {}
    return render_template("reviews/history.html", submission=submission, events=events, actors=actors,
                           page_title=f"History of {submission.reference}")


# ---------------------------------------------------------------- chair


@bp.route("/review/chair")
@roles_required("chair")
def chair_queue():
    rows = db.session.scalars(select(Submission).where(Submission.state == workflow.State.IN_REVIEW.value)
                              .order_by(Submission.due_on.asc().nulls_last(), Submission.id)).all()
    rows = [s for s in rows if not services.is_team_member(current_user, s)]
    assignments = defaultdict(list)
    if rows:
        for a in db.session.scalars(select(Assignment).where(Assignment.submission_id.in_([s.id for s in rows]),
                                                             Assignment.active.is_(True))):
            if a.round_number == next(s.round_number for s in rows if s.id == a.submission_id):
                assignments[a.submission_id].append(a)
    return render_template("reviews/chair.html", rows=rows, assignments=assignments,
                           page_title="Applications awaiting a decision")


@bp.route("/review/applications/<int:submission_id>/decide", methods=["GET", "POST"])
@roles_required("chair")
def decide(submission_id: int):
    submission = _submission(submission_id)
    if services.is_team_member(current_user, submission):
        abort(403)
    form = DecisionForm()
    error = None
    if request.method == "POST":
        if form.validate_on_submit():
            decision, error = _run(services.decide, submission, current_user, outcome=form.outcome.data,
                                   summary=form.summary.data or "",
                                   conditions=(form.conditions.data or "").splitlines(),
                                   password=form.password.data)
            if not error:
                flash(f"Decision recorded and signed: {OUTCOMES[decision.outcome]}.", "success")
                job = db.session.scalar(select(RenderJob).where(
                    RenderJob.submission_id == submission.id, RenderJob.round_number == decision.round_number,
                    RenderJob.kind == "decision"))
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
@login_required
def feedback(submission_id: int):
    submission = _submission(submission_id)
    level = submission_services.access_level(current_user, submission)
    if level is None:
        abort(403)
    return _render_feedback(submission, level)


def _render_feedback(submission, level, reply_form=None, reply_parent=None, status=200):
    decisions = db.session.scalars(select(Decision).where(Decision.submission_id == submission.id)
                                   .order_by(Decision.round_number.desc())).all()
    conditions = db.session.scalars(select(Condition).where(Condition.submission_id == submission.id)
                                    .order_by(Condition.id)).all()
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
@login_required
def reply(submission_id: int):
    submission = _submission(submission_id)
    level = submission_services.access_level(current_user, submission)
    if level is None or level == "viewer":
        abort(403)
    form = ReplyForm()
    parent_id = int(form.parent_id.data) if (form.parent_id.data or "").isdigit() else None
    if not form.validate_on_submit() or parent_id is None:
        return _render_feedback(submission, level, reply_form=form, reply_parent=parent_id, status=422)
    _, error = _run(services.add_comment, submission, current_user, body=form.body.data, question_id=None,
                    visibility="applicant", parent_id=parent_id)
    if error:
        form.body.errors = [error]
        return _render_feedback(submission, level, reply_form=form, reply_parent=parent_id, status=422)
    flash("Your answer has been sent to the reviewers.", "success")
    return redirect(url_for(".feedback", submission_id=submission.id, _anchor=f"comment-{parent_id}"))


@bp.post("/applications/<int:submission_id>/conditions/<int:condition_id>/report")
@login_required
def report_condition(submission_id: int, condition_id: int):
    condition = db.session.get(Condition, condition_id)
    if condition is None or condition.submission_id != submission_id:
        abort(404)
    submission = _submission(submission_id)
    if submission_services.access_level(current_user, submission) is None:
        abort(403)
    form = ConditionReportForm()
    if not form.validate_on_submit():
        abort(400)
    _, error = _run(services.report_condition, condition, current_user, form.note.data or "")
    flash(error or "Thank you. The research office will confirm the condition.", "error" if error else "success")
    return redirect(url_for(".feedback", submission_id=submission.id))

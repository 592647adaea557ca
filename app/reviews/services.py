"""Every change in the review of an application: triage, assignment, conflicts of interest, comments,
recommendations, decisions and conditions. Each function checks permission and state, changes the models,
writes the audit event and queues the mail, in one transaction."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from flask import current_app
from sqlalchemy import Row, bindparam, case, func, or_, select
from sqlalchemy.orm import defer, joinedload

from app.auth.models import User, UserRole
from app.auth.services import reentered_password_ok
from app.core import audit
from app.core.audit import AuditEvent
from app.core.errors import Forbidden
from app.core.mail import queue_mail
from app.core.models import utcnow
from app.core.permissions import Resource, require
from app.core.web import external_url
from app.documents.models import RenderJob
from app.documents.services import assessment_job, request_assessment
from app.extensions import db
from app.questionnaires.answers import display_value
from app.reviews.models import OUTCOMES, RECOMMENDATIONS, Assignment, Comment, Condition, Decision
from app.reviews.permissions import (
    CommentUnderReview,
    UnderReview,
    assignment_visible,
    can_answer_committee,
    can_confirm_condition,
    can_decide,
    can_read_review,
    can_report_condition,
    can_resolve_comment,
    can_review,
    can_triage,
    can_unassign,
    comment_visible,
    condition_visible,
    holds_assignment,
    review_visible,
)
from app.submissions import services as submission_services
from app.submissions import workflow
from app.submissions.models import Round, Submission
from app.submissions.permissions import is_team_member
from app.submissions.services import PAGE_LOAD_OPTIONS, lock, page_submission
from app.submissions.signals import round_submitted
from app.submissions.workflow import State

# Working days are not modelled: calendar days from triage to the due date, by route.
REVIEW_DAYS = {"expedited": 10, "standard": 21, "full_committee": 28}
REMIND_DAYS_BEFORE = 2
OUTCOME_MEANINGS = {
    "approved": "Approved",
    "approved_with_conditions": "Approved with conditions",
    "changes_requested": "Changes requested (revise and resubmit)",
    "rejected": "Rejected",
}


class Decided(NamedTuple):
    decision: Decision
    job: RenderJob | None  # the signed assessment's rendering; None when it is not produced automatically


class ReviewRuleError(Exception):
    """A request that breaks a review rule; the message says which, for the page beside the form."""


# ---------------------------------------------------------------- access


# Built once, like the other statements every view of an application runs (submission_services._ANSWERS).
_ACTIVE_ASSIGNMENTS = (
    select(Assignment)
    .where(Assignment.submission_id == bindparam("submission_id"), Assignment.round_number == bindparam("number"),
           Assignment.active.is_(True))
    .order_by(Assignment.id)
    .options(joinedload(Assignment.reviewer))  # pages list each reviewer's name
)
_WITH_APPLICATION = joinedload(Assignment.submission).options(*PAGE_LOAD_OPTIONS)
_PAGE_ASSIGNMENT = select(Assignment).where(Assignment.id == bindparam("assignment_id")).options(_WITH_APPLICATION)
_PAGE_CONDITION = (select(Condition).where(Condition.id == bindparam("condition_id"))
                   .options(joinedload(Condition.submission).options(*PAGE_LOAD_OPTIONS)))
_ROUND = select(Round).where(Round.submission_id == bindparam("submission_id"), Round.number == bindparam("number"))
# The reviewer's page draws a round's answers and risk profile once (reviews.presenters), never its footprint.
_ROUND_FOR_PAGE = _ROUND.options(defer(Round.answers), defer(Round.risk_profile), defer(Round.footprint))
_DECISION = select(Decision).where(Decision.submission_id == bindparam("submission_id"),
                                   Decision.round_number == bindparam("number"))
# Comments are shown, never changed, by the pages that list them: plain rows with their author's name.
_COMMENTS = (select(Comment.id, Comment.parent_id, Comment.question_id, Comment.round_number, Comment.body,
                    Comment.visibility, Comment.created_at, Comment.resolved_at, Comment.released_at,
                    User.name.label("author_name"))
             .join(User, User.id == Comment.author_id)
             .where(Comment.submission_id == bindparam("submission_id")).order_by(Comment.id))


def active_assignments(submission: Submission, round_number: int | None = None) -> list[Assignment]:
    number = submission.round_number if round_number is None else round_number
    return list(db.session.scalars(_ACTIVE_ASSIGNMENTS, {"submission_id": submission.id, "number": number}))


def my_assignment(user: User, submission: Submission, kind: str | None = None) -> Assignment | None:
    query = select(Assignment).where(
        Assignment.submission_id == submission.id, Assignment.round_number == submission.round_number,
        Assignment.reviewer_id == user.id, Assignment.active.is_(True),
    )
    if kind:
        query = query.where(Assignment.kind == kind)
    return db.session.scalars(query.order_by(Assignment.id)).first()


def under_review(submission_id: int) -> UnderReview | None:
    """The application with its team and its current round's active assignments, for the committee's pages."""
    submission = page_submission(submission_id)
    return None if submission is None else under_review_of(submission)


def under_review_of(submission: Submission) -> UnderReview:
    return UnderReview(submission, active_assignments)


def page_assignment(assignment_id: int) -> Assignment | None:
    """The assignment with its application and team, which say who may act on it."""
    return db.session.scalar(_PAGE_ASSIGNMENT, {"assignment_id": assignment_id})


def page_condition(condition_id: int) -> Condition | None:
    return db.session.scalar(_PAGE_CONDITION, {"condition_id": condition_id})


def comment_under_review(comment_id: int) -> CommentUnderReview | None:
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        return None
    review = under_review(comment.submission_id)
    return None if review is None else CommentUnderReview(comment, review)


# What the committee's routes load by id: 404 for a missing id and for one the user may not know of.
REVIEW: Resource[UnderReview] = Resource("review", load=under_review, visible=review_visible, id_arg="submission_id")
ASSIGNMENT: Resource[Assignment] = Resource("assignment", load=page_assignment, visible=assignment_visible)
CONDITION: Resource[Condition] = Resource("condition", load=page_condition, visible=condition_visible)
COMMENT: Resource[CommentUnderReview] = Resource("target", load=comment_under_review, visible=comment_visible,
                                                 id_arg="comment_id")


# ---------------------------------------------------------------- coordinator


@dataclass
class QueueFilters:
    state: str = "open"
    tier: str = ""
    route: str = ""
    search: str = ""
    page: int = 1
    per_page: int = 25
    sort: str = "waiting"  # a key of QUEUE_SORTS
    direction: str = "asc"


QUEUE_STATES = {
    "open": (State.SUBMITTED, State.IN_REVIEW, State.CHANGES_REQUESTED, State.APPROVED_WITH_CONDITIONS),
    "triage": (State.SUBMITTED,),
    "in_review": (State.IN_REVIEW,),
    "changes_requested": (State.CHANGES_REQUESTED,),
    "conditions": (State.APPROVED_WITH_CONDITIONS,),
    "decided": (State.APPROVED, State.REJECTED),
    "withdrawn": (State.WITHDRAWN,),
}


def coordinator_queue(filters: QueueFilters) -> tuple[Sequence[Row[Any]], int]:
    """One page of the queue: rows with the columns a row shows (QUEUE_COLUMNS), and how many match in all."""
    states = QUEUE_STATES.get(filters.state, QUEUE_STATES["open"])
    query = select(*QUEUE_COLUMNS).where(Submission.state.in_([s.value for s in states]))
    if filters.tier:
        query = query.where(Submission.overall_tier == filters.tier)
    if filters.route:
        query = query.where(Submission.route == filters.route)
    if filters.search:
        like = f"%{filters.search.strip().lower()}%"
        query = query.where(or_(func.lower(Submission.reference).like(like), func.lower(Submission.title).like(like)))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    column = QUEUE_SORTS.get(filters.sort, QUEUE_SORTS["waiting"])
    order = column.desc() if filters.direction == "desc" else column.asc()
    rows = db.session.execute(
        query.order_by(order.nulls_last(), Submission.id)
        .limit(filters.per_page).offset((max(filters.page, 1) - 1) * filters.per_page)
    ).all()
    return rows, total or 0


# What a row of the queue shows, read as plain rows: a page of the queue changes nothing, and 25 ORM objects
# cost more than the query.
QUEUE_COLUMNS = (Submission.id, Submission.reference, Submission.title, Submission.overall_tier, Submission.route,
                 Submission.route_override_reason, Submission.state, Submission.submitted_at, Submission.due_on)


# Columns the coordinator's queue sorts by ("waiting": longest waiting first when ascending).
QUEUE_SORTS = {
    "reference": Submission.reference, "title": Submission.title,
    "tier": case({"Low": 1, "Medium": 2, "High": 3}, value=Submission.overall_tier),
    "route": Submission.route, "state": Submission.state, "waiting": Submission.submitted_at,
    "due": Submission.due_on,
}


def reviewer_pool(submission: Submission, kind: str = "reviewer") -> list[User]:
    """Active users who could review this application: holders of the role, minus its own team."""
    role = "security_officer" if kind == "security" else "reviewer"
    roles = (role, "chair") if kind == "reviewer" else (role,)
    users = db.session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role.in_(roles), User.active.is_(True)).distinct().order_by(User.name)
    ).all()
    return [u for u in users if not is_team_member(u, submission)]


def override_route(submission: Submission, actor: User, route: str, reason: str) -> None:
    require(can_triage, actor, submission)
    lock(submission)
    workflow.require("override_route", submission.state)
    if route not in workflow.ROUTES:
        raise ReviewRuleError("Choose one of the routes.")
    if not reason.strip():
        raise ReviewRuleError("Give the reason for changing the route.")
    previous = submission.route
    submission.route = route
    submission.route_override_reason = reason.strip()
    audit.record("route.overridden", actor=actor, object_type="submission", object_id=submission.id,
                 submission_id=submission.id, data={"from": previous, "to": route, "reason": reason.strip()})
    db.session.commit()


def assign(submission: Submission, actor: User, reviewer_id: int, *, kind: str = "reviewer",
           due_on: date | None = None) -> Assignment:
    require(can_triage, actor, submission)
    lock(submission)
    workflow.require("assign", submission.state)
    reviewer = db.session.get(User, reviewer_id)
    if reviewer is None or not reviewer.active:
        raise ReviewRuleError("Choose a reviewer from the list.")
    if is_team_member(reviewer, submission):
        raise ReviewRuleError(f"{reviewer.name} is on this application's team and cannot review it.")
    needed_role = "security_officer" if kind == "security" else None
    if needed_role and not reviewer.has_role(needed_role):
        raise ReviewRuleError(f"{reviewer.name} is not a security officer.")
    if kind == "reviewer" and not reviewer.has_any_role("reviewer", "chair"):
        raise ReviewRuleError(f"{reviewer.name} is not in the reviewer pool.")
    existing = db.session.scalar(select(Assignment).where(
        Assignment.submission_id == submission.id, Assignment.round_number == submission.round_number,
        Assignment.reviewer_id == reviewer.id, Assignment.kind == kind))
    if existing is not None and existing.active:
        return existing  # a repeated click assigns once
    if existing is not None and existing.coi_status == "declared":
        raise ReviewRuleError(f"{reviewer.name} declared a conflict of interest on this application.")
    due = due_on or submission.due_on or (date.today() + timedelta(days=REVIEW_DAYS.get(submission.route or "", 21)))
    if existing is not None:
        existing.active = True
        existing.due_on = due
        assignment = existing
    else:
        assignment = Assignment(submission_id=submission.id, round_number=submission.round_number,
                                reviewer_id=reviewer.id, kind=kind, assigned_by_id=actor.id, due_on=due)
        db.session.add(assignment)
    if submission.due_on is None:
        submission.due_on = due
    db.session.flush()
    audit.record("reviewer.assigned", actor=actor, object_type="assignment", object_id=assignment.id,
                 submission_id=submission.id,
                 data={"reviewer": reviewer.email, "kind": kind, "round": submission.round_number,
                       "due": due.isoformat()})
    notify(reviewer, f"Review request: {submission.reference}",
           f"You have been asked to {'give the security sign-off for' if kind == 'security' else 'review'} "
           f"{submission.reference} \"{submission.title}\" by {due.strftime('%-d %B %Y')}.\n\n"
           f"First declare any conflict of interest: {_link('reviews.assignment', assignment_id=assignment.id)}")
    db.session.commit()
    return assignment


def unassign(assignment: Assignment, actor: User) -> None:
    require(can_unassign, actor, assignment)
    submission = lock(db.session.get_one(Submission, assignment.submission_id))
    workflow.require("assign", submission.state)
    if assignment.recommendation:
        raise ReviewRuleError("This reviewer has already recommended; their review is kept.")
    assignment.active = False
    audit.record("reviewer.unassigned", actor=actor, object_type="assignment", object_id=assignment.id,
                 submission_id=submission.id, data={"reviewer_id": assignment.reviewer_id})
    db.session.commit()


def assignments_of(submission: Submission) -> list[Assignment]:
    """Every assignment of every round, newest round first: the triage page's record of who was asked."""
    return list(db.session.scalars(select(Assignment).where(Assignment.submission_id == submission.id)
                                   .order_by(Assignment.round_number.desc(), Assignment.id)))


def conditions_of(submission: Submission) -> list[Condition]:
    return list(db.session.scalars(select(Condition).where(Condition.submission_id == submission.id)
                                   .order_by(Condition.id)))


def review_requirements(submission: Submission) -> list[str]:
    """What is still missing before review can start (empty when ready)."""
    assignments = [a for a in active_assignments(submission) if a.coi_status != "declared"]
    reviewers = [a for a in assignments if a.kind == "reviewer"]
    missing = []
    required = workflow.REVIEWERS_REQUIRED.get(submission.route or "standard", 2)
    if len(reviewers) < required:
        missing.append(f"{workflow.ROUTES[submission.route or 'standard']} needs {required} "
                       f"reviewer{'s' if required > 1 else ''}; {len(reviewers)} assigned.")
    if submission.security_signoff_required and not any(a.kind == "security" for a in assignments):
        missing.append("Dual use is High: assign the security officer for the sign-off.")
    return missing


def start_review(submission: Submission, actor: User) -> None:
    require(can_triage, actor, submission)
    lock(submission)
    target = workflow.next_state("start_review", submission.state)
    missing = review_requirements(submission)
    if missing:
        raise ReviewRuleError(" ".join(missing))
    submission.state = target.value
    submission.updated_at = utcnow()
    audit.record("review.started", actor=actor, object_type="submission", object_id=submission.id,
                 submission_id=submission.id, data={"route": submission.route, "round": submission.round_number})
    route = workflow.ROUTES[submission.route or "standard"]
    expected = submission.due_on.strftime("%-d %B %Y") if submission.due_on else "the due date"
    _notify_team(submission, f"{submission.reference} is in review",
                 f"Review of \"{submission.title}\" has started on the {route.lower()} route. Expected by {expected}.")
    db.session.commit()


# ---------------------------------------------------------------- reviewer


MINE_PER_PAGE = 25
MINE_FILTERS = {"all": "All", "todo": "Still to recommend", "done": "Recommended"}
MINE_SORTS = {"reference": Submission.reference, "title": Submission.title, "due": Assignment.due_on}


def my_reviews(user: User, *, show: str, search: str, sort: str, direction: str,
               page: int) -> tuple[list[Assignment], dict[int, Submission], int]:
    """One page of the reviewer's active assignments on current rounds, their applications by id, and the total."""
    query = (
        select(Assignment).join(Submission, Submission.id == Assignment.submission_id)
        .where(Assignment.reviewer_id == user.id, Assignment.active.is_(True),
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
    column = MINE_SORTS[sort]
    order = column.desc() if direction == "desc" else column.asc()
    assignments = list(db.session.scalars(
        query.order_by(order.nulls_last(), Assignment.id).limit(MINE_PER_PAGE).offset((page - 1) * MINE_PER_PAGE)
    ))
    submissions = {s.id: s for s in db.session.scalars(
        select(Submission).where(Submission.id.in_([a.submission_id for a in assignments])))} if assignments else {}
    return assignments, submissions, total



def declare_interest(assignment: Assignment, actor: User, *, has_conflict: bool, statement: str) -> None:
    require(holds_assignment, actor, assignment)
    submission = lock(db.session.get_one(Submission, assignment.submission_id))
    workflow.require("declare_interest", submission.state)
    if assignment.coi_status != "pending":
        return  # already declared: a repeated click changes nothing
    if has_conflict and not statement.strip():
        raise ReviewRuleError("Describe the conflict of interest so the coordinator can reassign the review.")
    assignment.coi_status = "declared" if has_conflict else "none"
    assignment.coi_statement = statement.strip() or None
    assignment.coi_declared_at = utcnow()
    if has_conflict:
        assignment.active = False
    audit.record("conflict.declared" if has_conflict else "conflict.none_declared", actor=actor,
                 object_type="assignment", object_id=assignment.id, submission_id=submission.id,
                 data={"statement": statement.strip()} if has_conflict else {})
    if has_conflict:
        for coordinator in _users_with_role("coordinator"):
            notify(coordinator, f"Reassign a reviewer: {submission.reference}",
                   f"{actor.name} declared a conflict of interest on {submission.reference} and has been recused.\n"
                   f"Statement: {statement.strip()}\n\nAssign another reviewer: "
                   f"{_link('reviews.triage', submission_id=submission.id)}")
    db.session.commit()


def _comment_body(body: str) -> str:
    body = body.strip()
    if not body:
        raise ReviewRuleError("Write a comment before sending it.")
    if len(body) > 10000:
        raise ReviewRuleError(f"Enter 10000 characters or fewer (you entered {len(body)}).")
    return body


def _thread_root(submission: Submission, parent_id: int | None) -> Comment | None:
    """The comment that starts the thread a reply is for (a reply to a reply joins its thread); None: a new thread."""
    if parent_id is None:
        return None
    parent = db.session.get(Comment, parent_id)
    if parent is None or parent.submission_id != submission.id:
        raise ReviewRuleError("The comment you are replying to does not exist.")
    if parent.parent_id is not None:
        parent = db.session.get_one(Comment, parent.parent_id)
    return parent


def _comment_visibility(submission: Submission, actor: User, parent: Comment | None, visibility: str, *,
                        team: bool) -> str:
    """Who a new comment is for, once the author is known to be allowed to write it there."""
    if team:
        require(can_answer_committee, actor, submission)
        workflow.require("applicant_reply", submission.state)
        # Applicants answer threads addressed to them; they cannot start committee discussions.
        if parent is None or parent.visibility != "applicant" or parent.released_at is None:
            raise Forbidden("applicants answer the threads released to them")
        return "applicant"
    require(can_read_review, actor, under_review_of(submission))
    workflow.require("review_comment", submission.state)
    if parent is not None and parent.visibility == "committee":
        visibility = "committee"
    if visibility not in ("applicant", "committee"):
        raise ReviewRuleError("Choose who the comment is for.")
    return visibility


def _require_question(submission: Submission, question_id: str) -> None:
    try:
        submission_services.questionnaire_for(submission).question(question_id)
    except KeyError:
        raise ReviewRuleError("That question does not exist.") from None


def add_comment(submission: Submission, actor: User, *, body: str, question_id: str | None,
                visibility: str, parent_id: int | None) -> Comment:
    body = _comment_body(body)
    lock(submission)
    parent = _thread_root(submission, parent_id)
    if parent is not None:
        question_id = parent.question_id
    team = is_team_member(actor, submission)
    visibility = _comment_visibility(submission, actor, parent, visibility, team=team)
    if question_id is not None:
        _require_question(submission, question_id)
    comment = Comment(submission_id=submission.id, round_number=submission.round_number, question_id=question_id,
                      parent_id=parent.id if parent else None, author_id=actor.id, body=body,
                      visibility=visibility, released_at=utcnow() if team else None)
    db.session.add(comment)
    if parent is not None and parent.resolved_at is not None and team:
        parent.resolved_at = None  # an applicant's answer reopens the thread for the reviewer
    db.session.flush()
    audit.record("comment.added", actor=actor, object_type="comment", object_id=comment.id,
                 submission_id=submission.id,
                 data={"question": question_id, "visibility": visibility, "reply_to": parent.id if parent else None})
    if team:
        for assignment in active_assignments(submission):
            notify(assignment.reviewer, f"Applicant replied: {submission.reference}",
                   f"The applicant answered a comment on {submission.reference}"
                   f"{' (question ' + question_id + ')' if question_id else ''}.")
    db.session.commit()
    return comment


def resolve_thread(target: CommentUnderReview, actor: User) -> None:
    require(can_resolve_comment, actor, target)
    comment, submission = target.comment, target.review.submission
    if comment.parent_id is not None:
        comment = db.session.get_one(Comment, comment.parent_id)
    if comment.resolved_at is None:
        comment.resolved_at = utcnow()
        comment.resolved_by_id = actor.id
        audit.record("comment.resolved", actor=actor, object_type="comment", object_id=comment.id,
                     submission_id=submission.id, data={})
        db.session.commit()


def recommend(assignment: Assignment, actor: User, *, recommendation: str, summary: str) -> None:
    require(can_review, actor, assignment)
    submission = lock(db.session.get_one(Submission, assignment.submission_id))
    workflow.require("recommend", submission.state)
    if recommendation not in RECOMMENDATIONS:
        raise ReviewRuleError("Choose a recommendation.")
    if not summary.strip():
        raise ReviewRuleError("Summarise the reasons for your recommendation.")
    if assignment.recommendation == recommendation and assignment.summary == summary.strip():
        return
    changed = assignment.recommendation is not None
    assignment.recommendation = recommendation
    assignment.summary = summary.strip()
    assignment.completed_at = utcnow()
    audit.record("recommendation.changed" if changed else "recommendation.recorded", actor=actor,
                 object_type="assignment", object_id=assignment.id, submission_id=submission.id,
                 data={"recommendation": recommendation, "kind": assignment.kind, "round": assignment.round_number})
    if all(a.recommendation for a in active_assignments(submission)):
        for chair in _users_with_role("chair"):
            if not is_team_member(chair, submission):
                notify(chair, f"Ready for decision: {submission.reference}",
                       f"Every reviewer has recommended on {submission.reference} \"{submission.title}\".\n"
                       f"{_link('reviews.decide', submission_id=submission.id)}")
    db.session.commit()


# ---------------------------------------------------------------- chair


def awaiting_decision(chair: User) -> tuple[list[Submission], dict[int, list[Assignment]]]:
    """Applications in review, soonest due first, except the chair's own team's; with each one's active
    assignments on its current round."""
    rows = [s for s in db.session.scalars(select(Submission).where(Submission.state == State.IN_REVIEW.value)
                                          .order_by(Submission.due_on.asc().nulls_last(), Submission.id))
            if not is_team_member(chair, s)]
    rounds = {s.id: s.round_number for s in rows}
    assignments: dict[int, list[Assignment]] = defaultdict(list)
    if rows:
        for a in db.session.scalars(select(Assignment).where(Assignment.submission_id.in_(rounds),
                                                             Assignment.active.is_(True))):
            if a.round_number == rounds[a.submission_id]:
                assignments[a.submission_id].append(a)
    return rows, assignments


def decision_blockers(submission: Submission, outcome: str) -> list[str]:
    assignments = active_assignments(submission)
    blockers = []
    reviewers = [a for a in assignments if a.kind == "reviewer"]
    done = [a for a in reviewers if a.recommendation]
    required = workflow.REVIEWERS_REQUIRED.get(submission.route or "standard", 2)
    if len(done) < required:
        blockers.append(f"{len(done)} of the {required} required reviewer recommendations are in.")
    if outcome in ("approved", "approved_with_conditions") and submission.security_signoff_required:
        signoff = [a for a in assignments if a.kind == "security" and a.recommendation in
                   ("approve", "approve_with_conditions")]
        if not signoff:
            blockers.append("Dual use is High: the security officer must sign off before approval.")
    return blockers


def decide(submission: Submission, actor: User, *, outcome: str, summary: str, conditions: list[str],
           password: str) -> Decided:
    """Record the chair's signed decision; the signed assessment is then asked for (its job is returned, for the
    page to show its progress)."""
    require(can_decide, actor, submission)
    lock(submission)
    existing = db.session.scalar(select(Decision).where(Decision.submission_id == submission.id,
                                                        Decision.round_number == submission.round_number))
    if existing is not None:  # a repeated click: the first decision stands
        return Decided(existing, assessment_job(submission.id, existing.round_number, "decision"))
    if outcome not in OUTCOMES:
        raise ReviewRuleError("Choose a decision.")
    target = workflow.next_state(f"decide:{outcome}", submission.state)
    conditions = [c.strip() for c in conditions if c.strip()]
    if outcome == "approved_with_conditions" and not conditions:
        raise ReviewRuleError("List at least one condition.")
    if outcome != "approved_with_conditions":
        conditions = []
    blockers = decision_blockers(submission, outcome)
    if blockers:
        raise ReviewRuleError(" ".join(blockers))
    # Throttled like sign-in: too many wrong passwords and the page answers 429 (app/auth/throttle.py).
    if not reentered_password_ok(actor, password or "", purpose="decision"):
        audit.record("decision.signature_failed", actor=actor, object_type="submission", object_id=submission.id,
                     submission_id=submission.id, data={})
        db.session.commit()
        raise ReviewRuleError("Your password was not right, so the decision was not signed.")
    now = utcnow()
    decision = Decision(submission_id=submission.id, round_number=submission.round_number, outcome=outcome,
                        summary=summary.strip(), decided_by_id=actor.id, decided_at=now,
                        signature_name=actor.name, signature_meaning=f"{OUTCOME_MEANINGS[outcome]} — chair")
    db.session.add(decision)
    db.session.flush()
    for text in conditions:
        db.session.add(Condition(decision_id=decision.id, submission_id=submission.id, text=text))
    # Comments addressed to the applicant are released with the decision.
    for comment in db.session.scalars(select(Comment).where(
            Comment.submission_id == submission.id, Comment.visibility == "applicant",
            Comment.released_at.is_(None))):
        comment.released_at = now
    submission.state = target.value
    submission.updated_at = now
    audit.record("decision.recorded", actor=actor, object_type="decision", object_id=decision.id,
                 submission_id=submission.id,
                 data={"outcome": outcome, "round": submission.round_number, "conditions": conditions,
                       "signature": {"name": actor.name, "at": now.isoformat(), "meaning": decision.signature_meaning}})
    _notify_team(submission, f"Decision on {submission.reference}: {OUTCOMES[outcome]}",
                 f"The committee has decided on \"{submission.title}\": {OUTCOMES[outcome]}.\n"
                 + ("\nConditions:\n" + "\n".join(f"- {c}" for c in conditions) + "\n" if conditions else "")
                 + f"\nRead the decision and the reviewers' comments: "
                 f"{_link('reviews.feedback', submission_id=submission.id)}")
    db.session.commit()
    return Decided(decision, _request_assessment(submission, decision.round_number, "decision", actor))


# ---------------------------------------------------------------- conditions


def report_condition(condition: Condition, actor: User, note: str) -> None:
    require(can_report_condition, actor, condition)
    submission = lock(db.session.get_one(Submission, condition.submission_id))
    workflow.require("report_condition", submission.state)
    if condition.reported_met_at is not None:
        return
    condition.reported_met_at = utcnow()
    condition.reported_by_id = actor.id
    condition.report_note = note.strip() or None
    audit.record("condition.reported_met", actor=actor, object_type="condition", object_id=condition.id,
                 submission_id=submission.id, data={"note": note.strip()})
    for coordinator in _users_with_role("coordinator"):
        notify(coordinator, f"Condition reported met: {submission.reference}",
               f"The applicant reports a condition met on {submission.reference}: {condition.text}\n"
               f"Confirm it: {_link('reviews.triage', submission_id=submission.id)}")
    db.session.commit()


def confirm_condition(condition: Condition, actor: User) -> bool:
    """Confirm a condition; the last confirmation approves the application. Returns True when it did."""
    require(can_confirm_condition, actor, condition)
    submission = lock(db.session.get_one(Submission, condition.submission_id))
    workflow.require("confirm_condition", submission.state)
    if condition.reported_met_at is None:
        raise ReviewRuleError("The applicant has not reported this condition as met yet.")
    if condition.confirmed_at is not None:
        return False
    condition.confirmed_at = utcnow()
    condition.confirmed_by_id = actor.id
    audit.record("condition.confirmed", actor=actor, object_type="condition", object_id=condition.id,
                 submission_id=submission.id, data={"text": condition.text})
    remaining = db.session.scalar(select(func.count()).select_from(Condition).where(
        Condition.submission_id == submission.id, Condition.confirmed_at.is_(None)))
    approved = False
    if remaining == 0:
        submission.state = workflow.next_state("conditions_met", submission.state).value
        submission.updated_at = utcnow()
        audit.record("conditions.all_met", actor=actor, object_type="submission", object_id=submission.id,
                     submission_id=submission.id, data={"round": submission.round_number})
        _notify_team(submission, f"{submission.reference} approved",
                     f"Every condition on \"{submission.title}\" has been confirmed: the application is approved.")
        approved = True
    db.session.commit()
    if approved:
        _request_assessment(submission, submission.round_number, "conditions_met", actor)
    return approved


# ---------------------------------------------------------------- rounds


@round_submitted.connect
def _carry_reviewers_over(submission: Submission, round: Round, actor: User, **_: Any) -> None:
    """On resubmission the same reviewers see the new round; their conflict declarations stand."""
    if round.number < 2:
        return
    for previous in active_assignments(submission, round.number - 1):
        db.session.add(Assignment(
            submission_id=submission.id, round_number=round.number, reviewer_id=previous.reviewer_id,
            kind=previous.kind, assigned_by_id=previous.assigned_by_id, coi_status=previous.coi_status,
            coi_declared_at=previous.coi_declared_at,
            due_on=date.today() + timedelta(days=REVIEW_DAYS.get(submission.route or "", 21)),
        ))
        notify(previous.reviewer, f"Resubmitted: {submission.reference} (round {round.number})",
               f"{submission.reference} \"{submission.title}\" has been revised and resubmitted. "
               f"The changes are shown question by question: {_link('reviews.diff', submission_id=submission.id)}")


def round_answers(submission: Submission, number: int) -> Round | None:
    return db.session.scalar(_ROUND, {"submission_id": submission.id, "number": number})


def round_of(submission: Submission, number: int) -> Round | None:
    """The round without its answers, risk profile and footprint, which are loaded only if read."""
    return db.session.scalar(_ROUND_FOR_PAGE, {"submission_id": submission.id, "number": number})


def round_contents(round_: Round) -> tuple[dict[str, Any], dict[str, Any]]:
    """A round_of() round's answers and risk profile, loaded together."""
    db.session.refresh(round_, attribute_names=["answers", "risk_profile"])
    return round_.answers, round_.risk_profile


def current_decision(submission: Submission) -> Decision | None:
    """The decision on the application's current round, if the chair has made it."""
    if not workflow.may_have_decision(submission.state):
        return None
    return db.session.scalar(_DECISION, {"submission_id": submission.id, "number": submission.round_number})


def decisions_of(submission: Submission) -> list[Decision]:
    """Every round's decision, newest first."""
    return list(db.session.scalars(select(Decision).where(Decision.submission_id == submission.id)
                                   .order_by(Decision.round_number.desc())))


def history_of(submission: Submission) -> tuple[list[AuditEvent], dict[int, User]]:
    """The application's audit events in order, and the users who acted, by id."""
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.submission_id == submission.id)
                                     .order_by(AuditEvent.id)))
    actor_ids = {e.actor_id for e in events if e.actor_id}
    actors = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(actor_ids)))} if actor_ids else {}
    return events, actors


def comments_of(submission: Submission) -> Sequence[Row[Any]]:
    """Every comment and reply on the application, oldest first: rows with Comment's fields and author_name."""
    return db.session.execute(_COMMENTS, {"submission_id": submission.id}).all()


def round_diff(submission: Submission, old_number: int, new_number: int) -> list[dict[str, Any]]:
    """Per-question comparison of two rounds, changed questions first, each in questionnaire order."""
    questionnaire = submission_services.questionnaire_for(submission)
    old, new = round_answers(submission, old_number), round_answers(submission, new_number)
    if old is None or new is None:
        raise LookupError()
    rows = []
    for question in questionnaire.questions:
        before, after = old.answers.get(question.id), new.answers.get(question.id)
        if before is None and after is None:
            continue
        rows.append({
            "question": question,
            "before": _display(question, before),
            "after": _display(question, after),
            "changed": before != after,
        })
    return sorted(rows, key=lambda row: not row["changed"])


def _display(question, value) -> str:
    if value is None or value == "" or value == []:
        return "(no answer)"
    try:
        return display_value(question, value)
    except (KeyError, TypeError, ValueError):
        return str(value)


# ---------------------------------------------------------------- reminders, mail


def send_reminders(today: date | None = None) -> int:
    """Mail reviewers whose review is due within REMIND_DAYS_BEFORE days or overdue; once a day at most."""
    today = today or date.today()
    horizon = today + timedelta(days=REMIND_DAYS_BEFORE)
    start_of_day = datetime.combine(today, datetime.min.time()).replace(tzinfo=utcnow().tzinfo)
    due = db.session.scalars(
        select(Assignment).join(Submission, Submission.id == Assignment.submission_id)
        .where(Assignment.active.is_(True), Assignment.recommendation.is_(None),
               Assignment.round_number == Submission.round_number,
               Submission.state.in_([State.SUBMITTED.value, State.IN_REVIEW.value]),
               Assignment.due_on.is_not(None), Assignment.due_on <= horizon,
               or_(Assignment.last_reminded_at.is_(None), Assignment.last_reminded_at < start_of_day))
    ).all()
    for assignment in due:
        due_on = assignment.due_on
        if due_on is None:
            continue  # not selected by the query: only assignments with a due date are
        submission = db.session.get_one(Submission, assignment.submission_id)
        overdue = due_on < today
        notify(assignment.reviewer,
               f"{'Overdue' if overdue else 'Due soon'}: review of {submission.reference}",
               f"Your review of {submission.reference} \"{submission.title}\" "
               f"{'was due' if overdue else 'is due'} on {due_on.strftime('%-d %B %Y')}.\n"
               f"{_link('reviews.assignment', assignment_id=assignment.id)}", immediate=True)
        assignment.last_reminded_at = utcnow()
        audit.record("reminder.sent", actor=None, object_type="assignment", object_id=assignment.id,
                     submission_id=submission.id, data={"due": due_on.isoformat(), "overdue": overdue})
    db.session.commit()
    return len(due)


def _request_assessment(submission: Submission, round_number: int, kind: str, actor: User) -> RenderJob | None:
    """Produce the signed assessment for the archive once the decision is committed.

    With Redis this only queues a job; without, it renders in this request. A rendering failure is recorded
    on the job (and retried) by the documents service, never lost, and never undoes the decision.
    """
    if not current_app.config.get("ASSESSMENT_AUTO_RENDER", True):
        return None
    return request_assessment(submission.id, round_number, kind, actor.id)


def notify(user: User, subject: str, body: str, *, immediate: bool = False) -> None:
    queue_mail(user.email, subject, body, user_id=user.id, digest=user.mail_digest and not immediate)


def _notify_team(submission: Submission, subject: str, body: str) -> None:
    notify(submission.owner, subject, body)
    emails = [m.email for m in submission.members]
    users = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))} if emails else {}
    for email in emails:
        if email in users:
            notify(users[email], subject, body)
        else:
            queue_mail(email, subject, body)


def _users_with_role(role: str) -> list[User]:
    return list(db.session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id).where(UserRole.role == role, User.active.is_(True))
    ))


def _link(endpoint: str, **values: Any) -> str:
    # Always under the configured public address, never the request's Host header (and the same from the CLI).
    return external_url(endpoint, **values)

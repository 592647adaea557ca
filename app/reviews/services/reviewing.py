"""The reviewers' work: their list, declarations of interest, comments and replies, recommendations, and
their carrying over to a resubmitted round."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from app.auth.models import User
from app.core import audit, lists
from app.core.errors import Forbidden
from app.core.models import utcnow
from app.core.permissions import require
from app.extensions import db
from app.questionnaires.answers import answer_view
from app.reviews import export_control
from app.reviews.models import RECOMMENDATIONS, Assignment, Comment, SecuritySignoff
from app.reviews.permissions import (
    CommentUnderReview,
    can_answer_committee,
    can_decide,
    can_read_review,
    can_resolve_comment,
    can_review,
    can_sign_off,
    holds_assignment,
)
from app.reviews.services.notifications import link, notify, users_with_role
from app.reviews.services.records import (
    REVIEW_DAYS,
    ReviewRuleError,
    active_assignments,
    under_review_of,
)
from app.submissions import services as submission_services
from app.submissions import workflow
from app.submissions.models import Round, Submission
from app.submissions.permissions import is_team_member
from app.submissions.services import lock
from app.submissions.signals import round_submitted

MINE_PER_PAGE = 25
MINE_FILTERS = {"all": "All", "todo": "Still to recommend", "done": "Recommended"}
MINE_SORTS = ("reference", "title", "due")


def my_reviews(user: User, *, show: str, search: str, sort: str, direction: str,
               page: int) -> tuple[list[Assignment], dict[int, Submission], int, bool]:
    """One page of the reviewer's active assignments on current rounds, their applications by id, how many
    there are (counted up to lists.COUNT_LIMIT) and whether there are more."""
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
    descending = direction == "desc"
    if sort == "due":
        # The reviewer's index is in due order: the page is read straight from it.
        query = query.order_by(*lists.order(Assignment.due_on, Assignment.id, descending=descending, nullable=True))
    else:
        # A reviewer's assignments are few next to all the applications: read them first, through the
        # reviewer's index, and sort those. Left to itself the planner walks every application in title order
        # looking for them (150 ms at 100,000 applications, against 25 ms for a reviewer with 2,866).
        chosen = (query.with_only_columns(Assignment.id, Submission.reference, Submission.title)
                  .cte("chosen").prefix_with("MATERIALIZED"))
        query = (select(Assignment).join(chosen, chosen.c.id == Assignment.id)
                 .order_by(*lists.order(chosen.c[sort], chosen.c.id, descending=descending, nullable=False)))
    total, more = lists.capped_count(query)
    assignments = list(db.session.scalars(query.limit(MINE_PER_PAGE).offset((page - 1) * MINE_PER_PAGE)))
    submissions = {s.id: s for s in db.session.scalars(
        select(Submission).where(Submission.id.in_([a.submission_id for a in assignments])))} if assignments else {}
    return assignments, submissions, total, more


# The answers a conflict of interest is judged on (who leads the project, who works on it, with which partners,
# paid by whom), by question id; a version of the questionnaire without one of them leaves it out.
CONFLICT_QUESTIONS = ("A8", "A9a", "G2", "A4a", "A3", "A3a")


@dataclass
class ConflictFacts:
    """What a reviewer declares a conflict of interest against, before seeing the rest of the application."""
    applicant: User
    # The team on the application: the applicant, then each invited member (their name once they have an
    # account, the address they were invited at until then) with their role.
    team: list[tuple[str, str]]
    # (question, its answer as submitted in the current round, as answers.answer_view shows it), in questionnaire
    # order.
    answers: list[tuple[Any, dict[str, Any]]]


def conflict_facts(submission: Submission) -> ConflictFacts:
    """The facts of the current round a reviewer judges a conflict by, and only those: the applicant and team,
    and the answers naming the PI, team members, partner institutions and funders (CONFLICT_QUESTIONS)."""
    questionnaire = submission_services.questionnaire_for(submission)
    round_ = db.session.scalar(select(Round).where(Round.submission_id == submission.id,
                                                   Round.number == submission.round_number))
    submitted = round_.answers if round_ is not None else {}
    answers = [(q, answer_view(q, submitted[q.id])) for q in questionnaire.questions
               if q.id in CONFLICT_QUESTIONS and submitted.get(q.id) not in (None, "", [])]
    emails = [m.email for m in submission.joined_members]
    names = dict(db.session.execute(select(User.email, User.name).where(User.email.in_(emails))).tuples().all()) \
        if emails else {}
    team = [(names.get(m.email, m.email), m.role) for m in submission.joined_members]
    return ConflictFacts(submission.owner, team, answers)


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
    if has_conflict and actor.has_role("chair"):
        # A recused chair hands the decision to a deputy chair: on the record, and to the deputies' lists.
        audit.record("chair.recused", actor=actor, object_type="assignment", object_id=assignment.id,
                     submission_id=submission.id, data={"round": assignment.round_number})
        for deputy in users_with_role("deputy_chair"):
            if not is_team_member(deputy, submission):
                notify(deputy, f"Decide as deputy chair: {submission.reference}",
                       f"The chair declared a conflict of interest on {submission.reference} \"{submission.title}\"; "
                       f"the decision is for a deputy chair.\n{link('reviews.decide', submission_id=submission.id)}")
    if has_conflict:
        for coordinator in users_with_role("coordinator"):
            notify(coordinator, f"Reassign a reviewer: {submission.reference}",
                   f"{actor.name} declared a conflict of interest on {submission.reference} and has been recused.\n"
                   f"Statement: {statement.strip()}\n\nAssign another reviewer: "
                   f"{link('reviews.triage', submission_id=submission.id)}")
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
    _tell_chairs_when_ready(submission)
    db.session.commit()


def _tell_chairs_when_ready(submission: Submission) -> None:
    """Once every assigned reviewer (and the security officer) has concluded, those who may decide are told."""
    if all(a.recommendation for a in active_assignments(submission)):
        review = under_review_of(submission)
        for chair in users_with_role("chair") + users_with_role("deputy_chair"):
            if can_decide(chair, review):
                notify(chair, f"Ready for decision: {submission.reference}",
                       f"Every reviewer has recommended on {submission.reference} \"{submission.title}\".\n"
                       f"{link('reviews.decide', submission_id=submission.id)}")


def sign_off(assignment: Assignment, actor: User, *, classification: str, entry: str, basis: str, licence: str,
             trusted_research: str, conditions: str) -> SecuritySignoff:
    """Record (or correct, while the round is in review) the security officer's sign-off. It also stands as the
    security assignment's recommendation in the committee's lists (export_control.RECOMMENDATION_FOR)."""
    require(can_sign_off, actor, assignment)
    submission = lock(db.session.get_one(Submission, assignment.submission_id))
    workflow.require("recommend", submission.state)
    found = export_control.problems(classification=classification, entry=entry, basis=basis, licence=licence,
                                    trusted_research=trusted_research, conditions=conditions)
    if found:
        raise ReviewRuleError(next(iter(found.values())) + ".")
    listed_as = export_control.control_entry(entry) if classification == "listed" else None
    values: dict[str, Any] = {
        "control_entry": listed_as, "basis": basis.strip(), "licence_required": licence == "yes",
        "trusted_research": trusted_research, "conditions": conditions.strip(),
    }
    signoff = db.session.scalar(select(SecuritySignoff).where(SecuritySignoff.assignment_id == assignment.id))
    if signoff is not None and all(getattr(signoff, k) == v for k, v in values.items()):
        return signoff  # sent again unchanged
    now = utcnow()
    changed = signoff is not None
    if signoff is None:
        signoff = SecuritySignoff(assignment_id=assignment.id, submission_id=submission.id,
                                  round_number=assignment.round_number)
        db.session.add(signoff)
    for key, value in values.items():
        setattr(signoff, key, value)
    signoff.signed_by_id, signoff.signed_at = actor.id, now
    assignment.recommendation = export_control.RECOMMENDATION_FOR[trusted_research]
    assignment.summary = export_control.summary(listed_as, licence == "yes", trusted_research)
    assignment.completed_at = now
    db.session.flush()
    audit.record("security_signoff.changed" if changed else "security_signoff.recorded", actor=actor,
                 object_type="security_signoff", object_id=signoff.id, submission_id=submission.id,
                 data={**values, "round": assignment.round_number})
    _tell_chairs_when_ready(submission)
    db.session.commit()
    return signoff


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
               f"The changes are shown question by question: {link('reviews.diff', submission_id=submission.id)}")

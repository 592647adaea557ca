"""What the review's pages and services read: an application under review with its active assignments,
the objects its routes load by id, its rounds, comments, decisions and history; and the one error its rules
raise."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, bindparam, or_, select
from sqlalchemy.orm import joinedload

from app.auth.models import User
from app.core.audit import AuditEvent
from app.core.permissions import Resource
from app.extensions import db
from app.questionnaires import footprint, records
from app.questionnaires.answers import answer_view
from app.questionnaires.schema import RECORDS_TYPE, STAGES_TYPE, Question
from app.reviews.history import HistoryLine, history_lines
from app.reviews.models import Assignment, Comment, Condition, Decision
from app.reviews.permissions import (
    CommentUnderReview,
    UnderReview,
    assignment_visible,
    comment_visible,
    condition_visible,
    review_visible,
)
from app.submissions import services as submission_services
from app.submissions import workflow
from app.submissions.models import Round, Submission
from app.submissions.services import PAGE_LOAD_OPTIONS, page_submission

REVIEW_DAYS = workflow.REVIEW_DAYS


class ReviewRuleError(Exception):
    """A request that breaks a review rule; the message says which, for the page beside the form."""


_ACTIVE_ASSIGNMENTS = (
    select(Assignment)
    .where(Assignment.submission_id == bindparam("submission_id"), Assignment.round_number == bindparam("number"),
           Assignment.active.is_(True))
    .order_by(Assignment.id)
    # Pages list each reviewer's name, and the security officer's sign-off.
    .options(joinedload(Assignment.reviewer), joinedload(Assignment.signoff))
)
_RECUSALS = (
    select(Assignment)
    .where(Assignment.submission_id == bindparam("submission_id"), Assignment.coi_status == "declared")
    .order_by(Assignment.id)
    .options(joinedload(Assignment.reviewer).selectinload(User.role_grants))
)
_WITH_APPLICATION = joinedload(Assignment.submission).options(*PAGE_LOAD_OPTIONS)
_PAGE_ASSIGNMENT = select(Assignment).where(Assignment.id == bindparam("assignment_id")).options(_WITH_APPLICATION)
_PAGE_CONDITION = (select(Condition).where(Condition.id == bindparam("condition_id"))
                   .options(joinedload(Condition.submission).options(*PAGE_LOAD_OPTIONS)))
_ROUND = select(Round).where(Round.submission_id == bindparam("submission_id"), Round.number == bindparam("number"))
_DECISION = select(Decision).where(Decision.submission_id == bindparam("submission_id"),
                                   Decision.round_number == bindparam("number"))
# Comments are shown, never changed, by the pages that list them: plain rows with their author's name.
_COMMENTS = (select(Comment.id, Comment.parent_id, Comment.question_id, Comment.round_number, Comment.body,
                    Comment.visibility, Comment.created_at, Comment.resolved_at, Comment.released_at,
                    Comment.author_id, User.name.label("author_name"))
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


def recusals_of(submission: Submission) -> list[Assignment]:
    """Every declaration of a conflict of interest on the application, in any round, oldest first, with the
    reviewer and their roles (a recused chair sends the decision to a deputy)."""
    return list(db.session.scalars(_RECUSALS, {"submission_id": submission.id}).unique())


def under_review_of(submission: Submission) -> UnderReview:
    return UnderReview(submission, active_assignments, recusals_of)


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


# What the committee's routes load by id: 404 for a missing id and for one the user may not know of.
REVIEW: Resource[UnderReview] = Resource("review", load=under_review, visible=review_visible, id_arg="submission_id")
ASSIGNMENT: Resource[Assignment] = Resource("assignment", load=page_assignment, visible=assignment_visible)
CONDITION: Resource[Condition] = Resource("condition", load=page_condition, visible=condition_visible)
COMMENT: Resource[CommentUnderReview] = Resource("target", load=comment_under_review, visible=comment_visible,
                                                 id_arg="comment_id")


def assignments_of(submission: Submission) -> list[Assignment]:
    """Every assignment of every round, newest round first: the triage page's record of who was asked."""
    return list(db.session.scalars(select(Assignment).where(Assignment.submission_id == submission.id)
                                   .order_by(Assignment.round_number.desc(), Assignment.id)))


def conditions_of(submission: Submission) -> list[Condition]:
    return list(db.session.scalars(select(Condition).where(Condition.submission_id == submission.id)
                                   .order_by(Condition.id)))


def round_answers(submission: Submission, number: int) -> Round | None:
    return db.session.scalar(_ROUND, {"submission_id": submission.id, "number": number})


def round_of(submission: Submission, number: int) -> Round | None:
    """The round a page shows: its answers and risk profile, and its stored footprint, whose figures the
    footprint answer's stage table reads (presenters.round_answers)."""
    return round_answers(submission, number)


def current_decision(submission: Submission) -> Decision | None:
    """The decision on the application's current round, if the chair has made it."""
    if not workflow.may_have_decision(submission.state):
        return None
    return db.session.scalar(_DECISION, {"submission_id": submission.id, "number": submission.round_number})


def decisions_of(submission: Submission) -> list[Decision]:
    """Every round's decision, newest first."""
    return list(db.session.scalars(select(Decision).where(Decision.submission_id == submission.id)
                                   .order_by(Decision.round_number.desc())))


# The security sign-off counts as the security officer's recommendation.
RECOMMENDATION_EVENTS = ("recommendation.recorded", "recommendation.changed", "security_signoff.recorded",
                         "security_signoff.changed")


def history_of(submission: Submission, *, recommendations_of: int | None = None) -> list[HistoryLine]:
    """The application's audit events in order, in words (reviews.history). Given `recommendations_of` (a
    reviewer who may not yet see the others', permissions.sees_recommendations), only that user's
    recommendation events are kept."""
    query = select(AuditEvent).where(AuditEvent.submission_id == submission.id)
    if recommendations_of is not None:
        query = query.where(or_(AuditEvent.action.not_in(RECOMMENDATION_EVENTS),
                                AuditEvent.actor_id == recommendations_of))
    events = list(db.session.scalars(query.order_by(AuditEvent.id)))
    return history_lines(events, _names_in(events))


def _names_in(events: list[AuditEvent]) -> dict[int | str, str]:
    """The names of those who acted, and of the reviewers an event names by id or email, by both."""
    ids = {e.actor_id for e in events if e.actor_id} | {
        e.data["reviewer_id"] for e in events if isinstance((e.data or {}).get("reviewer_id"), int)}
    emails = {e.data["reviewer"] for e in events if isinstance((e.data or {}).get("reviewer"), str)}
    if not ids and not emails:
        return {}
    names: dict[int | str, str] = {}
    for user_id, email, name in db.session.execute(
            select(User.id, User.email, User.name).where(or_(User.id.in_(ids), User.email.in_(emails)))):
        names[user_id] = names[email] = name
    return names


def comments_of(submission: Submission) -> Sequence[Row[Any]]:
    """Every comment and reply on the application, oldest first: rows with Comment's fields and author_name."""
    return db.session.execute(_COMMENTS, {"submission_id": submission.id}).all()


def round_diff(submission: Submission, old_number: int, new_number: int) -> list[dict[str, Any]]:
    """Per-question comparison of two rounds, changed questions first, each in questionnaire order; each side
    as answers.answer_view shows it, and a changed footprint's stages or records answer's rows compared cell by
    cell (records.table_diff)."""
    questionnaire = submission_services.questionnaire_for(submission)
    old, new = round_answers(submission, old_number), round_answers(submission, new_number)
    if old is None or new is None:
        raise LookupError()
    rows = []
    for question in questionnaire.questions:
        before, after = old.answers.get(question.id), new.answers.get(question.id)
        if before is None and after is None:
            continue
        rows.append(_compared(question, answer_view(question, before, footprint_statement=old.footprint or {}),
                              answer_view(question, after, footprint_statement=new.footprint or {}),
                              changed=before != after))
    return sorted(rows, key=lambda row: not row["changed"])


def _compared(question: Question, before: dict[str, Any], after: dict[str, Any], *, changed: bool) -> dict[str, Any]:
    """One question's row of the round diff; a changed footprint also compares its stages cell by cell, since
    the whole table struck through and written again hides which figure moved."""
    row = {"question": question, "before": before, "after": after, "changed": changed, "stages": None, "noun": None}
    if changed and question.type == STAGES_TYPE:
        row["columns"] = footprint.TABLE_COLUMNS
        row["stages"] = footprint.stage_table_diff(before.get("rows", []), after.get("rows", []))
    if changed and question.type == RECORDS_TYPE:
        columns = records.columns(question)
        row["columns"], row["noun"] = columns, records.row_label(question)
        row["stages"] = records.table_diff(before.get("rows", []), after.get("rows", []), list(columns))
    return row



def _display(question, value) -> str:
    """An answer as one line of text (answers.answer_view's text), for forms that quote it."""
    return str(answer_view(question, value)["text"])

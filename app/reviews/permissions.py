"""Who may do what in the review of an application: pure predicates over (user) or (user, object).

Whatever their roles, the members of an application's team see it only as its team: never its triage, its
committee discussion or its decision form. Reviewers see an application only through an active assignment on
which they have declared no conflict of interest. The state of the application is not judged here: a step its
state refuses answers 409 (`submissions.workflow`), whoever asks.

The predicates read what the page loaders load with the object (the team; the current round's active
assignments, loaded once when first read) and never query on their own.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from app.core.permissions import OFFICE_ROLES, OVERSIGHT_ROLES, REVIEWING_ROLES
from app.reviews.models import RECOMMENDING_KINDS, Assignment, Comment, Condition
from app.submissions.models import Submission
from app.submissions.permissions import EDITING_ROLES, can_see_application, is_team_member, team_role
from app.submissions.workflow import State


@dataclass
class UnderReview:
    """An application as the committee's pages see it, with the active assignments of its current round.

    The assignments are loaded once, when first read: the access predicates read them for reviewers only (the
    chair and the office see every submitted application), and the page reuses them.
    """

    submission: Submission
    load_assignments: Callable[[Submission], list[Assignment]] = field(repr=False)
    # The declarations of a conflict of interest on the application, in any round, with their reviewer.
    load_recusals: Callable[[Submission], list[Assignment]] = field(repr=False)

    @cached_property
    def assignments(self) -> list[Assignment]:
        return self.load_assignments(self.submission)

    @cached_property
    def recusals(self) -> list[Assignment]:
        return self.load_recusals(self.submission)

    def assignment_of(self, user: Any) -> Assignment | None:
        return next((a for a in self.assignments if a.reviewer_id == user.id), None)

    def recused(self, user: Any) -> bool:
        """Whether the user declared a conflict of interest on this application: it binds them in every role."""
        return any(a.reviewer_id == user.id for a in self.recusals)

    def awaits_declaration(self, user: Any) -> bool:
        """Assigned and not yet declared: in every role, nothing of the application is read before declaring."""
        mine = self.assignment_of(user)
        return mine is not None and mine.coi_status == "pending"

    @property
    def chair_recused(self) -> bool:
        return any(a.reviewer.has_role("chair") for a in self.recusals)


@dataclass(frozen=True)
class CommentUnderReview:
    """A comment, with the application under review it belongs to (who may act on it depends on that)."""

    comment: Comment
    review: UnderReview


def review_visible(user: Any, review: UnderReview) -> bool:
    return can_see_application(user, review.submission)


def comment_visible(user: Any, target: CommentUnderReview) -> bool:
    return review_visible(user, target.review)


def condition_visible(user: Any, condition: Condition) -> bool:
    return can_see_application(user, condition.submission)


# ---------------------------------------------------------------- the research office


def was_submitted(submission: Submission) -> bool:
    """Whether the application ever reached the committee: a draft, or a draft withdrawn before it was submitted
    (state "withdrawn", round 0), is its team's alone."""
    return submission.state != State.DRAFT and submission.round_number > 0


def can_open_queue(user: Any) -> bool:
    return user.has_any_role(*OFFICE_ROLES)


def can_triage(user: Any, submission: Submission) -> bool:
    """Route, assign, start the review, confirm conditions: the office, never on its own application, and never
    on a draft (it is not the committee's until it is submitted)."""
    return (user.has_any_role(*OFFICE_ROLES) and not is_team_member(user, submission)
            and was_submitted(submission))


def can_unassign(user: Any, assignment: Assignment) -> bool:
    return can_triage(user, assignment.submission)


def can_confirm_condition(user: Any, condition: Condition) -> bool:
    return can_triage(user, condition.submission)


def can_send_back_condition(user: Any, condition: Condition) -> bool:
    """Return a reported condition to the applicant with a reason: whoever may confirm it."""
    return can_confirm_condition(user, condition)


# ---------------------------------------------------------------- the committee's reading


def can_read_review(user: Any, review: UnderReview) -> bool:
    """The committee's page of an application, its history, its diff between rounds, and commenting on it:
    the chair and the office see every submitted application; a reviewer only through an active assignment
    declared free of conflict."""
    submission = review.submission
    if not was_submitted(submission) or is_team_member(user, submission) or not _unconflicted(user, review):
        return False
    if user.has_any_role(*OVERSIGHT_ROLES):
        return True
    assignment = review.assignment_of(user)
    return assignment is not None and assignment.coi_status == "none"


def sees_recommendations(user: Any, review: UnderReview) -> bool:
    """Other reviewers' recommendations, on the application's page and in its history: the chair and the office
    at once, a reviewer only after recommending on the current round, so that theirs is their own."""
    if user.has_any_role(*OVERSIGHT_ROLES):
        return True
    mine = review.assignment_of(user)
    return mine is not None and mine.recommendation is not None


def _unconflicted(user: Any, review: UnderReview) -> bool:
    return not review.recused(user) and not review.awaits_declaration(user)


def can_resolve_comment(user: Any, target: CommentUnderReview) -> bool:
    return can_read_review(user, target.review)


# ---------------------------------------------------------------- reviewers


def can_open_my_reviews(user: Any) -> bool:
    return user.has_any_role(*REVIEWING_ROLES)


def assignment_visible(user: Any, assignment: Assignment) -> bool:
    """An assignment is known to its reviewer and to the office (which removes reviewers); to anyone else it
    answers 404, like a missing one."""
    return assignment.reviewer_id == user.id or user.has_any_role(*OFFICE_ROLES)


def holds_assignment(user: Any, assignment: Assignment) -> bool:
    return assignment.reviewer_id == user.id and assignment.active


def can_declare_interest(user: Any, assignment: Assignment) -> bool:
    """The declaration page: the reviewer's active assignment, or the one they were recused from (to read what
    they declared)."""
    return holds_assignment(user, assignment) or (
        assignment.reviewer_id == user.id and assignment.coi_status == "declared")


def _may_conclude(user: Any, assignment: Assignment) -> bool:
    """The assigned person, once they have declared no conflict of interest, on the current round only (an
    earlier round's recommendation or sign-off is what the chair decided on, and stays as it was)."""
    return (holds_assignment(user, assignment) and assignment.coi_status == "none"
            and assignment.round_number == assignment.submission.round_number)


def can_review(user: Any, assignment: Assignment) -> bool:
    """Recommend: a reviewer's or an extra reviewer's assignment (the security officer signs off on a form of
    their own)."""
    return assignment.kind in RECOMMENDING_KINDS and _may_conclude(user, assignment)


def can_sign_off(user: Any, assignment: Assignment) -> bool:
    """Record the security sign-off: the security officer's own assignment."""
    return assignment.kind == "security" and _may_conclude(user, assignment)


# ---------------------------------------------------------------- the chair


def can_open_chair_queue(user: Any) -> bool:
    return user.has_any_role("chair", "deputy_chair")


def can_decide(user: Any, review: UnderReview) -> bool:
    """Record and sign the decision: the chair, or a deputy chair once a chair has declared a conflict of
    interest on the application; never a member of its team, nor anyone conflicted or yet to declare."""
    submission = review.submission
    if is_team_member(user, submission) or not _unconflicted(user, review):
        return False
    return user.has_role("chair") or (user.has_role("deputy_chair") and review.chair_recused)


def decides_as(user: Any, review: UnderReview) -> str:
    """The capacity a decision is signed in: the chair's own, or a deputy's for a recused chair."""
    return "chair" if user.has_role("chair") and not review.chair_recused else "deputy chair"


# ---------------------------------------------------------------- the applicant


def can_answer_committee(user: Any, submission: Submission) -> bool:
    """Reply to the comments released to the team: its owner and editors (viewers read)."""
    return team_role(user, submission) in EDITING_ROLES


def can_report_condition(user: Any, condition: Condition) -> bool:
    return can_answer_committee(user, condition.submission)

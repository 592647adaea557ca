"""The review's access predicates, directly: team members who are also staff, conflicts of interest, drafts."""
from __future__ import annotations

from app.reviews.permissions import (
    UnderReview,
    assignment_visible,
    can_answer_committee,
    can_decide,
    can_declare_interest,
    can_open_my_reviews,
    can_open_queue,
    can_read_review,
    can_review,
    can_triage,
    can_unassign,
)
from tests.permission_fixtures import application, assignment, user


def _review(submission, *assignments) -> UnderReview:
    return UnderReview(submission, lambda _: [a for a in assignments if a.active])


def test_staff_on_the_applications_team_see_it_only_as_its_team():
    chair, coordinator, reviewer = user("chair"), user("coordinator"), user("reviewer")
    submission = application(user(), members={chair: "editor", coordinator: "viewer", reviewer: "editor"})
    own = assignment(reviewer, submission)  # assigned before joining the team: the team wins
    review = _review(submission, own)
    for member in (chair, coordinator, reviewer):
        assert not can_read_review(member, review)
    assert not can_decide(chair, submission)
    assert not can_triage(coordinator, submission)
    assert not can_unassign(coordinator, own)
    assert can_answer_committee(chair, submission) and not can_answer_committee(coordinator, submission)


def test_the_same_staff_off_the_team_may_act():
    chair, coordinator = user("chair"), user("coordinator")
    submission = application(user())
    assert can_read_review(chair, _review(submission)) and can_decide(chair, submission)
    assert can_read_review(coordinator, _review(submission)) and can_triage(coordinator, submission)


def test_a_conflicted_reviewer_is_recused_but_may_read_their_declaration():
    reviewer = user("reviewer")
    submission = application(user())
    recused = assignment(reviewer, submission, coi="declared", active=False)
    assert not can_read_review(reviewer, _review(submission, recused))
    assert not can_review(reviewer, recused)
    assert can_declare_interest(reviewer, recused)


def test_a_reviewer_reads_and_recommends_only_after_declaring_no_conflict():
    reviewer = user("reviewer")
    submission = application(user())
    pending = assignment(reviewer, submission, coi="pending")
    assert can_declare_interest(reviewer, pending)
    assert not can_read_review(reviewer, _review(submission, pending))
    assert not can_review(reviewer, pending)
    cleared = assignment(reviewer, submission, coi="none")
    assert can_read_review(reviewer, _review(submission, cleared)) and can_review(reviewer, cleared)
    unassigned = assignment(reviewer, submission, coi="none", active=False)
    assert not can_read_review(reviewer, _review(submission, unassigned)) and not can_review(reviewer, unassigned)


def test_another_reviewers_assignment_is_unknown_to_a_reviewer_but_known_to_the_office():
    reviewer, colleague, coordinator = user("reviewer"), user("reviewer"), user("coordinator")
    theirs = assignment(colleague, application(user()))
    assert not assignment_visible(reviewer, theirs)
    assert assignment_visible(colleague, theirs) and assignment_visible(coordinator, theirs)
    assert not can_review(reviewer, theirs) and not can_declare_interest(reviewer, theirs)
    assert can_unassign(coordinator, theirs) and not can_unassign(colleague, theirs)


def test_a_draft_is_not_the_committees():
    coordinator, chair, reviewer = user("coordinator"), user("chair"), user("reviewer")
    draft = application(user(), state="draft")
    assert not can_triage(coordinator, draft)
    assert not can_read_review(chair, _review(draft))
    assert not can_read_review(reviewer, _review(draft, assignment(reviewer, draft)))
    assert can_triage(coordinator, application(user(), state="submitted"))


def test_the_security_officer_reads_only_what_they_are_asked_to_sign_off():
    officer = user("security_officer")
    submission = application(user())
    assert not can_read_review(officer, _review(submission))
    assert can_read_review(officer, _review(submission, assignment(officer, submission)))
    assert can_open_my_reviews(officer) and not can_open_queue(officer)


def test_a_chair_who_reviews_sees_as_chair_and_reviews_as_reviewer():
    chair_reviewer, other_reviewer = user("chair", "reviewer"), user("reviewer")
    submission = application(user())
    own = assignment(chair_reviewer, submission, coi="pending")
    assert can_read_review(chair_reviewer, _review(submission, own))  # the chair reads every submitted application
    assert not can_review(chair_reviewer, own)  # but recommends only once cleared of conflict
    assert can_open_my_reviews(chair_reviewer) and can_decide(chair_reviewer, submission)
    assert not can_decide(other_reviewer, submission)

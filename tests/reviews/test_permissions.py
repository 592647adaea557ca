"""The review's access predicates, directly: team members who are also staff, conflicts of interest, drafts."""
from __future__ import annotations

from app.reviews.models import Condition
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
    can_send_back_condition,
    can_sign_off,
    can_triage,
    can_unassign,
)
from tests.helpers import unsaved_application, unsaved_assignment, unsaved_user


def _review(submission, *assignments) -> UnderReview:
    return UnderReview(submission, lambda _: [a for a in assignments if a.active],
                       lambda _: [a for a in assignments if a.coi_status == "declared"])


def test_staff_on_the_applications_team_see_it_only_as_its_team():
    chair, coordinator, reviewer = unsaved_user("chair"), unsaved_user("coordinator"), unsaved_user("reviewer")
    team = {chair: "editor", coordinator: "viewer", reviewer: "editor"}
    submission = unsaved_application(unsaved_user(), members=team)
    own = unsaved_assignment(reviewer, submission)  # assigned before joining the team: the team wins
    review = _review(submission, own)
    for member in (chair, coordinator, reviewer):
        assert not can_read_review(member, review)
    assert not can_decide(chair, review)
    assert not can_triage(coordinator, submission)
    assert not can_unassign(coordinator, own)
    assert can_answer_committee(chair, submission) and not can_answer_committee(coordinator, submission)


def test_the_same_staff_off_the_team_may_act():
    chair, coordinator = unsaved_user("chair"), unsaved_user("coordinator")
    submission = unsaved_application(unsaved_user())
    assert can_read_review(chair, _review(submission)) and can_decide(chair, _review(submission))
    assert can_read_review(coordinator, _review(submission)) and can_triage(coordinator, submission)


def test_a_conflicted_reviewer_is_recused_but_may_read_their_declaration():
    reviewer = unsaved_user("reviewer")
    submission = unsaved_application(unsaved_user())
    recused = unsaved_assignment(reviewer, submission, coi="declared", active=False)
    assert not can_read_review(reviewer, _review(submission, recused))
    assert not can_review(reviewer, recused)
    assert can_declare_interest(reviewer, recused)


def test_a_reviewer_reads_and_recommends_only_after_declaring_no_conflict():
    reviewer = unsaved_user("reviewer")
    submission = unsaved_application(unsaved_user())
    pending = unsaved_assignment(reviewer, submission, coi="pending")
    assert can_declare_interest(reviewer, pending)
    assert not can_read_review(reviewer, _review(submission, pending))
    assert not can_review(reviewer, pending)
    cleared = unsaved_assignment(reviewer, submission, coi="none")
    assert can_read_review(reviewer, _review(submission, cleared)) and can_review(reviewer, cleared)
    unassigned = unsaved_assignment(reviewer, submission, coi="none", active=False)
    assert not can_read_review(reviewer, _review(submission, unassigned)) and not can_review(reviewer, unassigned)


def test_another_reviewers_assignment_is_unknown_to_a_reviewer_but_known_to_the_office():
    reviewer, colleague, coordinator = unsaved_user("reviewer"), unsaved_user("reviewer"), unsaved_user("coordinator")
    theirs = unsaved_assignment(colleague, unsaved_application(unsaved_user()))
    assert not assignment_visible(reviewer, theirs)
    assert assignment_visible(colleague, theirs) and assignment_visible(coordinator, theirs)
    assert not can_review(reviewer, theirs) and not can_declare_interest(reviewer, theirs)
    assert can_unassign(coordinator, theirs) and not can_unassign(colleague, theirs)


def test_a_draft_is_not_the_committees():
    coordinator, chair, reviewer = unsaved_user("coordinator"), unsaved_user("chair"), unsaved_user("reviewer")
    draft = unsaved_application(unsaved_user(), state="draft")
    assert not can_triage(coordinator, draft)
    assert not can_read_review(chair, _review(draft))
    assert not can_read_review(reviewer, _review(draft, unsaved_assignment(reviewer, draft)))
    assert can_triage(coordinator, unsaved_application(unsaved_user(), state="submitted"))


def test_the_security_officer_reads_only_what_they_are_asked_to_sign_off():
    officer = unsaved_user("security_officer")
    submission = unsaved_application(unsaved_user())
    assert not can_read_review(officer, _review(submission))
    assert can_read_review(officer, _review(submission, unsaved_assignment(officer, submission)))
    assert can_open_my_reviews(officer) and not can_open_queue(officer)


def test_the_security_officer_signs_off_and_reviewers_recommend_each_on_their_own_form():
    officer, reviewer = unsaved_user("security_officer"), unsaved_user("reviewer")
    submission = unsaved_application(unsaved_user())
    security = unsaved_assignment(officer, submission, kind="security")
    review = unsaved_assignment(reviewer, submission)
    assert can_sign_off(officer, security) and not can_review(officer, security)
    assert can_review(reviewer, review) and not can_sign_off(reviewer, review)
    # Only their own, declared free of conflict, on the current round.
    assert not can_sign_off(reviewer, security)
    assert not can_sign_off(officer, unsaved_assignment(officer, submission, kind="security", coi="pending"))
    assert not can_sign_off(officer, unsaved_assignment(officer, submission, kind="security", active=False))
    earlier = unsaved_application(unsaved_user())
    earlier.round_number = 2
    assert not can_sign_off(officer, unsaved_assignment(officer, earlier, kind="security", round_number=1))


def test_a_chair_who_reviews_declares_first_like_any_reviewer():
    chair_reviewer, other_reviewer = unsaved_user("chair", "reviewer"), unsaved_user("reviewer")
    submission = unsaved_application(unsaved_user())
    own = unsaved_assignment(chair_reviewer, submission, coi="pending")
    # Assigned, the chair reads nothing of the application, nor decides, before declaring.
    assert not can_read_review(chair_reviewer, _review(submission, own))
    assert not can_review(chair_reviewer, own) and not can_decide(chair_reviewer, _review(submission, own))
    cleared = unsaved_assignment(chair_reviewer, submission, coi="none")
    assert can_read_review(chair_reviewer, _review(submission, cleared)) and can_review(chair_reviewer, cleared)
    assert can_open_my_reviews(chair_reviewer) and can_decide(chair_reviewer, _review(submission, cleared))
    assert not can_decide(other_reviewer, _review(submission))


def test_the_office_sends_a_condition_back_unless_it_is_on_the_team():
    coordinator, chair, owner = unsaved_user("coordinator"), unsaved_user("chair"), unsaved_user()
    submission = unsaved_application(owner)
    condition = Condition(text="A condition", submission=submission)
    assert can_send_back_condition(coordinator, condition)
    assert not can_send_back_condition(chair, condition) and not can_send_back_condition(owner, condition)
    on_team = Condition(text="A condition", submission=unsaved_application(owner, members={coordinator: "viewer"}))
    assert not can_send_back_condition(coordinator, on_team)

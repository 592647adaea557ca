"""Review rules that hold across rounds, roles and states: drafts, rounds, signatures, recusal, the route."""
from __future__ import annotations

from sqlalchemy import select

from app.core.audit import AuditEvent
from app.extensions import db
from app.reviews.models import Assignment, Decision
from app.reviews.permissions import UnderReview, can_read_review, can_review, can_triage
from app.submissions.models import Round, Submission
from tests.helpers import (
    assign,
    create_application,
    decide,
    declare_none,
    high_risk_answers,
    in_review,
    medium_risk_answers,
    page_text,
    person,
    post_section,
    recommend,
    sign_off,
    state,
    unsaved_application,
    unsaved_assignment,
    unsaved_user,
)


def test_a_draft_withdrawn_before_submission_is_not_the_committees(app, make_client):
    coordinator, admin = person(app, make_client, "coordinator"), person(app, make_client, "admin")
    owner = person(app, make_client)
    draft_id = create_application(owner.client, "Never submitted")
    # A draft is deleted, not withdrawn; drafts withdrawn before that rule stay the team's alone.
    assert owner.client.post(f"/applications/{draft_id}/withdraw", data={"reason": ""}).status_code == 409
    for staff in (coordinator, admin):
        assert staff.client.get(f"/review/applications/{draft_id}/triage").status_code == 403
        assert staff.client.post(f"/review/applications/{draft_id}/route",
                                 data={"route": "standard", "reason": "r"}).status_code == 403
    withdrawn = unsaved_application(unsaved_user(), state="withdrawn", round_number=0)  # never submitted
    assert not can_triage(unsaved_user("coordinator"), withdrawn)
    assert not can_read_review(unsaved_user("chair"), UnderReview(withdrawn, lambda _: [], lambda _: []))


def _changes_requested_then_resubmitted(app, make_client, answers=None, revise=None):
    """An application through round 1 ("changes requested") and resubmitted as round 2, with its people."""
    submission_id, owner, c = in_review(app, make_client, answers or medium_risk_answers())
    for reviewer in (c.reviewer1, c.reviewer2):
        assert recommend(app, submission_id, reviewer, "changes_requested", "Provenance.").status_code == 302
    assert decide(c, submission_id, "changes_requested").status_code == 302
    for section_id, section_answers in (revise or {}).items():
        assert post_section(owner.client, submission_id, section_id, section_answers, button="save").status_code == 302
    assert owner.client.post(f"/applications/{submission_id}/submit").status_code == 302
    assert state(app, submission_id) == "in_review"
    return submission_id, owner, c


def test_a_round_one_recommendation_stays_as_it_was_in_round_two(app, make_client):
    submission_id, _, c = _changes_requested_then_resubmitted(app, make_client)
    with app.app_context():
        first = db.session.scalar(select(Assignment).where(
            Assignment.submission_id == submission_id, Assignment.round_number == 1,
            Assignment.reviewer_id == c.reviewer1.user.id))
        first_id = first.id
    response = c.reviewer1.client.post(f"/review/assignments/{first_id}/recommend",
                                       data={"recommendation": "approve", "summary": "Rewritten later."})
    assert response.status_code == 403
    with app.app_context():
        first = db.session.get(Assignment, first_id)
        assert (first.recommendation, first.summary) == ("changes_requested", "Provenance.")
    submission = unsaved_application(unsaved_user(), round_number=2)
    reviewer = unsaved_user("reviewer")
    assert not can_review(reviewer, unsaved_assignment(reviewer, submission, round_number=1))
    assert can_review(reviewer, unsaved_assignment(reviewer, submission))


def test_a_wrong_password_on_a_decided_round_is_refused_and_audited(app, make_client):
    submission_id, _, c = in_review(app, make_client, medium_risk_answers())
    for reviewer in (c.reviewer1, c.reviewer2):
        recommend(app, submission_id, reviewer)
    assert decide(c, submission_id, "approved").status_code == 302
    c.chair.client.get(f"/review/applications/{submission_id}")  # shows the first decision's message
    response = decide(c, submission_id, "rejected", password="not the chair's password at all")
    assert response.status_code == 409
    assert "Decision recorded and signed" not in page_text(response)
    with app.app_context():
        failed = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "decision.signature_failed", AuditEvent.submission_id == submission_id)).all()
        assert len(failed) == 1 and failed[0].actor_id == c.chair.user.id
        assert db.session.scalar(select(Decision.outcome).where(Decision.submission_id == submission_id)) == "approved"
    # The right password on a repeated click still finds the first decision standing.
    assert decide(c, submission_id, "approved").status_code == 302


def test_the_history_hides_other_recommendations_until_the_reviewer_has_recommended(app, make_client):
    submission_id, _, c = in_review(app, make_client, medium_risk_answers())
    assert recommend(app, submission_id, c.reviewer1, "reject", "A telling summary.").status_code == 302
    history = f"/review/applications/{submission_id}/history"
    before = page_text(c.reviewer2.client.get(history))
    assert "recommended" not in before and "reject" not in before
    assert "started the review" in before  # the rest of the history stays
    assert f"{c.reviewer1.user.name} recommended rejection" in page_text(c.coordinator.client.get(history))
    assert recommend(app, submission_id, c.reviewer2).status_code == 302
    assert f"{c.reviewer1.user.name} recommended rejection" in page_text(c.reviewer2.client.get(history))


def _routing(app, submission_id: int) -> tuple[str, str | None, bool]:
    with app.app_context():
        submission = db.session.get(Submission, submission_id)
        return submission.route, submission.route_override_reason, submission.security_signoff_required


def test_a_route_override_holds_for_the_next_round(app, make_client):
    submission_id, owner, c = in_review(app, make_client)  # low risk: expedited
    assert c.coordinator.client.post(f"/review/applications/{submission_id}/route", data={
        "route": "standard", "reason": "First application from this group."}).status_code == 302
    for reviewer in (c.reviewer1, c.reviewer2):
        assert recommend(app, submission_id, reviewer, "changes_requested", "Provenance.").status_code == 302
    assert decide(c, submission_id, "changes_requested").status_code == 302
    assert owner.client.post(f"/applications/{submission_id}/submit").status_code == 302
    assert _routing(app, submission_id) == ("standard", "First application from this group.", False)


def test_a_resubmission_raises_the_route_and_adds_a_sign_off_but_never_lowers_them(app, make_client):
    # Round 2 scores High on dual use: full committee, with the security officer's sign-off.
    submission_id, owner, c = _changes_requested_then_resubmitted(
        app, make_client, revise={"C": high_risk_answers()["C"]})
    assert _routing(app, submission_id) == ("full_committee", None, True)
    # Round 3 scores Medium again: the route and the sign-off of round 2 stay.
    security = person(app, make_client, "security_officer")
    c.security = security
    assert assign(c, submission_id, security, kind="security").status_code == 302
    for reviewer in (c.reviewer1, c.reviewer2, security):
        declare_none(app, submission_id, reviewer)
    for reviewer in (c.reviewer1, c.reviewer2):
        assert recommend(app, submission_id, reviewer, "changes_requested", "Again.").status_code == 302
    assert sign_off(app, submission_id, security).status_code == 302
    assert decide(c, submission_id, "changes_requested").status_code == 302
    assert post_section(owner.client, submission_id, "C", medium_risk_answers()["C"],
                        button="save").status_code == 302
    assert owner.client.post(f"/applications/{submission_id}/submit").status_code == 302
    with app.app_context():
        scored = db.session.scalar(select(Round.route).where(Round.submission_id == submission_id,
                                                             Round.number == 3))
    assert scored == "standard"  # the round keeps what its answers scored
    assert _routing(app, submission_id) == ("full_committee", None, True)

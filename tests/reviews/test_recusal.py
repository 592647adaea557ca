"""A declared conflict of interest binds every role: the chair assigned as a reviewer, and the decision that then
goes to a deputy chair."""
from __future__ import annotations

from sqlalchemy import select

from app.core.audit import AuditEvent
from app.extensions import db
from app.reviews.models import Decision
from app.reviews.permissions import UnderReview, can_decide, can_read_review
from tests.helpers import (
    assign,
    assignment_id,
    committee,
    page_text,
    person,
    recommend,
    submitted,
    unsaved_application,
    unsaved_assignment,
    unsaved_user,
    valid_until_default,
)


def _committee_pages(submission_id: int) -> list[str]:
    return [f"/review/applications/{submission_id}", f"/review/applications/{submission_id}/history",
            f"/review/applications/{submission_id}/decide"]


def test_a_conflicted_chair_reads_nothing_and_the_deputy_decides(app, make_client):
    c = committee(app, make_client)
    submission_id, _ = submitted(app, make_client)
    with app.app_context():
        from app.auth.models import User, UserRole
        db.session.add(UserRole(user_id=c.chair.user.id, role="reviewer"))
        db.session.commit()
        assert db.session.get(User, c.chair.user.id).has_role("reviewer")
    for reviewer in (c.reviewer1, c.chair):
        assert assign(c, submission_id, reviewer, confirm_chair=reviewer is c.chair).status_code == 302
    assert c.coordinator.client.post(f"/review/applications/{submission_id}/start").status_code == 302
    # Assigned, the chair declares before reading, like any reviewer.
    for url in _committee_pages(submission_id):
        assert c.chair.client.get(url).status_code == 403, url
    chair_assignment = assignment_id(app, submission_id, c.chair)
    assert c.chair.client.post(f"/review/assignments/{chair_assignment}", data={
        "has_conflict": "yes", "statement": "I co-supervise the applicant's student."}).status_code == 302
    # Recused: no answers, no committee-only comments, no decision, on any page.
    for url in _committee_pages(submission_id):
        assert c.chair.client.get(url).status_code == 403, url
    assert c.chair.client.post(f"/review/applications/{submission_id}/decide", data={
        "outcome": "approved", "summary": "x", "password": c.chair.user.password}).status_code == 403
    assert c.chair.client.post(f"/review/applications/{submission_id}/comments", data={
        "body": "hello", "question_id": "B2", "visibility": "committee"}).status_code == 403
    # Another reviewer replaces the chair; the deputy decides and the recusal is on the record.
    assert assign(c, submission_id, c.reviewer2).status_code == 302
    for reviewer in (c.reviewer1, c.reviewer2):
        rid = assignment_id(app, submission_id, reviewer)
        reviewer.client.post(f"/review/assignments/{rid}", data={"has_conflict": "no", "statement": ""})
        assert recommend(app, submission_id, reviewer).status_code == 302
    deputy = person(app, make_client, "deputy_chair")
    page = page_text(c.coordinator.client.get(f"/review/applications/{submission_id}"))
    assert f"{c.chair.user.name} (chair) declared a conflict of interest" in page
    assert "deputy chair" in page
    assert deputy.client.get(f"/review/applications/{submission_id}/decide").status_code == 200
    assert deputy.client.post(f"/review/applications/{submission_id}/decide", data={
        "outcome": "approved", "summary": "Decided by the deputy.", "valid_until": valid_until_default(),
        "password": deputy.user.password}).status_code == 302
    with app.app_context():
        decision = db.session.scalar(select(Decision).where(Decision.submission_id == submission_id))
        assert decision.decided_by_id == deputy.user.id and "deputy chair" in decision.signature_meaning
        recused = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "chair.recused",
                                                             AuditEvent.submission_id == submission_id))
        assert recused is not None and recused.actor_id == c.chair.user.id
        from app.reviews.assessment import assessment_snapshot
        archived = assessment_snapshot(submission_id, 1, audience="archive")
        applicants = assessment_snapshot(submission_id, 1, audience="applicant")
    assert [(r["name"], r["role"]) for r in archived["recusals"]] == [(c.chair.user.name, "Committee chair")]
    assert [(r["name"], r["who"]) for r in applicants["recusals"]] == [(None, "The committee chair")]


def test_a_declared_conflict_binds_every_role_in_the_predicates():
    chair, deputy = unsaved_user("chair", "reviewer"), unsaved_user("deputy_chair")
    coordinator = unsaved_user("coordinator", "reviewer")
    submission = unsaved_application(unsaved_user())
    pending = unsaved_assignment(chair, submission, coi="pending")
    review = UnderReview(submission, lambda _: [pending], lambda _: [])
    assert not can_read_review(chair, review) and not can_decide(chair, review)
    declared = unsaved_assignment(chair, submission, coi="declared", active=False)
    recused = UnderReview(submission, lambda _: [], lambda _: [declared])
    assert not can_read_review(chair, recused) and not can_decide(chair, recused)
    assert can_decide(deputy, recused) and can_read_review(deputy, recused)
    assert not can_decide(deputy, UnderReview(submission, lambda _: [], lambda _: []))
    office = unsaved_assignment(coordinator, submission, coi="declared", active=False)
    assert not can_read_review(coordinator, UnderReview(submission, lambda _: [], lambda _: [office]))

"""The coordinator's services called directly, on a real database: assigning reviewers and starting the review
(state, audit, mail), and the Forbidden anyone else gets."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.core.errors import Forbidden
from app.extensions import db
from app.reviews import services
from app.reviews.models import Assignment
from app.reviews.services.records import ReviewRuleError
from app.submissions.models import Submission
from tests.helpers import audit_events, mails


def test_assign_once_tells_the_reviewer_and_a_second_press_is_refused(app, application_in):
    application = application_in("submitted")
    c = application.committee
    with app.app_context():
        submission, coordinator = _loaded(application)
        services.assign(submission, coordinator, c.reviewer1.user.id)
        # A second press is refused with the reason, rather than reported as an assignment that changed nothing.
        with pytest.raises(ReviewRuleError, match="already assigned"):
            services.assign(submission, coordinator, c.reviewer1.user.id)
        assert db.session.scalars(select(Assignment.reviewer_id).where(Assignment.active.is_(True))).all() == [
            c.reviewer1.user.id]
    [event] = audit_events(app, "reviewer.assigned")
    assert event["actor_id"] == c.coordinator.user.id and event["data"]["reviewer"] == c.reviewer1.user.email
    assert [m["subject"] for m in mails(app, c.reviewer1.user.email)] == [
        f"Review request: {_reference(app, application.id)}"]


def test_only_the_coordinator_assigns(app, application_in):
    application = application_in("submitted")
    c = application.committee
    with app.app_context():
        submission = db.session.get(Submission, application.id)
        with pytest.raises(Forbidden):
            services.assign(submission, db.session.get(User, c.reviewer1.user.id), c.reviewer2.user.id)
    assert audit_events(app, "reviewer.assigned") == []
    assert mails(app, c.reviewer2.user.email) == []


def test_review_starts_only_with_the_reviewers_its_route_needs(app, application_in):
    application = application_in("submitted")
    c = application.committee
    with app.app_context():
        submission, coordinator = _loaded(application)
        with pytest.raises(services.ReviewRuleError, match="assigned"):
            services.start_review(submission, coordinator)
        assert submission.state == "submitted"
        services.assign(submission, coordinator, c.reviewer1.user.id)
        services.assign(submission, coordinator, c.reviewer2.user.id)
        services.start_review(submission, coordinator)
    with app.app_context():
        assert db.session.get(Submission, application.id).state == "in_review"
    [event] = audit_events(app, "review.started")
    assert event["object_id"] == str(application.id)


def _reference(app, submission_id: int) -> str:
    with app.app_context():
        return db.session.get(Submission, submission_id).reference


def _loaded(application) -> tuple[Submission, User]:
    """The application and its coordinator, loaded in the current app context."""
    return (db.session.get_one(Submission, application.id),
            db.session.get_one(User, application.committee.coordinator.user.id))

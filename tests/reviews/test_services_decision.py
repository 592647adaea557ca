"""The chair's and reviewers' services called directly, on a real database: the state they move, the audit
events and mail, and the Forbidden a caller the predicates refuse gets."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.core.errors import Forbidden
from app.extensions import db
from app.reviews import services
from app.reviews.models import Assignment, Condition
from app.submissions.models import Submission
from tests.helpers import audit_events, mails


def _recommend_both(application) -> None:
    for reviewer in (application.committee.reviewer1, application.committee.reviewer2):
        assignment = db.session.scalar(select(Assignment).where(
            Assignment.submission_id == application.id, Assignment.reviewer_id == reviewer.user.id))
        services.recommend(assignment, db.session.get(User, reviewer.user.id),
                           recommendation="approve_with_conditions", summary="Sound, with one condition.")


def test_recommend_and_decide_with_conditions(app, application_in):
    application = application_in("in_review")
    chair = application.committee.chair.user
    with app.app_context():
        _recommend_both(application)
        services.decide(db.session.get(Submission, application.id), db.session.get(User, chair.id),
                        outcome="approved_with_conditions", summary="Approved.",
                        conditions=["Publish the weights gated.", " "], password=chair.password,
                        valid_until=date.today() + timedelta(days=365))
    with app.app_context():
        assert db.session.get(Submission, application.id).state == "approved_with_conditions"
        assert db.session.scalars(select(Condition.text)).all() == ["Publish the weights gated."]
    assert len(audit_events(app, "recommendation.recorded")) == 2
    [event] = audit_events(app, "decision.recorded")
    assert event["actor_id"] == chair.id and event["data"]["conditions"] == ["Publish the weights gated."]
    assert any("Decision on" in m["subject"] for m in mails(app, application.owner.user.email))


def test_a_reviewer_cannot_decide(app, application_in):
    application = application_in("in_review")
    reviewer = application.committee.reviewer1.user
    with app.app_context():
        _recommend_both(application)
        with pytest.raises(Forbidden):
            services.decide(db.session.get(Submission, application.id), db.session.get(User, reviewer.id),
                            outcome="approved", summary="", conditions=[], password=reviewer.password)
    with app.app_context():
        assert db.session.get(Submission, application.id).state == "in_review"
    assert audit_events(app, "decision.recorded") == []


def test_decide_waits_for_the_recommendations(app, application_in):
    application = application_in("in_review")
    chair = application.committee.chair.user
    with app.app_context(), pytest.raises(services.ReviewRuleError, match="required reviewer recommendations"):
        services.decide(db.session.get(Submission, application.id), db.session.get(User, chair.id),
                        outcome="approved", summary="", conditions=[], password=chair.password)


def test_a_reviewer_cannot_recommend_on_someone_elses_assignment(app, application_in):
    application = application_in("in_review")
    other = application.committee.reviewer2.user
    with app.app_context():
        assignment = db.session.scalar(select(Assignment).where(
            Assignment.submission_id == application.id,
            Assignment.reviewer_id == application.committee.reviewer1.user.id))
        with pytest.raises(Forbidden):
            services.recommend(assignment, db.session.get(User, other.id), recommendation="approve", summary="x")
    assert audit_events(app, "recommendation.recorded") == []

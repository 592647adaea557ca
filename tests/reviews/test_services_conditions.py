"""Conditions of an approval through their services, on a real database: the applicant reports one met, the
coordinator confirms it, and the last confirmation approves the application."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.core.errors import Forbidden
from app.extensions import db
from app.reviews import services
from app.reviews.models import Condition
from app.submissions.models import Submission
from tests.helpers import CONDITION, audit_events, mails


def _condition() -> Condition:
    return db.session.scalars(select(Condition)).one()


def test_reported_then_confirmed_condition_approves_the_application(app, application_in):
    application = application_in("approved_with_conditions")
    coordinator = application.committee.coordinator.user
    with app.app_context():
        assert _condition().text == CONDITION
        services.report_condition(_condition(), db.session.get(User, application.owner.user.id), "Weights gated.")
    assert any("Condition reported met" in m["subject"] for m in mails(app, coordinator.email))
    with app.app_context():
        assert services.confirm_condition(_condition(), db.session.get(User, coordinator.id)) is True
        assert db.session.get(Submission, application.id).state == "approved"
    assert [e["data"]["note"] for e in audit_events(app, "condition.reported_met")] == ["Weights gated."]
    assert [e["actor_id"] for e in audit_events(app, "conditions.all_met")] == [coordinator.id]
    assert any(m["subject"].endswith("approved") for m in mails(app, application.owner.user.email))


def test_a_condition_not_reported_cannot_be_confirmed(app, application_in):
    application = application_in("approved_with_conditions")
    with app.app_context():
        coordinator = db.session.get(User, application.committee.coordinator.user.id)
        with pytest.raises(services.ReviewRuleError, match="not reported"):
            services.confirm_condition(_condition(), coordinator)
        assert db.session.get(Submission, application.id).state == "approved_with_conditions"


def test_neither_the_applicant_nor_a_reviewer_confirms_a_condition(app, application_in):
    application = application_in("approved_with_conditions")
    with app.app_context():
        services.report_condition(_condition(), db.session.get(User, application.owner.user.id), "Done.")
        for person in (application.owner, application.committee.reviewer1):
            with pytest.raises(Forbidden):
                services.confirm_condition(_condition(), db.session.get(User, person.user.id))
    assert audit_events(app, "condition.confirmed") == []


def test_a_reviewer_cannot_report_a_condition_met(app, application_in):
    application = application_in("approved_with_conditions")
    with app.app_context(), pytest.raises(Forbidden):
        services.report_condition(_condition(), db.session.get(User, application.committee.reviewer1.user.id),
                                  "Done.")
    assert audit_events(app, "condition.reported_met") == []


def test_a_condition_is_not_reported_met_without_evidence(app, application_in):
    application = application_in("approved_with_conditions")
    with app.app_context():
        owner = db.session.get(User, application.owner.user.id)
        with pytest.raises(services.ReviewRuleError, match="Explain how the condition was met"):
            services.report_condition(_condition(), owner, "  \n ")
        assert _condition().reported_met_at is None
    assert audit_events(app, "condition.reported_met") == []

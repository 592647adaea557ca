"""The applicant's services called directly, on a real database: what they store, audit and mail, and whom
they refuse (the same predicates as the routes, so a caller other than a route is held to them too)."""
from __future__ import annotations

import pytest

from app.auth.models import User
from app.core.errors import Forbidden
from app.extensions import db
from app.submissions import services, workflow
from app.submissions.models import Answer, Submission
from tests.helpers import audit_events, mails

TITLE = {"A1": ["A new title typed straight into the service"]}


def _load(submission_id: int, user_id: int) -> tuple[Submission, User]:
    return db.session.get(Submission, submission_id), db.session.get(User, user_id)


def test_save_section_stores_the_answer_and_audits_it(app, application_in):
    draft = application_in("draft", answers={})
    with app.app_context():
        submission, owner = _load(draft.id, draft.owner.user.id)
        result = services.save_section(submission, "A", TITLE, owner, check_required=False)
        assert result.saved == ["A1"] and not result.errors and not result.conflicts
    with app.app_context():
        assert db.session.get(Submission, draft.id).title == TITLE["A1"][0]
        stored = db.session.query(Answer).filter_by(submission_id=draft.id, question_id="A1").one()
        assert stored.value == TITLE["A1"][0]
    [event] = audit_events(app, "answers.saved")
    assert event["actor_id"] == draft.owner.user.id and event["data"]["questions"] == ["A1"]


def test_save_section_refuses_someone_outside_the_team(app, application_in, login_as):
    draft = application_in("draft", answers={})
    stranger = login_as("reviewer")
    with app.app_context():
        submission, user = _load(draft.id, stranger.user.id)
        with pytest.raises(Forbidden):
            services.save_section(submission, "A", TITLE, user, check_required=False)
    assert audit_events(app, "answers.saved") == []


def test_save_section_refuses_an_application_in_review(app, application_in):
    submitted = application_in("submitted")
    with app.app_context():
        submission, owner = _load(submitted.id, submitted.owner.user.id)
        with pytest.raises(workflow.TransitionError):
            services.save_section(submission, "A", TITLE, owner, check_required=False)
    with app.app_context():
        assert db.session.get(Submission, submitted.id).title != TITLE["A1"][0]


def test_submit_freezes_the_round_gives_a_reference_and_tells_the_owner(app, application_in):
    draft = application_in("draft")
    with app.app_context():
        submission, owner = _load(draft.id, draft.owner.user.id)
        round_ = services.submit(submission, owner)
        assert round_.number == 1
    with app.app_context():
        submission = db.session.get(Submission, draft.id)
        assert submission.state == "submitted" and submission.reference
    [event] = audit_events(app, "submission.submitted")
    assert event["object_id"] == str(draft.id)
    assert any(submission.reference in m["subject"] + m["body"] for m in mails(app, draft.owner.user.email))


def test_only_the_owner_submits(app, application_in, login_as):
    draft = application_in("draft")
    coordinator = login_as("coordinator")
    with app.app_context():
        submission, user = _load(draft.id, coordinator.user.id)
        with pytest.raises(Forbidden):
            services.submit(submission, user)
    with app.app_context():
        assert db.session.get(Submission, draft.id).state == "draft"

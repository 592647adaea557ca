"""The database refuses rows that break the workflow's rules, whatever code writes them: each CHECK is tried
with a row that breaks it, on SQLite and PostgreSQL, and with the row that keeps it."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.auth.models import UserRole
from app.documents.models import RenderJob
from app.extensions import db
from app.reviews.models import Assignment


def refused(statement) -> bool:
    """Whether the database refuses `statement` (a callable making the change), leaving the session usable."""
    try:
        with db.session.begin_nested():
            statement()
            db.session.flush()
    except IntegrityError:
        return True
    return False


def test_a_recommendation_needs_a_declaration_of_no_conflict(app, application_in):
    application = application_in("in_review")
    with app.app_context():
        assignment = db.session.scalars(db.select(Assignment).where(Assignment.submission_id == application.id)).first()
        assert assignment is not None
        assignment.recommendation, assignment.coi_status = None, "pending"
        db.session.flush()

        def recommend():
            assignment.recommendation = "approve"
        assert refused(recommend)
        assignment.coi_status = "none"
        assert not refused(recommend)
        db.session.rollback()


def test_a_submitted_application_has_a_reference(app, application_in):
    application, draft = application_in("submitted"), application_in("draft")
    with app.app_context():
        def drop_reference():
            db.session.execute(text("UPDATE submission SET reference = NULL WHERE id = :id"), {"id": application.id})
        assert refused(drop_reference)

        def clear_draft_reference():
            db.session.execute(text("UPDATE submission SET reference = NULL WHERE id = :id"), {"id": draft.id})
        assert not refused(clear_draft_reference)
        db.session.rollback()


@pytest.mark.parametrize("role, accepted", [("reviewer", True), ("deputy_chair", True), ("applicant", False),
                                            ("superuser", False)])
def test_only_grantable_roles_are_stored(app, application_in, role, accepted):
    application = application_in("draft")
    with app.app_context():
        assert refused(lambda: db.session.add(UserRole(user_id=application.owner.user.id, role=role))) is not accepted
        db.session.rollback()


def test_a_finished_render_job_names_its_document(app, application_in):
    application = application_in("submitted")
    with app.app_context():
        def finished_without_document():
            db.session.add(RenderJob(document_uid=str(uuid.uuid4()), submission_id=application.id, round_number=1,
                                     kind="decision", status="done"))
        assert refused(finished_without_document)
        assert not refused(lambda: db.session.add(RenderJob(
            document_uid=str(uuid.uuid4()), submission_id=application.id, round_number=1, kind="decision",
            status="queued")))
        db.session.rollback()

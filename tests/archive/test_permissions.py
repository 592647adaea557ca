"""The archive's keepers and each application's team read its documents; staff only know that they exist."""
from __future__ import annotations

from app.archive.permissions import can_read_document, can_search_archive, document_visible
from app.documents.models import Document
from tests.helpers import unsaved_application, unsaved_user


def test_documents_are_read_by_the_team_and_the_office_only():
    owner, outsider = unsaved_user(), unsaved_user()
    chair, coordinator = unsaved_user("chair"), unsaved_user("coordinator")
    submission = unsaved_application(owner)
    document = Document(submission_id=submission.id, submission=submission)
    assert can_read_document(owner, document) and can_read_document(coordinator, document)
    assert document_visible(chair, document) and not can_read_document(chair, document)
    assert not document_visible(outsider, document)
    assert can_search_archive(coordinator) and not can_search_archive(chair) and not can_search_archive(owner)

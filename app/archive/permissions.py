"""Who may search, export and download the archive: its keepers (the research office), and each application's
team for that application's documents. Verifying a PDF is public (anyone holding one, with or without an account);
what a verification shows beyond the PDF's own cover is for those who may read the document."""
from __future__ import annotations

from typing import Any

from app.core.permissions import OFFICE_ROLES
from app.documents.models import Document
from app.submissions.models import Submission
from app.submissions.permissions import can_see_application, is_team_member


def can_search_archive(user: Any) -> bool:
    """Search and export every signed assessment."""
    return user.has_any_role(*OFFICE_ROLES)


def can_read_documents(user: Any, submission: Submission) -> bool:
    """One application's signed assessments: its team, and the archive's keepers."""
    return is_team_member(user, submission) or can_search_archive(user)


def document_visible(user: Any, document: Document) -> bool:
    return can_see_application(user, document.submission)


def can_read_document(user: Any, document: Document) -> bool:
    return can_read_documents(user, document.submission)


def sees_archive_record(user: Any, document: Document) -> bool:
    """Whether a verification shows the archive's record of the document (its file's sha256 and size, the signing
    certificate, when it was archived, links to it) besides the facts printed on its cover: for those who may
    read it. Everyone else, signed in or not, is told only what the PDF itself shows."""
    return bool(user.is_authenticated) and can_read_document(user, document)

"""Who reaches which archive page and download: every route, every kind of user."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from app.core.models import utcnow
from app.documents.models import RenderJob
from app.extensions import db
from app.submissions.models import Submission, SubmissionMember
from tests.helpers import login, make_user, restore_document, store_bytes

PDF = b"%PDF-1.7\n% access test document\n%%EOF\n"
ROLES = ["anonymous", "owner", "editor", "viewer", "other_applicant", "reviewer", "chair", "coordinator",
         "security_officer", "admin"]


@dataclass
class World:
    clients: dict
    document_id: int
    submission_id: int
    job_id: int
    document_uid: str


@pytest.fixture
def world(documents_app, make_client) -> World:
    owner = make_user(documents_app, email="owner@example.ac.uk")
    meta = store_bytes(documents_app, PDF, reference="ETH-2026-0500")
    document_id = restore_document(documents_app, meta, owner_email="archived-owner@example.ac.uk")
    with documents_app.app_context():
        from app.documents.models import Document

        document = db.session.get(Document, document_id)
        submission = db.session.get(Submission, document.submission_id)
        submission.owner_id = owner.id
        db.session.add_all([
            SubmissionMember(submission_id=submission.id, email="editor@example.ac.uk", role="editor",
                             accepted_at=utcnow()),
            SubmissionMember(submission_id=submission.id, email="viewer@example.ac.uk", role="viewer",
                             accepted_at=utcnow()),
        ])
        job = RenderJob(submission_id=submission.id, round_number=1, kind="decision", status="done",
                        document_uid=document.uid, document_id=document.id, attempts=1)
        db.session.add(job)
        db.session.commit()
        submission_id, job_id, document_uid = submission.id, job.id, document.uid
    users = {
        "owner": owner,
        "editor": make_user(documents_app, email="editor@example.ac.uk"),
        "viewer": make_user(documents_app, email="viewer@example.ac.uk"),
        "other_applicant": make_user(documents_app),
        "reviewer": make_user(documents_app, "reviewer"),
        "chair": make_user(documents_app, "chair"),
        "coordinator": make_user(documents_app, "coordinator"),
        "security_officer": make_user(documents_app, "security_officer"),
        "admin": make_user(documents_app, "admin"),
    }
    clients = {"anonymous": make_client()}
    for role, user in users.items():
        clients[role] = make_client()
        assert login(clients[role], user).status_code == 302
    return World(clients, document_id, submission_id, job_id, document_uid)


def _expect(allowed: set[str], hidden: set[str] = frozenset()) -> dict[str, int]:
    """`allowed` get 200; `hidden` 404 (not told the application's documents exist); other signed-in roles 403;
    anonymous visitors, unless allowed (public pages), are sent to sign in (302)."""
    return {role: 200 if role in allowed else 302 if role == "anonymous" else 404 if role in hidden else 403
            for role in ROLES}


# Written out by hand from the access rules, never computed from the predicates under test.
ARCHIVE_STAFF = {"coordinator", "admin"}
TEAM = {"owner", "editor", "viewer"}
SIGNED_IN = set(ROLES) - {"anonymous"}
# Neither on the application's team nor on the committee's staff: documents and jobs of it answer 404.
OUTSIDERS = {"other_applicant"}

ROUTES = [
    ("/archive", ARCHIVE_STAFF, set()),
    ("/archive?reference=ETH&outcome=approved&date_from=2020-01-01&date_to=2099-12-31&page=1", ARCHIVE_STAFF, set()),
    ("/archive/export", ARCHIVE_STAFF, set()),
    ("/archive/export?date_from=2020-01-01&date_to=2029-12-31", ARCHIVE_STAFF, set()),
    ("/archive/documents/{document_id}/download", ARCHIVE_STAFF | TEAM, OUTSIDERS),
    ("/applications/{submission_id}/documents", ARCHIVE_STAFF | TEAM, OUTSIDERS),
    ("/documents/jobs/{job_id}", TEAM | {"chair", "coordinator", "admin"}, OUTSIDERS),
    ("/documents/jobs/{job_id}/status", TEAM | {"chair", "coordinator", "admin"}, OUTSIDERS),
    # Public: the link printed in every PDF is for readers without an account.
    ("/verify", set(ROLES), set()),
    ("/verify?document={document_uid}", set(ROLES), set()),
]


@pytest.mark.parametrize("pattern, allowed, hidden", ROUTES, ids=[r[0] for r in ROUTES])
def test_get_access(world, pattern, allowed, hidden):
    url = pattern.format(document_id=world.document_id, submission_id=world.submission_id, job_id=world.job_id,
                         document_uid=world.document_uid)
    for role, expected in _expect(allowed, hidden).items():
        response = world.clients[role].get(url)
        response.get_data()  # a streamed body (the export) is consumed, as a browser would
        response.close()
        assert response.status_code == expected, (role, url, response.status_code)
        if expected == 302:
            assert "/login" in response.headers["Location"]


def test_download_returns_the_archived_bytes(world):
    response = world.clients["viewer"].get(f"/archive/documents/{world.document_id}/download")
    assert response.data == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert 'filename="ETH-2026-0500-round1-decision.pdf"' in response.headers["Content-Disposition"]


def test_retry_is_for_the_committee_office_only(world):
    for role in ("owner", "editor", "reviewer", "security_officer"):
        assert world.clients[role].post(f"/documents/jobs/{world.job_id}/retry").status_code == 403, role
    assert world.clients["other_applicant"].post(f"/documents/jobs/{world.job_id}/retry").status_code == 404
    assert world.clients["anonymous"].post(f"/documents/jobs/{world.job_id}/retry").status_code == 302
    # A finished job is not run again.
    assert world.clients["coordinator"].post(f"/documents/jobs/{world.job_id}/retry").status_code == 302


def test_unknown_ids_are_404(world):
    for url in ["/archive/documents/999999/download", "/applications/999999/documents", "/documents/jobs/999999"]:
        assert world.clients["admin"].get(url).status_code == 404, url


def test_an_outsider_cannot_tell_a_missing_document_from_someone_elses(world):
    outsider = world.clients["other_applicant"]
    for pattern in ["/archive/documents/{}/download", "/applications/{}/documents", "/documents/jobs/{}",
                    "/documents/jobs/{}/status"]:
        ident = {"/archive/documents/{}/download": world.document_id, "/documents/jobs/{}": world.job_id,
                 "/documents/jobs/{}/status": world.job_id}.get(pattern, world.submission_id)
        assert outsider.get(pattern.format(ident)).status_code == 404, pattern
        assert outsider.get(pattern.format(999999)).status_code == 404, pattern


def test_applicant_sees_only_their_documents_in_their_list(world, documents_app):
    page = world.clients["owner"].get(f"/applications/{world.submission_id}/documents").get_data(as_text=True)
    assert f"/archive/documents/{world.document_id}/download" in page


def test_verify_page_upload_needs_csrf(world):
    response = world.clients["owner"].post("/verify", data={"file": (__import__("io").BytesIO(PDF), "x.pdf")},
                                           content_type="multipart/form-data", csrf=False)
    assert response.status_code == 400

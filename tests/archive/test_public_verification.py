"""Public verification (issue 16, item 7; issue 15, finding 4): the "Verify at" link printed in every PDF works
for a funder, journal or partner without an account. By document identifier or by upload, an anonymous visitor
is told what the PDF itself shows (reference, title, round, decision, dates) and whether the document is current
or superseded, and nothing else; each address is limited; the team and the archive's keepers see more."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

import pytest

from app.documents.models import Document
from app.extensions import db
from app.reviews.models import Decision
from app.submissions.models import Submission
from tests.helpers import UserRef, audit_events, login, make_user, page_text, restore_document, store_bytes, utc

TITLE = "Active learning for solid-state electrolytes"
REFERENCE = "ETH-2026-0701"
OWNER_EMAIL = "owner-0701@example.ac.uk"
OWNER_NAME = "Dr Imogen Achterberg"
FIRST_UID = "11111111-1111-4111-8111-111111111111"
SECOND_UID = "22222222-2222-4222-8222-222222222222"
UNKNOWN_UID = "99999999-9999-4999-8999-999999999999"


def _decided(app, submission_id: int, round_number: int = 1, outcome: str = "approved_with_conditions") -> None:
    """The round's decision, made on 2 March 2026 (the one already recorded, when the PDF was rendered here)."""
    chair = make_user(app, "chair", name="Prof. Sarah Lindqvist")
    with app.app_context():
        decision = db.session.scalar(db.select(Decision).where(Decision.submission_id == submission_id,
                                                               Decision.round_number == round_number))
        if decision is None:
            decision = Decision(submission_id=submission_id, round_number=round_number, decided_by_id=chair.id,
                                signature_name=chair.name, signature_meaning="Approved with conditions — chair")
            db.session.add(decision)
        decision.outcome, decision.decided_at = outcome, utc(2026, 3, 2)
        db.session.commit()


@dataclass
class Archived:
    submission_id: int
    owner: UserRef


@pytest.fixture
def two_documents(documents_app) -> Archived:
    """An application's decision (round 1), then the document confirming its conditions met, which supersedes
    it."""
    owner = make_user(documents_app, email=OWNER_EMAIL, name=OWNER_NAME)
    meta = store_bytes(documents_app, b"%PDF-1.7\n% public verification, first\n%%EOF\n", reference=REFERENCE,
                       uid=FIRST_UID, title=TITLE)
    first_id = restore_document(documents_app, meta, created_at=utc(2026, 3, 2))
    second = store_bytes(documents_app, b"%PDF-1.7\n% public verification, second\n%%EOF\n", uid=SECOND_UID)
    with documents_app.app_context():
        first = db.session.get(Document, first_id)
        submission_id = first.submission_id
        db.session.get(Submission, submission_id).owner_id = owner.id
        db.session.add(Document(uid=SECOND_UID, submission_id=submission_id, round_number=1, kind="conditions_met",
                                sha256=second["sha256"], size=second["size"], storage_key=second["storage_key"],
                                signed_by="CN=Crucible Development Signing Certificate",
                                created_at=utc(2026, 4, 20)))
        db.session.commit()
    _decided(documents_app, submission_id)
    return Archived(submission_id, owner)


def test_an_anonymous_visitor_looks_a_document_up_by_its_identifier(client, two_documents):
    response = client.get(f"/verify?document={FIRST_UID}")
    assert response.status_code == 200
    text = page_text(response)
    for shown in (REFERENCE, TITLE, "Round 1", "Decision", "Approved with conditions, decided 2 March 2026",
                  "Issued 2 March 2026", FIRST_UID):
        assert shown in text, shown
    # Superseded, by the document that confirmed the conditions met, named by its identifier and linked.
    assert "Superseded." in text and SECOND_UID in text
    assert f'href="/verify?document={SECOND_UID}"' in response.get_data(as_text=True)
    newest = page_text(client.get(f"/verify?document={SECOND_UID}"))
    assert "Current." in newest and "Superseded" not in newest
    assert "Conditions confirmed met" in newest and "Issued 20 April 2026" in newest


def test_an_anonymous_visitor_is_told_nothing_the_pdf_does_not_show(app, client, two_documents):
    html = client.get(f"/verify?document={FIRST_UID}").get_data(as_text=True)
    with app.app_context():
        document = db.session.scalar(db.select(Document).where(Document.uid == FIRST_UID))
        sha256, document_id = document.sha256, document.id
    for hidden in (OWNER_EMAIL, OWNER_NAME, "Prof. Sarah Lindqvist", sha256, "Signing certificate", "CN=test",
                   f"/archive/documents/{document_id}/download", f"/applications/{two_documents.submission_id}",
                   "Sign out"):
        assert hidden not in html, hidden


def test_the_team_and_the_office_see_the_archive_record(app, make_client, two_documents):
    with app.app_context():
        document = db.session.scalar(db.select(Document).where(Document.uid == FIRST_UID))
        sha256, document_id = document.sha256, document.id
    coordinator = make_client()
    login(coordinator, make_user(app, "coordinator"))
    owner = make_client()
    login(owner, two_documents.owner)
    for client in (coordinator, owner):
        html = client.get(f"/verify?document={FIRST_UID}").get_data(as_text=True)
        assert sha256 in html and "Signing certificate" in html
        assert f"/archive/documents/{document_id}/download" in html
        assert f"/applications/{two_documents.submission_id}/documents" in html
    # Signed in but neither team nor office: the cover's facts only, like an anonymous visitor.
    outsider = make_client()
    login(outsider, make_user(app, "reviewer"))
    html = outsider.get(f"/verify?document={FIRST_UID}").get_data(as_text=True)
    assert TITLE in html and sha256 not in html and "Signing certificate" not in html


@pytest.mark.parametrize("uid", [UNKNOWN_UID, "not-an-identifier", "' OR 1=1 --"])
def test_an_unknown_identifier_is_a_clean_404(client, two_documents, uid):
    response = client.get("/verify", query_string={"document": uid})
    assert response.status_code == 404
    text = page_text(response)
    assert "No signed assessment in this archive has that document identifier" in text
    assert "Traceback" not in text and TITLE not in text


def test_an_anonymous_visitor_verifies_a_real_signed_pdf_by_upload(documents_app, client, signed_pdf):
    data, meta = signed_pdf
    document_id = restore_document(documents_app, dict(meta, title=TITLE))
    with documents_app.app_context():
        submission = db.session.get(Document, document_id).submission
        submission_id, title = submission.id, submission.title
    _decided(documents_app, submission_id, outcome="approved")
    response = client.post("/verify", data={"file": (io.BytesIO(data), "assessment.pdf")},
                           content_type="multipart/form-data", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert response.status_code == 200
    text = page_text(response)
    assert "Authentic: signature intact and archived" in text
    assert "Crucible Development Signing Certificate" in text  # the file's own signature
    for shown in (meta["reference"], title, "Round 1", "Approved, decided 2 March 2026", "Current.", meta["uid"]):
        assert shown in text, shown
    assert "Signing certificate" not in text and f"/archive/documents/{document_id}/download" not in text
    assert "Dr Amara Okafor" not in text and "Prof. Sarah Lindqvist" not in text
    [event] = audit_events(documents_app, "document.verified")
    assert event["actor_id"] is None and event["data"]["ip"] == "192.0.2.7" and event["data"]["ok"] is True
    # Through the printed link: the upload is compared with the document looked up.
    looked_up = client.post(f"/verify?document={meta['uid']}", data={"file": (io.BytesIO(data), "a.pdf")},
                            content_type="multipart/form-data")
    assert "Authentic" in page_text(looked_up) and "different archived document" not in page_text(looked_up)


def test_an_anonymous_upload_keeps_the_bounded_cost_checks(documents_app, client):
    documents_app.config["VERIFY_MAX_OBJECTS"] = 3
    data = b"%PDF-1.7\n" + b"".join(b"%d 0 obj\n<<>>\nendobj\n" % n for n in range(1, 10)) + b"%%EOF\n"
    response = client.post("/verify", data={"file": (io.BytesIO(data), "many.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "it declares 9 objects, more than the 3 allowed" in page_text(response)
    [event] = audit_events(documents_app, "document.verification_refused")
    assert event["actor_id"] is None
    documents_app.config["MAX_UPLOAD"] = 64 * 1024
    big = client.post("/verify", data={"file": (io.BytesIO(b"%PDF" + b"0" * (128 * 1024)), "big.pdf")},
                      content_type="multipart/form-data")
    assert big.status_code == 413


def test_an_anonymous_upload_needs_the_form_token(client):
    response = client.post("/verify", data={"file": (io.BytesIO(b"%PDF-1.7"), "a.pdf")},
                           content_type="multipart/form-data", csrf=False)
    assert response.status_code == 400


def _upload(client, address: str):
    return client.post("/verify", data={"file": (io.BytesIO(b"%PDF-1.7 not really"), "a.pdf")},
                       content_type="multipart/form-data", environ_base={"REMOTE_ADDR": address})


def test_uploads_are_limited_per_address(app, make_client):
    app.config["VERIFY_RATE_LIMIT"] = "2 per hour"
    first, second = make_client(), make_client()  # two anonymous browsers behind one address
    assert _upload(first, "198.51.100.1").status_code == 200
    assert _upload(second, "198.51.100.1").status_code == 200
    refused = _upload(first, "198.51.100.1")
    assert refused.status_code == 429
    text = page_text(refused)
    assert "Verification is limited to 2 checks per hour from one address or account" in text
    assert "Try again in about" in text
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    # Another address is not held back by this one.
    assert _upload(first, "198.51.100.2").status_code == 200


def test_look_ups_are_limited_per_address_and_the_forms_are_not(app, client, two_documents):
    app.config["VERIFY_LOOKUP_RATE_LIMIT"] = "2 per hour"
    here = {"REMOTE_ADDR": "203.0.113.5"}
    assert client.get(f"/verify?document={FIRST_UID}", environ_base=here).status_code == 200
    assert client.get(f"/verify?document={UNKNOWN_UID}", environ_base=here).status_code == 404
    refused = client.get(f"/verify?document={FIRST_UID}", environ_base=here)
    assert refused.status_code == 429 and "Verification is limited to 2 checks per hour" in page_text(refused)
    assert client.get("/verify", environ_base=here).status_code == 200
    assert client.get(f"/verify?document={FIRST_UID}", environ_base={"REMOTE_ADDR": "203.0.113.6"}).status_code == 200


def test_the_link_printed_in_the_pdf_opens_without_signing_in(documents_app, client, signed_pdf):
    data, meta = signed_pdf
    restore_document(documents_app, meta)
    response = client.get(f"/verify?document={meta['uid']}")
    assert response.status_code == 200 and meta["reference"] in page_text(response)


def test_a_newer_round_supersedes_an_older_one(documents_app, client, two_documents):
    third = store_bytes(documents_app, b"%PDF-1.7\n% round two\n%%EOF\n")
    with documents_app.app_context():
        db.session.add(Document(uid="33333333-3333-4333-8333-333333333333", submission_id=two_documents.submission_id,
                                round_number=2, kind="decision", sha256=third["sha256"], size=third["size"],
                                storage_key=third["storage_key"], signed_by="CN=x",
                                created_at=utc(2026, 4, 20) + timedelta(days=30)))
        db.session.commit()
    for uid in (FIRST_UID, SECOND_UID):
        text = page_text(client.get(f"/verify?document={uid}"))
        assert "Superseded." in text and "33333333-3333-4333-8333-333333333333" in text

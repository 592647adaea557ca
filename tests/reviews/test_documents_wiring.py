"""A chair's decision, and the last confirmed condition, produce the signed assessment the team can download."""
from __future__ import annotations

import io

from sqlalchemy import select

from app.documents.models import Document, RenderJob
from app.extensions import db
from app.reviews.models import Condition
from tests.helpers import decide, in_review, medium_risk_answers, page_text, person, recommend, sent, state
from tests.tools import redis_connection, redis_url_for_tests


def test_decision_and_conditions_met_produce_signed_documents(rendering_app, make_client):
    app = rendering_app
    submission_id, owner, c = in_review(app, make_client, medium_risk_answers())
    c.reviewer1.client.post(f"/review/applications/{submission_id}/comments",
                            data={"body": "Committee-only worry about the PI", "question_id": "B4",
                                  "visibility": "committee"})
    for reviewer in (c.reviewer1, c.reviewer2):
        recommend(app, submission_id, reviewer, "approve_with_conditions", "Fine with a condition.")
    decided = sent(decide(c, submission_id, "approved_with_conditions", conditions="Deposit data in NOMAD"))
    assert decided.status_code == 302
    with app.app_context():
        job = db.session.scalar(select(RenderJob).where(RenderJob.submission_id == submission_id))
        assert job.status == "done", job.error
        document = db.session.scalar(select(Document).where(Document.submission_id == submission_id))
        assert document.kind == "decision" and document.round_number == 1
        document_id = document.id
    listing = owner.client.get(f"/applications/{submission_id}/documents")
    assert listing.status_code == 200
    download = owner.client.get(f"/archive/documents/{document_id}/download")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    assert b"Committee-only worry" not in download.data
    outsider = person(app, make_client)
    # Someone outside the application and the committee is not told the document exists.
    assert outsider.client.get(f"/archive/documents/{document_id}/download").status_code == 404
    verified = owner.client.post("/verify", data={"file": (io.BytesIO(download.data), "assessment.pdf")},
                                 content_type="multipart/form-data")
    assert verified.status_code == 200
    assert "intact" in page_text(verified).lower()

    with app.app_context():
        condition_id = db.session.scalar(select(Condition.id))
    owner.client.post(f"/applications/{submission_id}/conditions/{condition_id}/report", data={"note": "Done"})
    sent(c.coordinator.client.post(f"/review/conditions/{condition_id}/confirm"))
    assert state(app, submission_id) == "approved"
    with app.app_context():
        kinds = db.session.scalars(select(Document.kind).where(Document.submission_id == submission_id)
                                   .order_by(Document.id)).all()
    assert kinds == ["decision", "conditions_met"]


def test_with_a_queue_the_chair_sees_the_rendering_progress(rendering_app, make_client):
    url = redis_url_for_tests(offset=1)
    connection = redis_connection(url)
    app = rendering_app
    app.config["REDIS_URL"] = url
    try:
        submission_id, _owner, c = in_review(app, make_client)
        recommend(app, submission_id, c.reviewer1)
        response = decide(c, submission_id, "approved")
        assert response.status_code == 302
        assert "/documents/jobs/" in response.headers["Location"]
        progress = c.chair.client.get(response.headers["Location"])
        assert progress.status_code == 200
        assert "Producing the signed assessment…" in page_text(progress)
        assert state(app, submission_id) == "approved"
    finally:
        app.config["REDIS_URL"] = None
        connection.flushdb()

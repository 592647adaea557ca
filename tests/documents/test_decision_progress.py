"""The chair's decision answers once it is committed; the signed assessment follows, and its page shows how far it is.

Without a queue the rendering runs once the decision's response has been sent (the test client sends it when the
response is closed, as a server does once the body is written); with Redis it waits for the worker.
"""
from __future__ import annotations

from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from app.documents import services
from app.documents.models import Document, RenderJob
from app.extensions import db
from tests.helpers import decide, in_review, page_text, recommend, state


class _Shown(HTMLParser):
    """Which elements with an id the page shows (those without the `hidden` attribute)."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: dict[str, bool] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.elements[attributes["id"]] = "hidden" not in attributes


def _shown(response) -> dict[str, bool]:
    parser = _Shown()
    parser.feed(response.get_data(as_text=True))
    return parser.elements


@pytest.fixture
def rendering_app(documents_app):
    documents_app.config["ASSESSMENT_AUTO_RENDER"] = True
    yield documents_app
    documents_app.config["ASSESSMENT_AUTO_RENDER"] = False


def _decided_without_closing(app, make_client, outcome="approved"):
    submission_id, owner, c = in_review(app, make_client)
    recommend(app, submission_id, c.reviewer1)
    response = decide(c, submission_id, outcome)
    assert response.status_code == 302, page_text(response)[:2000]
    return submission_id, owner, c, response


def _documents(app, submission_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Document)
                                 .where(Document.submission_id == submission_id))


def test_without_a_queue_the_decision_answers_before_the_document_is_made(rendering_app, make_client):
    app = rendering_app
    submission_id, owner, c, response = _decided_without_closing(app, make_client)
    # The decision is committed and the chair sent to the document's progress page; nothing is rendered yet.
    assert state(app, submission_id) == "approved"
    location = response.headers["Location"]
    assert location.startswith("/documents/jobs/")
    assert _documents(app, submission_id) == 0
    progress = c.chair.client.get(location)
    assert progress.status_code == 200
    assert "Decision recorded and signed: Approved." in page_text(progress)
    assert "Producing the signed assessment… It starts in a moment." in page_text(progress)
    shown = _shown(progress)
    assert shown["render-refresh"] and not shown["render-download"] and not shown["render-failed"]
    assert f'href="{location}"' in progress.get_data(as_text=True)  # the refresh link works without scripts
    status = c.chair.client.get(f"{location}/status").get_json()
    assert (status["status"], status["document_id"]) == ("queued", None)

    response.close()  # the response has gone: now the document is produced

    status = c.chair.client.get(f"{location}/status").get_json()
    assert status["status"] == "done" and status["attempts"] == 1
    assert _documents(app, submission_id) == 1
    ready = c.chair.client.get(location)
    assert "The signed assessment is ready." in page_text(ready)
    shown = _shown(ready)
    assert shown["render-download"] and not shown["render-refresh"]
    assert f'href="{status["download_url"]}"' in ready.get_data(as_text=True)
    download = owner.client.get(status["download_url"])
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")


def test_a_failed_document_is_explained_and_the_chair_retries_it(rendering_app, make_client, unsigned_pdf,
                                                                monkeypatch):
    app = rendering_app

    def broken(context):
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(services, "_render", broken)
    submission_id, owner, c, response = _decided_without_closing(app, make_client)
    response.close()
    location = response.headers["Location"]
    failed = c.chair.client.get(location)
    assert "The signed assessment could not be produced." in page_text(failed)
    assert "RuntimeError: renderer crashed" in page_text(failed)
    shown = _shown(failed)
    assert shown["render-failed"] and shown["render-retry"] and not shown["render-refresh"]
    assert state(app, submission_id) == "approved"  # the decision stands

    # The team is told the office knows; the error and the retry are the chair's and the office's.
    team_view = owner.client.get(location)
    assert "The research office has been told" in page_text(team_view)
    assert "renderer crashed" not in page_text(team_view) and "render-retry" not in _shown(team_view)
    assert owner.client.post(f"{location}/retry").status_code == 403

    monkeypatch.setattr(services, "_render", lambda context: unsigned_pdf)
    retried = c.chair.client.post(f"{location}/retry")
    assert retried.status_code == 302
    # The retry too answers at once: the job waits for the response to be sent.
    status = c.chair.client.get(f"{location}/status").get_json()
    assert (status["status"], status["retryable"]) == ("queued", False)
    retried.close()
    status = c.chair.client.get(f"{location}/status").get_json()
    assert status["status"] == "done" and status["attempts"] == 3 and status["download_url"]


def test_with_a_queue_the_status_is_pending_until_the_worker_has_made_it(rendering_app, make_client, redis_queue):
    from rq import Queue, SimpleWorker

    app = rendering_app
    submission_id, _owner, c, response = _decided_without_closing(app, make_client)
    response.close()  # nothing waits for the response: the job is on the queue
    location = response.headers["Location"]
    with app.app_context():
        job = db.session.scalar(select(RenderJob).where(RenderJob.submission_id == submission_id))
        assert job.status == "queued" and job.rq_job_id
    assert _documents(app, submission_id) == 0
    assert c.chair.client.get(f"{location}/status").get_json()["status"] == "queued"

    SimpleWorker([Queue(app.config["RENDER_QUEUE"], connection=redis_queue)], connection=redis_queue).work(burst=True)

    status = c.chair.client.get(f"{location}/status").get_json()
    assert status["status"] == "done" and status["download_url"]
    assert _documents(app, submission_id) == 1

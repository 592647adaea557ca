"""Long lists a page at a time: the chair's list, "My applications", the queue and the archive show one page,
link to the next, count up to app.core.lists.COUNT_LIMIT and say "more than" beyond it."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from app.core import lists
from app.documents.models import Document
from app.extensions import db
from app.submissions.models import Submission, SubmissionMember
from tests.helpers import page_text, person
from tests.test_query_counts import _clone, _template_submission


def _documents(app, submission_ids):
    with app.app_context():
        for sid in submission_ids:
            digest = uuid.uuid4().hex * 2
            db.session.add(Document(uid=str(uuid.uuid4()), submission_id=sid, round_number=1, kind="decision",
                                    sha256=digest, size=1000, storage_key=f"sha256/{digest}.pdf",
                                    signed_by="CN=Test"))
        db.session.commit()


def test_chair_list_is_paginated_and_leaves_out_the_chairs_own_team(app, make_client, monkeypatch):
    owner, _, template_id = _template_submission(app, make_client)
    chair = person(app, make_client, "chair", "reviewer")
    ids = _clone(app, template_id, 30, owner_id=owner.id, state="in_review")
    own = _clone(app, template_id, 2, owner_id=chair.user.id, state="in_review")
    shared = _clone(app, template_id, 1, owner_id=owner.id, state="in_review", member_email=chair.user.email)
    first = page_text(chair.client.get("/review/chair"))
    assert "30 applications, page 1 of 2" in first
    with app.app_context():
        titles = {s.id: s.reference for s in db.session.scalars(select(Submission))}
    second = chair.client.get("/review/chair?page=2").get_data(as_text=True)
    shown = [sid for sid in ids if titles[sid] in first or titles[sid] in second]
    assert sorted(shown) == sorted(ids)
    assert not any(titles[sid] in first + second for sid in own + shared)
    # Past the count, the list still goes on a page at a time.
    monkeypatch.setattr(lists, "COUNT_LIMIT", 10)
    assert "more than 10 applications, page 1 " in page_text(chair.client.get("/review/chair"))
    assert "more than 10 applications, page 2 " in page_text(chair.client.get("/review/chair?page=2"))
    assert 'href="/review/chair?page=3"' in chair.client.get("/review/chair?page=2").get_data(as_text=True)


def test_my_applications_are_paginated(app, make_client):
    owner, client, template_id = _template_submission(app, make_client)
    _clone(app, template_id, 30, owner_id=owner.id, state="draft")
    first = client.get("/").get_data(as_text=True)
    assert 'href="/?page=2"' in first
    with app.app_context():
        rows = db.session.scalars(select(Submission).order_by(Submission.updated_at.desc(), Submission.id.desc())).all()
        assert not db.session.scalars(select(SubmissionMember)).all()
    newest, oldest = rows[0], rows[-1]
    assert f"/applications/{newest.id}\"" in first and f"/applications/{oldest.id}\"" not in first
    assert f"/applications/{oldest.id}\"" in client.get("/?page=2").get_data(as_text=True)


def test_queue_counts_up_to_the_limit(app, make_client, monkeypatch):
    owner, _, template_id = _template_submission(app, make_client)
    _clone(app, template_id, 30, owner_id=owner.id)
    client = person(app, make_client, "coordinator").client
    assert "31 applications, page 1 of 2" in page_text(client.get("/review/queue"))
    monkeypatch.setattr(lists, "COUNT_LIMIT", 26)
    text = page_text(client.get("/review/queue"))
    assert "more than 26 applications, page 1 " in text


def test_archive_counts_up_to_the_limit(app, make_client, monkeypatch):
    owner, _, template_id = _template_submission(app, make_client)
    _documents(app, _clone(app, template_id, 5, owner_id=owner.id, state="approved"))
    client = person(app, make_client, "coordinator").client
    assert "5 documents." in page_text(client.get("/archive"))
    monkeypatch.setattr(lists, "COUNT_LIMIT", 3)
    assert "More than 3 documents." in page_text(client.get("/archive"))

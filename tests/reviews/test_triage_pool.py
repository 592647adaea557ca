"""Assigning reviewers: the office sees each person's role, open reviews and areas of expertise, and confirms
before assigning the committee's chair as a reviewer."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.auth.models import User
from app.extensions import db
from app.reviews import services
from app.reviews.models import Assignment
from app.submissions.models import Submission
from tests.helpers import assign, audit_events, committee, high_risk_answers, in_review, page_text, recommend, submitted


def _pool(html: str, table_id: str = "reviewer-pool") -> dict[str, tuple[str, str, str]]:
    """Name -> (role, open reviews, expertise), as the triage page's table shows them."""
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S).group(0)
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>", 1)[1], re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in rows]
    return {name: (role, load, expertise) for name, role, load, expertise in cells}


def _assignments(app, submission_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Assignment.id)).where(Assignment.submission_id == submission_id))


def test_the_pool_shows_role_open_reviews_and_expertise(app, make_client):
    c = committee(app, make_client)
    assert c.reviewer1.client.post("/account/expertise", data={"expertise": "DFT,  halide perovskites"}
                                   ).status_code == 302
    busy, _owner, _ = in_review(app, make_client, c=c)  # one open review each for both reviewers
    also_busy, _owner, _ = in_review(app, make_client, c=c)
    assert recommend(app, also_busy, c.reviewer2).status_code == 302  # recommended: no longer open
    submission_id, _owner = submitted(app, make_client, high_risk_answers())
    html = c.coordinator.client.get(f"/review/applications/{submission_id}/triage").get_data(as_text=True)
    pool = _pool(html)
    assert pool[c.reviewer1.user.name] == ("Reviewer", "2", "DFT, halide perovskites")
    assert pool[c.reviewer2.user.name] == ("Reviewer", "1", "Not given")
    assert pool[c.chair.user.name] == ("Chair", "0", "Not given")
    assert "Who can review: role, reviews open now and areas of expertise" in html
    assert _pool(html, "security-pool")[c.security.user.name] == ("Security officer", "0", "Not given")
    # The table lays out as labelled cards on a phone, like the queue.
    assert 'class="table table-sm table-stack small mb-3" id="reviewer-pool"' in html
    assert busy != also_busy


def test_assigning_the_chair_as_a_reviewer_asks_first(app, make_client):
    c = committee(app, make_client)
    submission_id, _owner = submitted(app, make_client)
    url = f"/review/applications/{submission_id}/assign"
    asked = c.coordinator.client.post(url, data={"reviewer_id": c.chair.user.id, "due_on": "2031-03-04"})
    assert asked.status_code == 200
    text = page_text(asked)
    assert "Assign the chair as a reviewer?" in text
    assert f"Yes, assign {c.chair.user.name} as a reviewer" in text and "No, choose someone else" in text
    html = asked.get_data(as_text=True)
    confirmation = html.split('id="confirm-chair"', 1)[1].split("</form>", 1)[0]
    assert f'name="reviewer_id" value="{c.chair.user.id}"' in confirmation
    assert 'name="due_on" value="2031-03-04"' in confirmation and 'name="confirm_chair" value="yes"' in confirmation
    assert 'name="csrf_token"' in confirmation
    # Nothing is assigned until the confirmation's button is pressed.
    assert _assignments(app, submission_id) == 0 and audit_events(app, "reviewer.assigned") == []

    confirmed = c.coordinator.client.post(url, data={"reviewer_id": c.chair.user.id, "due_on": "2031-03-04",
                                                     "confirm_chair": "yes"})
    assert confirmed.status_code == 302
    assert _assignments(app, submission_id) == 1
    assert [e["data"]["reviewer"] for e in audit_events(app, "reviewer.assigned")] == [c.chair.user.email]
    # An ordinary reviewer is assigned at once.
    assert assign(c, submission_id, c.reviewer1).status_code == 302
    assert _assignments(app, submission_id) == 2


def test_the_service_refuses_the_chair_unconfirmed(app, make_client):
    c = committee(app, make_client)
    submission_id, _owner = submitted(app, make_client)
    with app.test_request_context():
        submission = db.session.get(Submission, submission_id)
        coordinator = db.session.get(User, c.coordinator.user.id)
        with pytest.raises(services.ReviewRuleError, match="chairs the committee"):
            services.assign(submission, coordinator, c.chair.user.id)
        assert services.chair_to_confirm(c.chair.user.id, "reviewer").id == c.chair.user.id
        assert services.chair_to_confirm(c.reviewer1.user.id, "reviewer") is None
        assert services.chair_to_confirm(None, "reviewer") is None
    assert _assignments(app, submission_id) == 0

"""Staff land on their own work after signing in, and the coordinator's queue opens with what is waiting."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from app.extensions import db
from app.reviews.models import Assignment, Condition
from app.submissions.models import Submission
from tests.helpers import committee, login, make_user, page_text


@pytest.mark.parametrize("roles, landing", [
    ((), "/"),
    (("reviewer",), "/review/mine"),
    (("security_officer",), "/review/mine"),
    (("chair", "reviewer"), "/review/chair"),
    (("deputy_chair",), "/review/chair"),
    (("coordinator",), "/review/queue"),
    (("coordinator", "reviewer"), "/review/queue"),
    (("admin",), "/review/queue"),
])
def test_each_person_lands_on_their_own_work(app, client, roles, landing):
    response = login(client, make_user(app, *roles))
    assert response.status_code == 302
    assert response.headers["Location"] == landing
    assert client.get(landing).status_code == 200


def test_a_page_asked_for_before_signing_in_still_wins(app, client):
    user = make_user(app, "coordinator")
    response = client.post("/login?next=/archive", data={"email": user.email, "password": user.password})
    assert response.headers["Location"] == "/archive"


def counts(client) -> dict[str, str]:
    html = client.get("/review/queue").get_data(as_text=True)
    section = html.split('id="work-counts"', 1)[1].split("</ul>", 1)[0]
    text = re.sub(r"<[^>]+>", " ", section)
    found = re.findall(r"(\d+\+?)\s+([A-Z][a-z][^\d]*?)\s*(?=\d|$)", " ".join(text.split()))
    return {label.strip(): number for number, label in found}


def test_the_queue_opens_with_what_is_waiting(app, make_client, application_in):
    c = committee(app, make_client)
    application_in("submitted", c=c)
    application_in("submitted", c=c)
    late = application_in("in_review", c=c)
    on_time = application_in("in_review", c=c)
    conditional = application_in("approved_with_conditions", c=c)
    assert counts(c.coordinator.client) == {"To triage": "2", "In review": "2", "Overdue": "0",
                                            "Conditions reported met": "0", "Recusals to replace": "0"}
    with app.app_context():
        db.session.get(Submission, late.id).due_on = date.today() - timedelta(days=1)
        db.session.get(Submission, on_time.id).due_on = date.today() + timedelta(days=3)
        condition = db.session.scalars(db.select(Condition).where(Condition.submission_id == conditional.id)).one()
        condition.reported_met_at = db.func.now()
        condition.report_note = "Weights deposited under a gated licence."
        recused = db.session.scalars(db.select(Assignment).where(Assignment.submission_id == on_time.id)).first()
        recused.recommendation, recused.coi_status, recused.active = None, "declared", False
        db.session.commit()
    assert counts(c.coordinator.client) == {"To triage": "2", "In review": "2", "Overdue": "1",
                                            "Conditions reported met": "1", "Recusals to replace": "1"}
    page = page_text(c.coordinator.client.get("/review/queue"))
    assert "Waiting for the research office" in c.coordinator.client.get("/review/queue").get_data(as_text=True)
    assert "To triage" in page
    # Each count with a list of its own links to the queue filtered to it.
    html = c.coordinator.client.get("/review/queue").get_data(as_text=True)
    assert 'href="/review/queue?state=in_review&amp;flag=overdue"' in html
    assert 'href="/review/queue?flag=recusal"' in html and 'href="/review/queue?flag=conditions_reported"' in html
    assert 'href="/review/queue?state=triage"' in html

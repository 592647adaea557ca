"""After submitting, the task list says what happens next: the route, the dates its rules give, who to ask."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from app.extensions import db
from app.submissions import workflow
from app.submissions.models import Submission
from tests.helpers import high_risk_answers, page_text

OFFICE = "ethics-office@example.ac.uk"


@pytest.fixture
def office_email(app):
    app.config["RESEARCH_OFFICE_EMAIL"] = OFFICE
    yield OFFICE
    app.config["RESEARCH_OFFICE_EMAIL"] = None


def _panel(response) -> str:
    html = response.get_data(as_text=True)
    match = re.search(r'<section[^>]*id="what-happens-next".*?</section>', html, re.S)
    return match.group(0) if match else ""


def _submission(app, submission_id: int) -> Submission:
    with app.app_context():
        submission = db.session.get(Submission, submission_id)
        db.session.expunge(submission)
        return submission


def test_waiting_for_triage_the_panel_gives_the_route_its_days_and_the_office(app, application_in, office_email):
    application = application_in("submitted")
    submission = _submission(app, application.id)
    days = workflow.REVIEW_DAYS[submission.route]
    response = application.owner.client.get(f"/applications/{application.id}")
    panel = _panel(response)
    assert panel, "no “What happens next” panel"
    text = page_text(response)
    assert "What happens next" in text
    assert f"Your application goes to {workflow.ROUTES[submission.route].lower()}" in text
    assert "Triage (now)" in text and "You will get an email when the review starts" in text
    assert f"reviewers have {days} days on this route" in text
    estimate = date.today() + timedelta(days=days)
    assert f"If the review starts today, their recommendations are due by {estimate.strftime('%-d %B %Y')}" in text
    assert f'datetime="{estimate.isoformat()}"' in panel
    assert f'href="mailto:{OFFICE}?subject={submission.reference}"' in panel
    assert f"quoting {submission.reference}" in text
    assert "security sign-off" not in panel


def test_in_review_the_panel_gives_the_due_date_set_at_triage(app, application_in, office_email):
    application = application_in("in_review")
    submission = _submission(app, application.id)
    assert submission.due_on is not None
    text = page_text(application.owner.client.get(f"/applications/{application.id}"))
    assert "Triage (done)" in text and "Review (now)" in text
    assert f"Their recommendations are due by {submission.due_on.strftime('%-d %B %Y')}" in text
    assert "If the review starts today" not in text


def test_a_high_dual_use_application_is_told_of_the_security_sign_off(app, application_in, office_email):
    application = application_in("submitted", answers=high_risk_answers())
    panel = _panel(application.owner.client.get(f"/applications/{application.id}"))
    assert "with a security sign-off (export control and Trusted Research)" in panel
    assert "and the security officer" in panel
    assert f"{workflow.REVIEW_DAYS['full_committee']} days" in panel


def test_without_an_office_address_the_panel_still_names_the_office(app, application_in):
    application = application_in("submitted")
    panel = _panel(application.owner.client.get(f"/applications/{application.id}"))
    assert "Contact the research office, quoting" in page_text_of(panel)
    assert "mailto:" not in panel


@pytest.mark.parametrize("state", ["draft", "changes_requested", "approved"])
def test_no_panel_before_submitting_or_once_decided(app, application_in, state):
    application = application_in(state)
    assert _panel(application.owner.client.get(f"/applications/{application.id}")) == ""


def page_text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()

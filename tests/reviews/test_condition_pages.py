"""Conditions of an approval through the pages, as the applicant and the research office use them: the
applicant is prompted to report them, and reports each with the evidence the office checks."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.reviews.models import Condition
from tests.helpers import CONDITION, audit_events, mails, page_text, state


def _condition_id(app, submission_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(Condition.id).where(Condition.submission_id == submission_id))


def _report_url(submission_id: int, condition_id: int) -> str:
    return f"/applications/{submission_id}/conditions/{condition_id}/report"


def test_the_applicant_is_prompted_to_report_conditions(app, application_in):
    application = application_in("approved_with_conditions")
    owner = application.owner.client
    dashboard = owner.get("/")
    feedback_link = f'/applications/{application.id}/feedback#conditions'
    assert "Report the conditions" in page_text(dashboard)
    assert feedback_link in dashboard.get_data(as_text=True)
    task_list = owner.get(f"/applications/{application.id}")
    assert "Approved with conditions: report how you met them" in page_text(task_list)
    assert feedback_link in task_list.get_data(as_text=True)
    feedback = owner.get(f"/applications/{application.id}/feedback")
    assert 'id="conditions"' in feedback.get_data(as_text=True)
    assert "How condition 1 was met" in page_text(feedback)


def test_an_approved_application_prompts_nothing(app, application_in):
    application = application_in("approved")
    assert "Report the conditions" not in page_text(application.owner.client.get("/"))
    assert "report how you met them" not in page_text(application.owner.client.get(f"/applications/{application.id}"))


def test_a_condition_cannot_be_reported_met_without_evidence(app, application_in):
    application = application_in("approved_with_conditions")
    condition_id = _condition_id(app, application.id)
    for note in ("", "   \n  "):
        refused = application.owner.client.post(_report_url(application.id, condition_id), data={"note": note})
        assert refused.status_code == 422
        text = page_text(refused)
        assert "There is a problem" in text
        assert text.count("Explain how the condition was met, so the research office can check it") == 2
        html = refused.get_data(as_text=True)
        assert f'href="#note-{condition_id}"' in html
        assert re.search(rf'<textarea[^>]*id="note-{condition_id}"[^>]*aria-invalid="true"', html)
    with app.app_context():
        condition = db.session.get(Condition, condition_id)
        assert condition.reported_met_at is None and condition.report_note is None
    assert audit_events(app, "condition.reported_met") == []


def test_a_refused_report_keeps_what_was_typed(app, application_in):
    application = application_in("approved_with_conditions")
    condition_id = _condition_id(app, application.id)
    typed = "Weights deposited <under> a gated licence " + "x" * 2000  # too long: refused, kept
    refused = application.owner.client.post(_report_url(application.id, condition_id), data={"note": typed})
    assert refused.status_code == 422
    assert "Weights deposited &lt;under&gt; a gated licence" in refused.get_data(as_text=True)
    assert "x" * 2000 in refused.get_data(as_text=True)


def test_the_evidence_is_recorded_and_shown_to_both_sides(app, application_in):
    application = application_in("approved_with_conditions")
    condition_id = _condition_id(app, application.id)
    evidence = "Weights deposited on Zenodo under a gated licence (record 1234)."
    reported = application.owner.client.post(_report_url(application.id, condition_id), data={"note": evidence})
    assert reported.status_code == 302
    assert [e["data"]["note"] for e in audit_events(app, "condition.reported_met")] == [evidence]
    feedback = page_text(application.owner.client.get(f"/applications/{application.id}/feedback"))
    assert CONDITION in feedback and f"Your evidence: “{evidence}”" in feedback
    assert "waiting for confirmation" in feedback
    triage = page_text(application.committee.coordinator.client.get(f"/review/applications/{application.id}/triage"))
    assert evidence in triage


def _report(application, condition_id: int, note: str = "Weights deposited on Zenodo (record 1234)."):
    response = application.owner.client.post(_report_url(application.id, condition_id), data={"note": note})
    assert response.status_code == 302
    return response


def test_the_office_sends_a_condition_back_with_a_reason(app, application_in):
    application = application_in("approved_with_conditions")
    condition_id = _condition_id(app, application.id)
    coordinator = application.committee.coordinator
    _report(application, condition_id, "Done.")
    triage = coordinator.client.get(f"/review/applications/{application.id}/triage")
    assert "Send back to the applicant" in page_text(triage)
    assert f'action="/review/conditions/{condition_id}/send-back"' in triage.get_data(as_text=True)
    reason = "Give the Zenodo record and the licence text, not just 'Done'."
    sent = coordinator.client.post(f"/review/conditions/{condition_id}/send-back", data={"reason": reason})
    assert sent.status_code == 302
    assert "Condition sent back" in page_text(coordinator.client.get(sent.headers["Location"]))
    with app.app_context():
        condition = db.session.get(Condition, condition_id)
        assert condition.reported_met_at is None and condition.report_note is None
        assert condition.send_back_reason == reason and condition.sent_back_by_id == coordinator.user.id
        assert condition.sent_back_at is not None and condition.confirmed_at is None
    (event,) = audit_events(app, "condition.sent_back")
    assert event["actor_id"] == coordinator.user.id
    assert event["data"]["reason"] == reason and event["data"]["note"] == "Done."
    (mail,) = [m for m in mails(app, application.owner.user.email) if "sent back" in m["subject"]]
    assert reason in mail["body"] and CONDITION in mail["body"]
    assert state(app, application.id) == "approved_with_conditions"

    # The applicant reads why, and reports again.
    feedback = application.owner.client.get(f"/applications/{application.id}/feedback")
    text = page_text(feedback)
    assert "Sent back by the research office" in text
    assert reason in text and "Report it again below." in text
    assert f'id="note-{condition_id}"' in feedback.get_data(as_text=True)
    triage = page_text(coordinator.client.get(f"/review/applications/{application.id}/triage"))
    assert "waiting for the applicant to report it again" in triage and "Confirm met" not in triage
    _report(application, condition_id, "Zenodo record 1234, licence CC-BY-NC with gated access.")
    with app.app_context():
        assert db.session.get(Condition, condition_id).reported_met_at is not None
    assert coordinator.client.post(f"/review/conditions/{condition_id}/confirm").status_code == 302
    assert state(app, application.id) == "approved"


def test_sending_back_needs_a_reason_and_keeps_what_was_typed(app, application_in):
    application = application_in("approved_with_conditions")
    condition_id = _condition_id(app, application.id)
    _report(application, condition_id)
    coordinator = application.committee.coordinator.client
    refused = coordinator.post(f"/review/conditions/{condition_id}/send-back", data={"reason": "  "})
    assert refused.status_code == 422
    text = page_text(refused)
    assert "There is a problem" in text and text.count("Give the reason for sending the condition back") == 2
    html = refused.get_data(as_text=True)
    assert f'href="#send-back-{condition_id}"' in html and "<details class=\"mt-2\" open>" in html
    long_reason = "Missing the record <id> " + "y" * 2000
    refused = coordinator.post(f"/review/conditions/{condition_id}/send-back", data={"reason": long_reason})
    assert refused.status_code == 422
    assert "Missing the record &lt;id&gt; " + "y" * 2000 in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Condition, condition_id).reported_met_at is not None
    assert audit_events(app, "condition.sent_back") == []


def test_only_a_reported_open_condition_is_sent_back(app, application_in):
    application = application_in("approved_with_conditions")
    condition_id = _condition_id(app, application.id)
    coordinator = application.committee.coordinator.client
    url = f"/review/conditions/{condition_id}/send-back"
    not_reported = coordinator.post(url, data={"reason": "Why?"})
    assert not_reported.status_code == 422 and "has not reported this condition" in page_text(not_reported)
    _report(application, condition_id)
    assert coordinator.post(f"/review/conditions/{condition_id}/confirm").status_code == 302
    # Approved now: the condition is settled and nothing is sent back.
    assert coordinator.post(url, data={"reason": "Too late"}).status_code == 409
    assert application.owner.client.post(url, data={"reason": "Mine"}).status_code == 403
    assert audit_events(app, "condition.sent_back") == []

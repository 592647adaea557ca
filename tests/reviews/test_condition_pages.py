"""Conditions of an approval through the pages, as the applicant and the research office use them: the
applicant is prompted to report them, and reports each with the evidence the office checks."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.reviews.models import Condition
from tests.helpers import CONDITION, audit_events, page_text


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

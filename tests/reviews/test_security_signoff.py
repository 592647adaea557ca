"""The security officer's sign-off: its own form (export-control classification, licence, Trusted Research
outcome, conditions), recorded and audited, shown to the committee and the chair, required before the chair
decides when the route asks for it, and printed in the signed assessment."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.reviews import export_control
from app.reviews.models import Assignment, SecuritySignoff
from tests.helpers import (
    assessment_text,
    assign,
    assignment_id,
    audit_events,
    committee,
    decide,
    declare_none,
    high_risk_answers,
    page_text,
    recommend,
    sent,
    sign_off,
    state,
    submitted,
)


@pytest.mark.parametrize(("typed", "entry"), [
    ("2B001", "2B001"), ("2b001", "2B001"), (" 5d002.C.1 ", "5D002.c.1"), ("ml8", "ML8"), ("ML22.a", "ML22.a"),
    ("PL9009", "PL9009"), ("1C011", "1C011"),
])
def test_control_list_entries_are_written_as_the_list_writes_them(typed, entry):
    assert export_control.control_entry(typed) == entry


@pytest.mark.parametrize("typed", ["", "2F001", "2B01", "ML23", "ML0", "XYZ", "2B001..a", "PL12", "2B001 or ML8"])
def test_anything_else_is_not_a_control_list_entry(typed):
    assert export_control.control_entry(typed) is None


def test_what_a_complete_sign_off_needs():
    complete = {"classification": "listed", "entry": "ML8", "basis": "", "licence": "yes",
                "trusted_research": "no_concerns", "conditions": ""}
    assert export_control.problems(**complete) == {}
    assert set(export_control.problems(**{**complete, "entry": "Military"})) == {"control_entry"}
    assert set(export_control.problems(**{**complete, "classification": "not_listed"})) == {"basis"}
    assert export_control.problems(**{**complete, "classification": "not_listed", "basis": "Below 1C011."}) == {}
    assert set(export_control.problems(**{**complete, "trusted_research": "concerns_mitigated"})) == {"conditions"}
    assert set(export_control.problems(classification="", entry="", basis="", licence="", trusted_research="",
                                       conditions="")) == {"classification", "licence", "trusted_research"}


def _high_risk_in_review(app, make_client):
    """A high dual-use application (full committee, security sign-off required), its two reviewers and the
    security officer assigned and declared free of conflict, both reviewers' recommendations in."""
    c = committee(app, make_client)
    submission_id, owner = submitted(app, make_client, high_risk_answers())
    for reviewer in (c.reviewer1, c.reviewer2):
        assert assign(c, submission_id, reviewer).status_code == 302
    assert assign(c, submission_id, c.security, kind="security").status_code == 302
    assert c.coordinator.client.post(f"/review/applications/{submission_id}/start").status_code == 302
    for reviewer in (c.reviewer1, c.reviewer2, c.security):
        assert declare_none(app, submission_id, reviewer).status_code == 302
    for reviewer in (c.reviewer1, c.reviewer2):
        assert recommend(app, submission_id, reviewer, "approve_with_conditions").status_code == 302
    return submission_id, owner, c


def test_the_security_officer_has_a_form_of_their_own(app, make_client):
    submission_id, _owner, c = _high_risk_in_review(app, make_client)
    page = c.security.client.get(f"/review/applications/{submission_id}")
    html, text = page.get_data(as_text=True), page_text(page)
    assert page.status_code == 200
    assert "Your security sign-off" in text and "Jump to your security sign-off" in text
    for label in ("Export-control classification", "Control-list entry", "Basis for the classification",
                  "Is an export licence needed?", "Trusted Research outcome", "Conditions", "Record sign-off"):
        assert label in text, label
    assert 'action="/review/assignments/' in html and '/sign-off"' in html
    assert 'name="recommendation"' not in html
    # The reviewers' form is not theirs: recommending on the security assignment is refused.
    aid = assignment_id(app, submission_id, c.security)
    refused = c.security.client.post(f"/review/assignments/{aid}/recommend",
                                     data={"recommendation": "approve", "summary": "ok"})
    assert refused.status_code == 403


@pytest.mark.parametrize(("fields", "message"), [
    ({"control_entry": "Military List 8"}, "Enter a control-list entry like 2B001"),
    ({"control_entry": ""}, "Enter the control-list entry"),
    ({"classification": "not_listed", "control_entry": "", "basis": " "}, "Give the basis for “not listed”"),
    ({"trusted_research": "concerns_mitigated"}, "List the conditions that mitigate"),
    ({"licence": ""}, "Say whether an export licence is needed"),
    ({"trusted_research": "maybe"}, "Choose the Trusted Research outcome"),
])
def test_an_incomplete_sign_off_is_drawn_again_with_the_reason(app, make_client, fields, message):
    submission_id, _owner, c = _high_risk_in_review(app, make_client)
    typed = {"basis": "Typed before the error.", **fields}
    response = sign_off(app, submission_id, c.security, **typed)
    assert response.status_code == 422
    text = page_text(response)
    assert "There is a problem" in text and message in text
    assert typed["basis"].strip() in text  # nothing typed is lost
    with app.app_context():
        assert db.session.scalar(select(SecuritySignoff.id)) is None


def test_the_sign_off_is_recorded_audited_and_shown_to_the_committee_and_the_chair(app, make_client):
    submission_id, _owner, c = _high_risk_in_review(app, make_client)
    conditions = "- Keep the **candidate list** on the restricted server\n- <script>alert(1)</script>Log access"
    response = sign_off(app, submission_id, c.security, control_entry="ml8.a", licence="yes",
                        trusted_research="concerns_mitigated", conditions=conditions)
    assert response.status_code == 302
    with app.app_context():
        signoff = db.session.scalar(select(SecuritySignoff))
        assert (signoff.control_entry, signoff.licence_required, signoff.trusted_research) == (
            "ML8.a", True, "concerns_mitigated")
        assignment = db.session.get(Assignment, signoff.assignment_id)
        assert assignment.recommendation == "approve_with_conditions" and assignment.completed_at is not None
    [event] = audit_events(app, "security_signoff.recorded")
    assert event["actor_id"] == c.security.user.id
    assert event["data"]["control_entry"] == "ML8.a" and event["data"]["trusted_research"] == "concerns_mitigated"

    for reader in (c.chair, c.coordinator, c.reviewer1):
        page = reader.client.get(f"/review/applications/{submission_id}")
        html, text = page.get_data(as_text=True), page_text(page)
        assert "ML8.a" in text and "Concerns mitigated by the conditions" in text, reader
        assert "<strong>candidate list</strong>" in html  # Markdown, rendered
        assert "<script>alert(1)</script>" not in html  # and sanitised
    decide_page = c.chair.client.get(f"/review/applications/{submission_id}/decide")
    text = page_text(decide_page)
    assert "Security sign-off" in text and "ML8.a" in text and "Needed" in text
    assert "Not ready for a decision" not in text

    # Corrected while in review: changed in place, audited again.
    assert sign_off(app, submission_id, c.security, classification="not_listed", control_entry="",
                    basis="Below the thresholds of 1C011.", trusted_research="no_concerns").status_code == 302
    with app.app_context():
        [signoff] = db.session.scalars(select(SecuritySignoff)).all()
        assert signoff.control_entry is None and signoff.basis == "Below the thresholds of 1C011."
    assert len(audit_events(app, "security_signoff.changed")) == 1
    # Sending the same again changes nothing.
    sign_off(app, submission_id, c.security, classification="not_listed", control_entry="",
             basis="Below the thresholds of 1C011.", trusted_research="no_concerns")
    assert len(audit_events(app, "security_signoff.changed")) == 1


def test_a_reviewer_sees_the_sign_off_only_after_recommending(app, make_client):
    submission_id, _owner, c = _high_risk_in_review(app, make_client)
    assert sign_off(app, submission_id, c.security, control_entry="2B001").status_code == 302
    fresh = committee(app, make_client)
    assert assign(c, submission_id, fresh.reviewer1).status_code == 302
    declare_none(app, submission_id, fresh.reviewer1)
    assert "2B001" not in page_text(fresh.reviewer1.client.get(f"/review/applications/{submission_id}"))
    assert "2B001" not in page_text(fresh.reviewer1.client.get(f"/review/applications/{submission_id}/history"))


@pytest.mark.parametrize("outcome", ["approved", "changes_requested", "rejected"])
def test_the_chair_cannot_decide_before_the_sign_off_the_route_requires(app, make_client, outcome):
    submission_id, _owner, c = _high_risk_in_review(app, make_client)
    page = page_text(c.chair.client.get(f"/review/applications/{submission_id}/decide"))
    assert "Not ready for a decision" in page and "security officer must sign off" in page
    refused = decide(c, submission_id, outcome)
    assert refused.status_code == 422 and "security officer must sign off" in page_text(refused)
    assert state(app, submission_id) == "in_review"
    assert sign_off(app, submission_id, c.security).status_code == 302
    assert decide(c, submission_id, outcome).status_code == 302
    assert state(app, submission_id) == outcome


def test_a_referral_stops_approval_but_not_other_decisions(app, make_client):
    submission_id, _owner, c = _high_risk_in_review(app, make_client)
    assert sign_off(app, submission_id, c.security, trusted_research="refer").status_code == 302
    refused = decide(c, submission_id, "approved")
    assert refused.status_code == 422 and "referred the application" in page_text(refused)
    assert decide(c, submission_id, "changes_requested").status_code == 302


def test_a_low_risk_route_is_decided_without_a_sign_off(app, make_client):
    c = committee(app, make_client)
    submission_id, _owner = submitted(app, make_client)
    assert assign(c, submission_id, c.reviewer1).status_code == 302
    assert assign(c, submission_id, c.reviewer2).status_code == 302
    assert c.coordinator.client.post(f"/review/applications/{submission_id}/start").status_code == 302
    for reviewer in (c.reviewer1, c.reviewer2):
        declare_none(app, submission_id, reviewer)
        recommend(app, submission_id, reviewer)
    assert "Security sign-off" not in page_text(c.chair.client.get(f"/review/applications/{submission_id}/decide"))
    assert decide(c, submission_id, "approved").status_code == 302


def test_the_signed_assessment_prints_the_sign_off(rendering_app, make_client, tmp_path):
    app = rendering_app
    submission_id, owner, c = _high_risk_in_review(app, make_client)
    assert sign_off(app, submission_id, c.security, control_entry="ML8", licence="yes",
                    trusted_research="concerns_mitigated",
                    conditions="Keep the **candidate list** on the restricted server.").status_code == 302
    decided = sent(decide(c, submission_id, "approved_with_conditions", conditions="Follow the sign-off."))
    assert decided.status_code == 302
    text = assessment_text(app, owner.client, submission_id, tmp_path)
    assert "Security sign-off" in text
    assert "Export-control classification ML8" in text
    assert "Export licence Needed" in text
    assert "Trusted Research Concerns mitigated by the conditions" in text
    assert "Keep the candidate list on the restricted server." in text
    assert "Security sign-off recorded" in text  # in the history
    assert c.security.user.name not in text  # the applicant's copy names no reviewer

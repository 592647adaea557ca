"""Extra reviewers the institution policy asks for: a High footprint needs a sustainability reviewer, whom the
research office assigns from the holders of the role; they recommend as a reviewer does."""
from __future__ import annotations

import re
import subprocess
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.questionnaires.loader import get_questionnaire
from app.questionnaires.scoring import score
from app.reviews.assessment import assessment_snapshot
from app.reviews.models import Assignment
from app.reviews.services import extra_reviewers_needed
from app.submissions.models import Submission
from tests.helpers import (
    as_posted,
    assign,
    assignment_id,
    audit_events,
    committee,
    create_application,
    decide,
    declare_none,
    fill_application,
    page_text,
    person,
    recommend,
    state,
)
from tests.questionnaires.test_routing_cases import benign
from tests.tools import require_tool

V2 = get_questionnaire("ml-materials-ethics", 2)
# 4 x A100 80GB PCIe, 48 h, 50 runs on the GB grid: about 1.06 t CO2e, High under the default policy.
HEAVY_STAGE = {"D1-0-name": "Generator training", "D1-0-hardware": "a100_pcie_80gb", "D1-0-count": "4",
               "D1-0-hours": "48", "D1-0-memory_gb": "64", "D1-0-usage": "1", "D1-0-platform": "local_server",
               "D1-0-location": "GB", "D1-0-runs": "50"}
# The unremarkable version 2 application of the routing cases, with the heavy footprint (posted as the stage's
# fields) and how it will be reduced, and the weights' release (section H asks once section F says they are).
V2_ANSWERS: dict[str, Any] = benign(D2="Early stopping; reuse of MACE-MP as a starting point.", H3=True,
                                     H4="open_with_card")


def v2_form_answers() -> dict[str, dict[str, Any]]:
    """V2_ANSWERS by section, as the section pages post them."""
    by_section = as_posted(V2, {qid: value for qid, value in V2_ANSWERS.items() if qid != "D1"})
    by_section["D"].update(HEAVY_STAGE)
    by_section["H"] = by_section.pop("H")
    return by_section


def high_footprint_application(app, make_client) -> tuple[int, Any]:
    """An application on questionnaire version 2 whose footprint is High, submitted through its pages."""
    owner = person(app, make_client)
    submission_id = create_application(owner.client)
    fill_application(owner.client, submission_id, v2_form_answers())
    response = owner.client.post(f"/applications/{submission_id}/submit")
    assert response.status_code == 302, page_text(response)[:3000]
    return submission_id, owner


NEED = "Needs a sustainability reviewer: the footprint is High"


def assign_extra(c, submission_id: int, reviewer, kind: str = "sustainability"):
    return c.coordinator.client.post(f"/review/applications/{submission_id}/assign",
                                     data={f"{kind}-reviewer_id": reviewer.user.id, f"{kind}-kind": kind})


def triage_text(c, submission_id: int) -> str:
    return page_text(c.coordinator.client.get(f"/review/applications/{submission_id}/triage"))


def test_a_high_footprint_needs_a_sustainability_reviewer_who_recommends_for_the_chair(app, make_client):
    c = committee(app, make_client)
    carbon = person(app, make_client, "sustainability_reviewer", name="Dr Freya Holm")
    submission_id, _owner = high_footprint_application(app, make_client)
    response = c.coordinator.client.get(f"/review/applications/{submission_id}/triage")
    html = response.get_data(as_text=True)
    assert NEED in page_text(response)
    pool = html.split('id="sustainability-pool"', 1)[1].split("</table>", 1)[0]
    assert "Dr Freya Holm" in pool and c.reviewer1.user.name not in pool
    assert 'for="sustainability-reviewer_id">Sustainability reviewer</label>' in html

    assert assign_extra(c, submission_id, carbon).status_code == 302
    with app.app_context():
        kinds = db.session.scalars(select(Assignment.kind).where(Assignment.submission_id == submission_id)).all()
    assert kinds == ["sustainability"]
    after = triage_text(c, submission_id)
    assert "Dr Freya Holm (Sustainability reviewer)" in after and "Assigned: Dr Freya Holm." in after
    assert 'id="sustainability-pool"' not in after  # asked already: no longer offered
    for reviewer in (c.reviewer1, c.reviewer2):
        assert assign(c, submission_id, reviewer).status_code == 302
    assert c.coordinator.client.post(f"/review/applications/{submission_id}/start").status_code == 302
    assert state(app, submission_id) == "in_review"

    assert declare_none(app, submission_id, carbon).status_code == 302
    mine = page_text(carbon.client.get("/review/mine"))
    assert "Review as sustainability reviewer" in mine
    assert recommend(app, submission_id, carbon, "approve_with_conditions", "Cap the runs at 30.").status_code == 302
    chair_view = page_text(c.chair.client.get(f"/review/applications/{submission_id}"))
    assert "Dr Freya Holm (Sustainability reviewer): Approve with conditions" in chair_view
    assert "Cap the runs at 30." in chair_view

    # The signed assessment prints them by their role too: alone to the team, with the name in the archive.
    for reviewer in (c.reviewer1, c.reviewer2):
        declare_none(app, submission_id, reviewer)
        assert recommend(app, submission_id, reviewer).status_code == 302
    assert decide(c, submission_id, "approved").status_code == 302
    with app.app_context():
        printed = {audience: [r["reviewer"] for r in assessment_snapshot(submission_id, 1, audience=audience)[
            "recommendations"]] for audience in ("applicant", "archive")}
    assert "Sustainability reviewer" in printed["applicant"]
    assert "Sustainability reviewer: Dr Freya Holm" in printed["archive"]
    with app.app_context():
        printed_pdf = pdf_text(submission_id)
    assert re.search(r"Sustainability reviewer · [^·]* UTC Approve with conditions Cap the runs at 30\.", printed_pdf)


def pdf_text(submission_id: int) -> str:
    """The text of the team's assessment of round 1, rendered as a real PDF, white space folded."""
    from app.documents.context import assessment_context
    from app.documents.render import render_pdf

    pdf = render_pdf(assessment_context(submission_id, 1, audience="applicant"))
    text = subprocess.run([require_tool("pdftotext", "poppler-utils"), "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()
    return re.sub(r"\s+", " ", text)


def test_starting_without_a_needed_extra_reviewer_is_confirmed_first(app, make_client):
    c = committee(app, make_client)
    submission_id, _owner = high_footprint_application(app, make_client)
    for reviewer in (c.reviewer1, c.reviewer2):
        assert assign(c, submission_id, reviewer).status_code == 302
    # Nobody holds the role: the page says so, and the review can still start once confirmed.
    assert "Nobody outside the team holds this role" in triage_text(c, submission_id)
    response = c.coordinator.client.post(f"/review/applications/{submission_id}/start")
    assert response.status_code == 200 and state(app, submission_id) == "submitted"
    text = page_text(response)
    assert "Start the review without the extra reviewers the policy asks for?" in text
    assert f"{NEED}; nobody is assigned." in text
    response = c.coordinator.client.post(f"/review/applications/{submission_id}/start",
                                         data={"confirm_without_extras": "yes"})
    assert response.status_code == 302 and state(app, submission_id) == "in_review"
    [event] = audit_events(app, "review.started")
    assert event["data"]["without_extra_reviewers"] == ["sustainability_reviewer"]
    history = page_text(c.coordinator.client.get(f"/review/applications/{submission_id}/history"))
    assert "started the review on the route standard review, without a sustainability reviewer (round 1)" in history


def test_only_holders_of_the_role_are_assigned_as_extra_reviewers(app, make_client):
    c = committee(app, make_client)
    submission_id, _owner = high_footprint_application(app, make_client)
    response = assign_extra(c, submission_id, c.reviewer1)
    assert response.status_code == 422
    assert f"{c.reviewer1.user.name} is not a sustainability reviewer." in page_text(response)
    assert 'aria-describedby="sustainability-reviewer_id-error"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Assignment.id).where(Assignment.submission_id == submission_id)) is None


def test_an_ordinary_application_needs_no_extra_reviewer(app, make_client):
    c = committee(app, make_client)
    person(app, make_client, "sustainability_reviewer")
    owner = person(app, make_client)
    submission_id = create_application(owner.client)
    fill_application(owner.client, submission_id)
    assert owner.client.post(f"/applications/{submission_id}/submit").status_code == 302
    text = triage_text(c, submission_id)
    assert "Needs a" not in text and "sustainability" not in text.lower()
    assert assignment_id(app, submission_id, c.reviewer1) is None


def test_a_data_steward_is_needed_for_the_shortfalls_the_policy_names() -> None:
    profile = score(V2, benign(B3="unknown", B7="none", B7a=None)).to_dict()
    assert profile["extra_reviewers"] == ["data_steward"]
    [need] = extra_reviewers_needed(Submission(risk_profile=profile))
    assert (need.kind, need.role) == ("data_steward", "data_steward")
    assert need.message == "Needs a data steward (research data management): Data and FAIR is Medium"
    assert extra_reviewers_needed(Submission(risk_profile=score(V2, benign()).to_dict())) == []

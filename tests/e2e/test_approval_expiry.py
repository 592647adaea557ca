"""An approval past its valid-until date, in the browser: the daily job has marked it expired, and the team's
pages, the application's signed assessments and the public verification page each say when it lapsed; every
page axe-clean and readable at 320 px."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT, STAFF, _server_env

# Run in the server's environment: an approved application with its signed assessment, valid until ten days
# ago, then the daily job's expiry, as `flask reviews send-reminders` runs it.
EXPIRED_APPROVAL = """
import json, sys
from datetime import date, timedelta
from app import create_app
from app.auth.models import find_user_by_email
from app.core.models import utcnow
from app.demo.accounts import LOW_RISK_ANSWERS
from app.documents import services as documents
from app.extensions import db
from app.reviews import services as reviews
from app.reviews.models import Decision
from app.submissions import services

owner_email, chair_email = sys.argv[1:3]
valid_until = date.today() - timedelta(days=10)
app = create_app()
with app.app_context():
    owner, chair = find_user_by_email(owner_email), find_user_by_email(chair_email)
    # The demo's answers are version 1's, as the demo's reviewed applications are.
    submission = services.create_submission(owner, "Graph networks for battery cathode ageing",
                                            questionnaire_version=1)
    for section_id, values in LOW_RISK_ANSWERS.items():
        services.save_section(submission, section_id, dict(values, __present__=list(values)), owner,
                              check_required=False)
    services.submit(submission, owner)
    db.session.add(Decision(submission_id=submission.id, round_number=submission.round_number, outcome="approved",
                            summary="Approved.", decided_by_id=chair.id, decided_at=utcnow(),
                            signature_name=chair.name, signature_meaning="Approved — chair",
                            valid_until=valid_until))
    submission.state, submission.valid_until = "approved", valid_until
    db.session.commit()
    job = documents.request_assessment(submission.id, submission.round_number, "decision", chair.id, inline=True)
    assert job.status == "done", job.error
    assert reviews.expire_approvals(date.today()) >= 1
    print(json.dumps({"id": submission.id, "uid": job.document.uid, "reference": submission.reference}))
"""


@pytest.fixture
def expired(server) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", EXPIRED_APPROVAL, STAFF["applicant2"][0], STAFF["chair"][0]],
        cwd=ROOT, env=_server_env(server["instance"]), capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_an_expired_approval_says_when_it_lapsed(people, expired):
    lapsed = f"{date.today() - timedelta(days=9):%-d %B %Y}"
    applicant = people("applicant")
    applicant.login(STAFF["applicant2"][0])
    page = applicant.page
    applicant.visit(f"/applications/{expired['id']}", "task-list-expired")
    expect(page.get_by_role("status").filter(has_text=f"Approval expired on {lapsed}.")).to_be_visible()
    applicant.visit(f"/applications/{expired['id']}/feedback", "feedback-expired")
    expect(page.get_by_role("status").filter(has_text=f"Approval expired on {lapsed}.")).to_be_visible()
    applicant.visit(f"/applications/{expired['id']}/documents", "documents-lapsed")
    expect(page.get_by_text(f"Approved (approval lapsed on {lapsed})")).to_be_visible()

    visitor = people("funder")  # never signs in
    visitor.visit(f"/verify?document={expired['uid']}", "verify-lapsed")
    facts = visitor.page.get_by_role("region", name="is in the archive")
    expect(facts).to_contain_text(f"Approval lapsed on {lapsed}.")
    expect(facts).to_contain_text(expired["reference"])

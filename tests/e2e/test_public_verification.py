"""Public verification in the browser: someone without an account (a funder, a journal) follows the "Verify at"
link printed in a signed assessment, uploads the PDF, and mistypes an identifier; every page axe-clean and
readable at 320 px."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT, STAFF, _server_env

# Run in the server's environment (its database and development signing certificates): a decided application
# with its signed assessment, produced inline as a decision does without a queue.
SIGNED_ASSESSMENT = """
import json, sys
from app import create_app
from app.auth.models import find_user_by_email
from app.core.models import utcnow
from app.demo.accounts import LOW_RISK_ANSWERS
from app.documents import services as documents
from app.extensions import db
from app.reviews.models import Decision
from app.submissions import services

owner_email, chair_email, pdf_path = sys.argv[1:4]
app = create_app()
with app.app_context():
    owner, chair = find_user_by_email(owner_email), find_user_by_email(chair_email)
    submission = services.create_submission(owner, "Transfer learning for thermoelectric screening",
                                            questionnaire_version=1)
    for section_id, values in LOW_RISK_ANSWERS.items():
        services.save_section(submission, section_id, dict(values, __present__=list(values)), owner,
                              check_required=False)
    services.submit(submission, owner)
    db.session.add(Decision(submission_id=submission.id, round_number=submission.round_number, outcome="approved",
                            summary="Approved.", decided_by_id=chair.id, decided_at=utcnow(),
                            signature_name=chair.name, signature_meaning="Approved — chair"))
    submission.state = "approved"
    db.session.commit()
    job = documents.request_assessment(submission.id, submission.round_number, "decision", chair.id, inline=True)
    assert job.status == "done", job.error
    with open(pdf_path, "wb") as pdf:
        pdf.write(documents.document_bytes(job.document))
    print(json.dumps({"uid": job.document.uid, "reference": submission.reference, "title": submission.title}))
"""


@pytest.fixture
def signed(server, tmp_path) -> dict:
    pdf = tmp_path / "assessment.pdf"
    result = subprocess.run(
        [sys.executable, "-c", SIGNED_ASSESSMENT, STAFF["applicant2"][0], STAFF["chair"][0], str(pdf)],
        cwd=ROOT, env=_server_env(server["instance"]), capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    return dict(json.loads(result.stdout.strip().splitlines()[-1]), pdf=str(pdf))


def test_public_verification_by_an_anonymous_visitor(people, signed):
    visitor = people("funder")  # never signs in
    page = visitor.page

    # The link printed in the PDF: what the cover shows, and that it is current; no sign-in asked for.
    visitor.visit(f"/verify?document={signed['uid']}", "verify-by-identifier")
    assert "/login" not in page.url
    expect(page.get_by_role("heading", name=f"Document {signed['uid']} is in the archive")).to_be_visible()
    facts = page.get_by_role("region", name=re.compile("is in the archive"))
    expect(facts).to_contain_text(signed["reference"])
    expect(facts).to_contain_text(signed["title"])
    expect(facts).to_contain_text("Current.")
    expect(facts).to_contain_text("Approved")
    expect(page.get_by_text("Download the archived PDF")).to_have_count(0)

    # Their copy of the PDF, uploaded: the signature is intact and trusted, and it is that document.
    page.get_by_label("PDF file").set_input_files(signed["pdf"])
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name=re.compile("Authentic"))).to_be_visible()
    expect(page.get_by_text("different archived document")).to_have_count(0)
    visitor.check("verified-anonymously")

    # A mistyped identifier: a plain "not found" page saying what to check.
    visitor.visit("/verify", "verify-page-anonymous")
    page.get_by_label("Document identifier").fill("00000000-0000-4000-8000-000000000000")
    page.get_by_role("button", name="Look up").click()
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_text("No signed assessment in this archive has that document identifier")).to_be_visible()
    visitor.check("verify-unknown-identifier")

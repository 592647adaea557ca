"""The assessment issued when the last condition is confirmed met, produced through the pages (the applicant
reports with evidence, the research office confirms) and opened with pdftotext: it says the application is
approved, lists each condition with its evidence and who confirmed it when, prints condition texts whole in
the signature block, and lists each answer that raised a risk category once."""
from __future__ import annotations

import re
import subprocess

from sqlalchemy import select

from app.documents.models import Document
from app.extensions import db
from app.reviews.models import Condition
from tests.helpers import Person, decided_application, login, make_user, medium_risk_answers, sent
from tests.tools import require_tool

LONG_CONDITION = ("Document the vetting procedure for gated release of the trained weights and send it to the "
                  "research office before the weights are released to any partner institution.")
EVIDENCE = "Vetting procedure v1.0 sent to the research office on 2026-12-03 (document RO-2026-551)."


def _pdf_text(path, *options: str) -> str:
    require_tool("pdftotext", "poppler-utils")
    return subprocess.run(["pdftotext", *options, str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_the_assessment_issued_when_every_condition_is_met(rendering_app, make_client, tmp_path):
    app = rendering_app
    answers = medium_risk_answers()
    answers["B"]["B1"] = ["icsd", "csd"]  # two options raising the same categories at the same level
    decided = decided_application(app, make_client, answers=answers)
    with app.app_context():
        condition = db.session.scalar(select(Condition).where(Condition.submission_id == decided.submission_id))
        condition.text = LONG_CONDITION
        db.session.commit()
        condition_id = condition.id
    owner = make_client()
    login(owner, decided.owner)
    reported = owner.post(f"/applications/{decided.submission_id}/conditions/{condition_id}/report",
                          data={"note": EVIDENCE})
    assert reported.status_code == 302
    coordinator = Person(make_user(app, "coordinator", name="Jo Whitfield"), make_client())
    login(coordinator.client, coordinator.user)
    assert sent(coordinator.client.post(f"/review/conditions/{condition_id}/confirm")).status_code == 302
    with app.app_context():
        document = db.session.scalar(select(Document).where(Document.submission_id == decided.submission_id,
                                                            Document.kind == "conditions_met"))
        assert document is not None
        document_id = document.id
    download = owner.get(f"/archive/documents/{document_id}/download")
    assert download.status_code == 200
    path = tmp_path / "conditions-met.pdf"
    path.write_bytes(download.data)

    cover = _squash(_pdf_text(path, "-f", "1", "-l", "1"))
    assert "Approved (all conditions met)" in cover
    assert "Approved with conditions" not in cover
    assert "Conditions (all met)" in cover
    text = _squash(_pdf_text(path))
    # Each condition with the applicant's evidence, and who confirmed it and when.
    assert EVIDENCE in text
    assert "Evidence from the applicant (Dr Amara Okafor," in text
    assert re.search(r"Confirmed met by Jo Whitfield \(research office\), \d{1,2} \w+ \d{4}, \d\d:\d\d UTC", text)
    # The decision section says both: approved, after the chair's approval with conditions.
    assert re.search(r"Outcome: Approved \(all conditions met\)\. The chair's decision \(approved with conditions\)",
                     text)
    # The signature block prints the condition whole, wrapped, never cut.
    assert f"Condition 1 confirmed met — research office: {LONG_CONDITION} Signed" in text
    # "Raised by": ICSD and CSD raised data and openness each at Medium: one line per category, not two.
    raised = "B1 Where does the data come from?: ICSD (Inorganic Crystal Structure Database); " \
             "CSD (Cambridge Structural Database) (Medium)"
    assert text.count(raised) == 2, text.count(raised)

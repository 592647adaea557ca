"""The declaration is dated by the submission that made it: stamped with the round, shown on the task list and
check your answers once submitted, and printed in the signed assessment."""
from __future__ import annotations

from app.core.models import utcnow
from tests.helpers import assessment_text, create_application, decide, in_review, page_text, recommend, sent, submitted


def _today() -> str:
    return utcnow().strftime("%-d %B %Y")


def test_the_declaration_date_is_shown_once_submitted(app, make_client):
    submission_id, owner = submitted(app, make_client)
    declared = f"Declared on {_today()}, when round 1 was submitted."
    assert declared in page_text(owner.client.get(f"/applications/{submission_id}"))
    check = page_text(owner.client.get(f"/applications/{submission_id}/check"))
    # Under the declaration, the last section.
    assert declared in check and check.index("Declaration") < check.index(declared)


def test_a_draft_has_no_declaration_date(app, make_client, login_as):
    owner = login_as()
    submission_id = create_application(owner.client)
    assert "Declared on" not in page_text(owner.client.get(f"/applications/{submission_id}"))
    assert "Declared on" not in page_text(owner.client.get(f"/applications/{submission_id}/check"))


def test_the_signed_assessment_prints_the_declaration_date(rendering_app, make_client, tmp_path):
    app = rendering_app
    submission_id, owner, c = in_review(app, make_client)
    for reviewer in (c.reviewer1, c.reviewer2):
        assert recommend(app, submission_id, reviewer).status_code == 302
    assert sent(decide(c, submission_id, "approved")).status_code == 302
    assert f"Declaration Declared on {_today()}" in assessment_text(app, owner.client, submission_id, tmp_path)

"""A draft started on questionnaire v1 moves to v2 by the mapping beside v2: unchanged answers carry over, changed
ones are kept for re-answering with the reason, dropped ones stay stored; nothing typed is lost."""
from __future__ import annotations

from sqlalchemy import select

from app.core.audit import AuditEvent
from app.extensions import db
from app.questionnaires.loader import get_mapping
from app.submissions.models import Answer, Submission
from app.submissions.services import QUESTIONNAIRE_KEY
from tests.helpers import (
    V1_LOW_RISK_ANSWERS,
    create_application_on_version,
    fill_application,
    join_team,
    login,
    make_user,
    page_text,
    post_section,
)


def _answers(app, submission_id: int) -> dict[str, tuple]:
    with app.app_context():
        rows = db.session.scalars(select(Answer).where(Answer.submission_id == submission_id)).all()
        return {row.question_id: (row.value, row.invalid_input, row.invalid_message) for row in rows}


def _version(app, submission_id: int) -> int:
    with app.app_context():
        return db.session.get(Submission, submission_id).questionnaire_version.version


def _v1_draft(app, client, monkeypatch) -> int:
    login(client, make_user(app))
    submission_id = create_application_on_version(client, monkeypatch, 1)
    fill_application(client, submission_id, V1_LOW_RISK_ANSWERS)
    assert post_section(client, submission_id, "C", {**V1_LOW_RISK_ANSWERS["C"], "C3": "yes"}).status_code == 302
    return submission_id


def test_a_v1_draft_moves_to_v2(app, client, monkeypatch):
    submission_id = _v1_draft(app, client, monkeypatch)
    assert _version(app, submission_id) == 1
    before = _answers(app, submission_id)
    page = page_text(client.get(f"/applications/{submission_id}"))
    assert "Move this draft to version 2" in page

    response = client.post(f"/applications/{submission_id}/move-questionnaire")
    assert response.status_code == 302
    assert _version(app, submission_id) == 2
    after = _answers(app, submission_id)
    # Unchanged questions carry over exactly.
    for qid in ("A1", "A2", "B2", "C2", "C4", "E4", "F3", "G1"):
        assert after[qid] == before[qid], qid
    # Changed questions keep the answer as the field's input, with the reason, until saved again.
    value, kept, message = after["A3"]
    assert (value, kept) == (["ukri"], ["ukri"])
    assert message.startswith("Changed in version 2: Funders: \"non-UK government\" now means a foreign government")
    assert after["C1"][1] == ["none"] and after["C1"][2].startswith("Changed in version 2: Application areas")
    # The team, free text in v1, is a table in v2: the text is kept as the input and for reference beside it.
    assert after["G2"] == (None, before["G2"][0], after["G2"][2]) and after["G2"][2].startswith(
        "Changed in version 2: Team members")
    assert after["G2@v1"] == (before["G2"][0], None, None)
    # The dropped C3 and G3 stay stored with the draft.
    assert after["C3"] == (True, None, None)
    assert after["G3"] == before["G3"]
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "submission.questionnaire_moved"))
        assert event.data == {"from": 1, "to": 2, "reanswer": ["A3", "B1", "C1", "G2"],
                              "dropped": ["C3", "G3"]}

    followed = page_text(client.get(f"/applications/{submission_id}"))
    assert "Move this draft to version" not in followed
    check = page_text(client.get(f"/applications/{submission_id}/check"))
    assert "Changed in version 2: Funders" in check

    # Saving the section with the same answer is the re-answer: the reason goes.
    assert post_section(client, submission_id, "A", {"A3": "ukri"}).status_code in (200, 302)
    assert _answers(app, submission_id)["A3"] == (["ukri"], None, None)


def test_a_draft_already_on_the_latest_version_cannot_move(app, client, monkeypatch):
    submission_id = _v1_draft(app, client, monkeypatch)
    assert client.post(f"/applications/{submission_id}/move-questionnaire").status_code == 302
    response = client.post(f"/applications/{submission_id}/move-questionnaire")
    assert response.status_code == 409
    assert "cannot be moved to a newer questionnaire" in page_text(response)


def test_only_the_owner_moves_a_draft(app, client, make_client, monkeypatch):
    submission_id = _v1_draft(app, client, monkeypatch)
    editor = make_user(app)
    other = make_client()
    login(other, editor)
    join_team(app, client, other, submission_id, editor.email)
    assert "Move this draft" not in page_text(other.get(f"/applications/{submission_id}"))
    assert other.post(f"/applications/{submission_id}/move-questionnaire").status_code == 403
    assert _version(app, submission_id) == 1



def test_a_dropped_answer_stays_in_view_with_why(app, client, monkeypatch):
    login(client, make_user(app))
    submission_id = create_application_on_version(client, monkeypatch, 1)
    assert post_section(client, submission_id, "C", {**V1_LOW_RISK_ANSWERS["C"], "C3": "yes"}).status_code == 302
    why = " ".join(get_mapping(QUESTIONNAIRE_KEY, 1, 2).dropped["C3"].split())

    moved = page_text(client.post(f"/applications/{submission_id}/move-questionnaire", follow_redirects=True))
    assert ("Version 2 no longer asks C3: your answer is kept with the draft and shown on check your answers."
            in moved)
    kept = (f"Answer version 2 no longer asks Kept with your draft from version 1, so nothing you typed is lost. It "
            f"is not part of what you submit. C3. Could the model's objective be inverted toward harm? Yes No longer "
            f"asked: {why}")
    assert kept in page_text(client.get(f"/applications/{submission_id}/check"))
    assert kept in page_text(client.get(f"/applications/{submission_id}/sections/C"))
    assert "no longer asks" not in page_text(client.get(f"/applications/{submission_id}/sections/A"))
    assert _answers(app, submission_id)["C3"] == (True, None, None)

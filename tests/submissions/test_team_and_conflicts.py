"""Collaborators, autosave and two people editing the same section at once."""
from __future__ import annotations

import html
import re

from sqlalchemy import select

from app.core.mail import OutboxMessage
from app.extensions import db
from app.submissions.models import Answer, Submission
from tests.helpers import (
    LOW_RISK_ANSWERS,
    accept_invitation,
    create_application,
    fill_application,
    join_team,
    login,
    make_user,
    page_text,
    post_section,
    section_form,
)


def _team(app, make_client, role="editor"):
    owner, member = make_user(app), make_user(app)
    owner_client, member_client = make_client(), make_client()
    login(owner_client, owner)
    login(member_client, member)
    submission_id = create_application(owner_client)
    join_team(app, owner_client, member_client, submission_id, member.email, role)
    return submission_id, owner_client, member_client, member


def _carried_fields(response) -> dict[str, str]:
    """The hidden fields of the conflict page, which carry everything the user typed."""
    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', response.get_data(as_text=True))
    return {name: html.unescape(value) for name, value in found}


def _value(app, submission_id, qid):
    with app.app_context():
        return db.session.scalar(
            select(Answer.value).where(Answer.submission_id == submission_id, Answer.question_id == qid)
        )


def test_invited_editor_can_edit_but_not_submit_or_withdraw(app, make_client):
    submission_id, owner_client, member_client, member = _team(app, make_client)
    with app.app_context():
        mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == member.email))
        assert "invited" in mail.subject
        assert "/invitations" in mail.body
    assert "Graph networks" in page_text(member_client.get("/"))
    assert post_section(member_client, submission_id, "A", LOW_RISK_ANSWERS["A"]).status_code == 302
    fill_application(member_client, submission_id)
    assert member_client.post(f"/applications/{submission_id}/submit").status_code == 403
    assert member_client.post(f"/applications/{submission_id}/withdraw", data={}).status_code == 403
    assert member_client.post(f"/applications/{submission_id}/team",
                              data={"email": "x@example.ac.uk", "role": "viewer"}).status_code == 403
    assert owner_client.post(f"/applications/{submission_id}/submit").status_code == 302
    with app.app_context():
        assert db.session.get(Submission, submission_id).state == "submitted"


def test_viewer_can_read_but_not_change(app, make_client):
    submission_id, _owner_client, viewer_client, _viewer = _team(app, make_client, role="viewer")
    assert viewer_client.get(f"/applications/{submission_id}").status_code == 200
    assert viewer_client.get(f"/applications/{submission_id}/check").status_code == 200
    response = post_section(viewer_client, submission_id, "A", {"A1": "Viewer edit"}, base={}, button="save")
    assert response.status_code == 403
    autosave = viewer_client.post(f"/applications/{submission_id}/sections/A/autosave", data={"A1": "Viewer edit"})
    assert autosave.status_code == 403
    assert _value(app, submission_id, "A1") != "Viewer edit"


def test_invitation_to_someone_without_an_account_waits_for_them_to_register_and_accept(app, client, make_client):
    owner = make_user(app)
    login(client, owner)
    submission_id = create_application(client)
    client.post(f"/applications/{submission_id}/team", data={"email": "New.Person@Example.ac.uk", "role": "editor"})
    newcomer = make_user(app, email="new.person@example.ac.uk")
    other = make_client()
    login(other, newcomer)
    assert other.get(f"/applications/{submission_id}").status_code == 404
    assert "1 invitation to join a team waits" in page_text(other.get("/"))
    assert accept_invitation(app, other, submission_id, newcomer.email).status_code == 302
    assert other.get(f"/applications/{submission_id}").status_code == 200


def test_invite_validation_and_removal(app, client):
    owner = make_user(app)
    login(client, owner)
    submission_id = create_application(client)
    bad = client.post(f"/applications/{submission_id}/team", data={"email": "not-an-email", "role": "editor"})
    assert bad.status_code == 200 and "Enter an email address" in page_text(bad)
    assert 'value="not-an-email"' in bad.get_data(as_text=True)
    own = client.post(f"/applications/{submission_id}/team", data={"email": owner.email, "role": "editor"})
    assert "already the owner" in page_text(own)
    client.post(f"/applications/{submission_id}/team", data={"email": "helper@example.ac.uk", "role": "viewer"})
    duplicate = client.post(f"/applications/{submission_id}/team",
                            data={"email": "helper@example.ac.uk", "role": "viewer"})
    assert "already in the team" in page_text(duplicate)
    with app.app_context():
        member_id = db.session.get(Submission, submission_id).members[0].id
    assert client.post(f"/applications/{submission_id}/team/{member_id}/remove").status_code == 302
    with app.app_context():
        assert db.session.get(Submission, submission_id).members == []


def test_simultaneous_edits_conflict_and_user_chooses(app, make_client):
    submission_id, owner_client, member_client, _member = _team(app, make_client)
    # Both open section A at the same time.
    owner_base = section_form(owner_client, submission_id, "A")
    member_base = section_form(member_client, submission_id, "A")
    first = post_section(owner_client, submission_id, "A", {"A1b": "Owner's summary"}, base=owner_base, button="save")
    assert first.status_code == 302
    second = post_section(member_client, submission_id, "A", {"A1b": "Member's summary", "A2": "text_mining"},
                          base=member_base, button="save")
    assert second.status_code == 409
    text = page_text(second)
    assert "Owner's summary" in text and "Member's summary" in text
    assert "Keep my answer" in text
    # Nothing of the second save went in silently.
    assert _value(app, submission_id, "A1b") == "Owner's summary"
    assert _value(app, submission_id, "A2") is None
    carried = _carried_fields(second)
    assert carried["A2"] == "text_mining"
    resolve = dict(carried)
    resolve["__choice__A1b"] = "mine"
    response = member_client.post(f"/applications/{submission_id}/sections/A/resolve", data=resolve)
    assert response.status_code == 302
    assert _value(app, submission_id, "A1b") == "Member's summary"
    assert _value(app, submission_id, "A2") == "text_mining"


def test_conflict_resolution_can_keep_the_saved_answer(app, make_client):
    submission_id, owner_client, member_client, _member = _team(app, make_client)
    owner_base = section_form(owner_client, submission_id, "A")
    member_base = section_form(member_client, submission_id, "A")
    post_section(owner_client, submission_id, "A", {"A1b": "Owner's summary"}, base=owner_base, button="save")
    second = post_section(member_client, submission_id, "A", {"A1b": "Member's summary"}, base=member_base,
                          button="save")
    carried = _carried_fields(second)
    carried["__choice__A1b"] = "theirs"
    assert member_client.post(f"/applications/{submission_id}/sections/A/resolve", data=carried).status_code == 302
    assert _value(app, submission_id, "A1b") == "Owner's summary"


def test_untouched_answers_do_not_overwrite_a_colleagues_change(app, make_client):
    submission_id, owner_client, member_client, _member = _team(app, make_client)
    owner_base = section_form(owner_client, submission_id, "A")
    member_base = section_form(member_client, submission_id, "A")
    post_section(owner_client, submission_id, "A", {"A1b": "Owner's summary"}, base=owner_base, button="save")
    # The member's page still holds the old (empty) summary and changes a different question.
    response = post_section(member_client, submission_id, "A", {"A1b": "", "A2": "text_mining"}, base=member_base,
                            button="save")
    assert response.status_code == 302
    assert _value(app, submission_id, "A1b") == "Owner's summary"
    assert _value(app, submission_id, "A2") == "text_mining"


def test_autosave_saves_reports_errors_and_returns_new_bases(app, client):
    login(client, make_user(app))
    submission_id = create_application(client)
    data = section_form(client, submission_id, "D")
    data.update({"D2": "Reuse a pre-trained model.", "D1-0-count": "2", "D1-0-hours": "lots"})
    response = client.post(f"/applications/{submission_id}/sections/D/autosave", data=data,
                           headers={"Accept": "application/json"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "saved"
    assert set(body["saved"]) == {"D1", "D2"}
    assert body["errors"]["D1"] == "Correct stage 1 (hours per run)"
    assert body["bases"]["D2"].startswith("1:")
    assert body["section_status"] == "needs_attention"
    assert _value(app, submission_id, "D2") == "Reuse a pre-trained model."
    # A second autosave from the same page, with the bases it was given back, is not a conflict.
    data.update({f"__base__{k}": v for k, v in body["bases"].items()})
    data["D2"] = "Reuse a pre-trained model; early stopping."
    again = client.post(f"/applications/{submission_id}/sections/D/autosave", data=data)
    assert again.status_code == 200 and again.get_json()["saved"] == ["D2"]


def test_autosave_conflict_is_reported_not_applied(app, make_client):
    submission_id, owner_client, member_client, _member = _team(app, make_client)
    owner_base = section_form(owner_client, submission_id, "A")
    member_base = section_form(member_client, submission_id, "A")
    post_section(owner_client, submission_id, "A", {"A1b": "Owner's summary"}, base=owner_base, button="save")
    data = dict(member_base, A1b="Member's summary")
    response = member_client.post(f"/applications/{submission_id}/sections/A/autosave", data=data)
    assert response.status_code == 409
    assert response.get_json()["conflicts"] == ["A1b"]
    assert _value(app, submission_id, "A1b") == "Owner's summary"


def test_section_without_javascript_saves_with_plain_post(app, client):
    """The form posts every field itself; no autosave call is needed for answers to be kept."""
    login(client, make_user(app))
    submission_id = create_application(client)
    response = client.post(f"/applications/{submission_id}/sections/E",
                           data={"E1": "no", "E2": "no", "E3": "no", "E4": ["none"], "E6": ["none"], "continue": "1"})
    assert response.status_code == 302
    assert _value(app, submission_id, "E4") == ["none"]


def test_racing_autosaves_of_one_answer_never_fail(app, make_client):
    """Four windows autosave the same answer at once, with no base (the bench's pattern): each save is
    confirmed (200) or reported as a conflict (409), never a server error, and the stored answer is one
    that was confirmed."""
    import threading

    from app.core.audit import verify_chain

    user = make_user(app)
    first = make_client()
    login(first, user)
    submission_id = create_application(first)
    clients = [first] + [make_client() for _ in range(3)]
    for client in clients[1:]:
        login(client, user)
    statuses: list[int] = []
    confirmed: list[str] = []
    errors: list[BaseException] = []

    def window(number, client):
        try:
            for step in range(6):
                value = f"Summary from window {number}, edit {step}"
                response = client.post(f"/applications/{submission_id}/sections/A/autosave", data={"A1b": value})
                statuses.append(response.status_code)
                if response.status_code == 200 and response.get_json()["saved"] == ["A1b"]:
                    confirmed.append(value)
        except BaseException as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=window, args=(n, c)) for n, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert set(statuses) <= {200, 409} and 200 in statuses
    assert _value(app, submission_id, "A1b") in confirmed
    with app.app_context():
        assert verify_chain()[1] == []

"""Team invitations: pending until the invitee accepts, without effect until then; committee members and office
staff accept only after a warning that joining recuses them, and the office sees who joined and when."""
from __future__ import annotations

from sqlalchemy import select

from app.core.audit import AuditEvent
from app.core.mail import OutboxMessage
from app.extensions import db
from app.submissions.models import SubmissionMember
from tests.helpers import (
    accept_invitation,
    committee,
    create_application,
    invitation_id,
    page_text,
    person,
    submitted,
)


def _invite(owner, submission_id: int, email: str, role: str = "viewer") -> None:
    assert owner.client.post(f"/applications/{submission_id}/team",
                             data={"email": email, "role": role}).status_code == 302


def _in_pool(c, submission_id: int, who) -> bool:
    page = c.coordinator.client.get(f"/review/applications/{submission_id}/triage")
    assert page.status_code == 200
    return f'<option value="{who.user.id}">' in page.get_data(as_text=True)


def _audited(app, action: str) -> list[dict]:
    with app.app_context():
        return [event.data for event in db.session.scalars(select(AuditEvent).where(AuditEvent.action == action))]


def test_an_invited_reviewer_stays_in_the_pool_until_they_accept_with_the_warning(app, make_client):
    c = committee(app, make_client)
    submission_id, owner = submitted(app, make_client)
    _invite(owner, submission_id, c.reviewer1.user.email)
    assert _in_pool(c, submission_id, c.reviewer1)
    # Pending: no reading the application as its team.
    assert c.reviewer1.client.get(f"/applications/{submission_id}").status_code == 403

    warning = c.reviewer1.client.post(f"/invitations/{invitation_id(app, submission_id, c.reviewer1.user.email)}"
                                      "/accept")
    assert warning.status_code == 200
    assert "recused from reviewing, triaging and deciding on this application" in page_text(warning)
    assert "Reviewer" in page_text(warning)
    assert _in_pool(c, submission_id, c.reviewer1)
    assert _audited(app, "team.invitation_accepted") == []

    assert accept_invitation(app, c.reviewer1.client, submission_id, c.reviewer1.user.email).status_code == 302
    assert not _in_pool(c, submission_id, c.reviewer1)
    assert c.reviewer1.client.get(f"/applications/{submission_id}").status_code == 200
    assert _audited(app, "team.invitation_accepted") == [
        {"email": c.reviewer1.user.email, "role": "viewer", "recused_as": ["reviewer"]}]
    refused = c.coordinator.client.post(f"/review/applications/{submission_id}/assign",
                                        data={"reviewer_id": c.reviewer1.user.id})
    assert refused.status_code == 422 and "is on this application's team" in page_text(refused)
    triage = page_text(c.coordinator.client.get(f"/review/applications/{submission_id}/triage"))
    assert "Committee members on this application's team" in triage
    assert f"{c.reviewer1.user.name} ({c.reviewer1.user.email}), Reviewer: joined" in triage


def test_a_coordinator_invited_to_the_team_triages_until_they_accept(app, make_client):
    c = committee(app, make_client)
    invited = person(app, make_client, "coordinator")
    submission_id, owner = submitted(app, make_client)
    _invite(owner, submission_id, invited.user.email, "editor")
    triage = f"/review/applications/{submission_id}/triage"
    assert invited.client.get(triage).status_code == 200
    assert accept_invitation(app, invited.client, submission_id, invited.user.email).status_code == 302
    assert invited.client.get(triage).status_code == 403
    assert invited.client.post(f"/review/applications/{submission_id}/assign",
                               data={"reviewer_id": c.reviewer1.user.id}).status_code == 403
    # The application stays in their queue: the office's work, even if this one is not theirs.
    with app.app_context():
        from app.submissions.models import Submission
        reference = db.session.get(Submission, submission_id).reference
    assert reference in page_text(invited.client.get("/review/queue"))
    seen = page_text(c.coordinator.client.get(triage))
    assert f"{invited.user.name} ({invited.user.email}), Research office coordinator: joined" in seen


def test_a_pending_invitation_gives_no_access_and_is_answered_on_the_invitations_page(app, make_client):
    owner, invitee, stranger = (person(app, make_client) for _ in range(3))
    submission_id = create_application(owner.client, "Shared project")
    _invite(owner, submission_id, invitee.user.email, "editor")
    with app.app_context():
        mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == invitee.user.email))
        assert "/invitations" in mail.body
    assert invitee.client.get(f"/applications/{submission_id}").status_code == 404
    assert invitee.client.get(f"/applications/{submission_id}/team").status_code == 404
    dashboard = page_text(invitee.client.get("/"))
    assert "Shared project" not in dashboard.split("wait for your answer", 1)[-1]
    assert "1 invitation to join a team waits for your answer" in dashboard
    assert "Invitations 1 waiting" in dashboard
    assert "Invited (pending)" in page_text(owner.client.get(f"/applications/{submission_id}/team"))

    listed = page_text(invitee.client.get("/invitations"))
    assert "Shared project" in listed and "invited you as editor" in listed
    # Nobody else can answer it, nor learn that it exists.
    member_id = invitation_id(app, submission_id, invitee.user.email)
    for other in (stranger, owner):
        assert other.client.post(f"/invitations/{member_id}/accept").status_code == 404
        assert other.client.post(f"/invitations/{member_id}/decline").status_code == 404
    # Not staff: accepted at once, without the warning.
    assert invitee.client.post(f"/invitations/{member_id}/accept").status_code == 302
    assert invitee.client.get(f"/applications/{submission_id}").status_code == 200
    assert "Shared project" in page_text(invitee.client.get("/"))
    assert "Joined" in page_text(owner.client.get(f"/applications/{submission_id}/team"))
    assert "No invitations are waiting for you" in page_text(invitee.client.get("/invitations"))
    assert invitee.client.post(f"/invitations/{member_id}/accept").status_code == 404
    assert _audited(app, "team.invitation_accepted") == [
        {"email": invitee.user.email, "role": "editor", "recused_as": []}]


def test_declining_removes_the_invitation(app, make_client):
    owner, invitee = person(app, make_client), person(app, make_client)
    submission_id = create_application(owner.client, "Declined project")
    _invite(owner, submission_id, invitee.user.email)
    member_id = invitation_id(app, submission_id, invitee.user.email)
    assert invitee.client.post(f"/invitations/{member_id}/decline").status_code == 302
    with app.app_context():
        assert db.session.get(SubmissionMember, member_id) is None
    assert _audited(app, "team.invitation_declined") == [{"email": invitee.user.email, "role": "viewer"}]
    with app.app_context():
        told = db.session.scalars(select(OutboxMessage.subject).where(
            OutboxMessage.recipient == owner.user.email)).all()
    assert "Invitation declined: Declined project" in told
    assert invitee.client.post(f"/invitations/{member_id}/accept").status_code == 404
    assert invitee.client.get(f"/applications/{submission_id}").status_code == 404
    team = page_text(owner.client.get(f"/applications/{submission_id}/team")).split("People with access", 1)[1]
    assert invitee.user.email not in team


def test_removing_a_member_asks_for_confirmation_first(app, make_client):
    owner, member = person(app, make_client), person(app, make_client)
    submission_id = create_application(owner.client)
    _invite(owner, submission_id, member.user.email, "editor")
    assert accept_invitation(app, member.client, submission_id, member.user.email).status_code == 302
    member_id = invitation_id(app, submission_id, member.user.email)
    remove = f"/applications/{submission_id}/team/{member_id}/remove"
    team = owner.client.get(f"/applications/{submission_id}/team").get_data(as_text=True)
    assert f'href="{remove}"' in team
    asked = owner.client.get(remove)
    assert asked.status_code == 200
    assert f"Remove {member.user.email} from the team?" in page_text(asked)
    assert "lose access" in page_text(asked)
    assert member.client.get(f"/applications/{submission_id}").status_code == 200
    assert member.client.get(remove).status_code == 403
    assert owner.client.post(remove).status_code == 302
    assert member.client.get(f"/applications/{submission_id}").status_code == 404
    assert _audited(app, "member.removed") == [{"email": member.user.email, "role": "editor"}]
    assert owner.client.get(remove).status_code == 404

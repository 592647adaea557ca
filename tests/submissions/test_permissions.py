"""The applicant side's access predicates, directly, on the cases the access matrix does not spell out."""
from __future__ import annotations

from app.core.models import utcnow
from app.submissions.models import SubmissionMember
from app.submissions.permissions import (
    can_answer_invitation,
    can_edit_answers,
    can_read_application,
    can_see_application,
    is_owner,
    recusing_roles,
    team_role,
)
from tests.helpers import unsaved_application, unsaved_user


def test_each_team_role_reads_only_owner_and_editors_edit_only_the_owner_manages():
    owner, editor, viewer = unsaved_user(), unsaved_user(), unsaved_user()
    submission = unsaved_application(owner, members={editor: "editor", viewer: "viewer"})
    assert [team_role(u, submission) for u in (owner, editor, viewer)] == ["owner", "editor", "viewer"]
    assert [can_read_application(u, submission) for u in (owner, editor, viewer)] == [True, True, True]
    assert [can_edit_answers(u, submission) for u in (owner, editor, viewer)] == [True, True, False]
    assert [is_owner(u, submission) for u in (owner, editor, viewer)] == [True, False, False]


def test_an_outsider_does_not_see_the_application_at_all():
    submission = unsaved_application(unsaved_user())
    outsider = unsaved_user()
    assert not can_see_application(outsider, submission)
    assert not can_read_application(outsider, submission)


def test_staff_see_that_it_exists_but_do_not_read_the_applicants_pages():
    submission = unsaved_application(unsaved_user())
    for role in ("reviewer", "chair", "coordinator", "security_officer", "admin"):
        staff = unsaved_user(role)
        assert can_see_application(staff, submission), role
        assert not can_read_application(staff, submission), role
        assert not can_edit_answers(staff, submission), role


def test_a_team_member_who_is_also_staff_reads_it_as_their_team_role_allows():
    chair_viewer = unsaved_user("chair", "coordinator")
    submission = unsaved_application(unsaved_user(), members={chair_viewer: "viewer"})
    assert can_read_application(chair_viewer, submission)
    assert not can_edit_answers(chair_viewer, submission)  # staff roles add nothing on their own team
    assert not is_owner(chair_viewer, submission)


def test_membership_is_by_address_so_an_account_made_after_joining_counts():
    invited = unsaved_user()
    submission = unsaved_application(unsaved_user(), members={invited: "editor"})
    assert can_edit_answers(invited, submission)


def test_a_pending_invitation_grants_nothing_and_is_answered_by_its_invitee_alone():
    invitee, reviewer, stranger, owner = unsaved_user(), unsaved_user("reviewer"), unsaved_user(), unsaved_user()
    submission = unsaved_application(owner)
    submission.members = [SubmissionMember(email=u.email, role="editor") for u in (invitee, reviewer)]
    for pending in (invitee, reviewer):
        assert team_role(pending, submission) is None
        assert not can_read_application(pending, submission)
        assert not can_edit_answers(pending, submission)
    assert not can_see_application(invitee, submission)
    invitation = submission.members[0]
    assert can_answer_invitation(invitee, invitation)
    assert not any(can_answer_invitation(u, invitation) for u in (reviewer, stranger, owner))
    invitation.accepted_at = utcnow()
    assert team_role(invitee, submission) == "editor"
    assert not can_answer_invitation(invitee, invitation)


def test_joining_recuses_in_the_committee_and_office_roles_only():
    assert recusing_roles(unsaved_user()) == []
    assert recusing_roles(unsaved_user("chair", "reviewer")) == ["chair", "reviewer"]
    assert recusing_roles(unsaved_user("admin")) == ["admin"]

"""An invitation to a team waits for the invitee: a reviewer sees it, is warned that joining recuses them, and
accepts; the owner sees the invitation pending, then joined, and is asked before removing anyone."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.helpers import signed_in_new_application


def test_a_reviewer_accepts_an_invitation_after_the_recusal_warning(people, staff):
    owner, reviewer = people("owner"), people("reviewer")
    task_list = signed_in_new_application(owner, staff["applicant2"]["email"], "Invitation to a reviewer")
    owner.visit(task_list + "/team")
    owner.page.get_by_label("Email address").fill(staff["reviewer2"]["email"])
    owner.page.get_by_label("Viewer", exact=False).check()
    owner.page.get_by_role("button", name="Send invitation").click()
    expect(owner.page.get_by_role("table")).to_contain_text("Invited (pending)")
    owner.check("team-pending")

    reviewer.login(staff["reviewer2"]["email"])
    reviewer.visit("/", "dashboard-invitation-waits")
    expect(reviewer.page.get_by_role("status").filter(has_text="waits for your answer")).to_be_visible()
    reviewer.page.get_by_role("link", name="Invitations 1 waiting").click()
    reviewer.check("invitations")
    reviewer.page.get_by_role("button", name="Accept the invitation to Invitation to a reviewer").click()
    expect(reviewer.page.get_by_role("heading", level=1)).to_have_text("Joining this team recuses you")
    reviewer.check("recusal-warning")
    reviewer.page.get_by_role("button", name="Accept and be recused").click()
    expect(reviewer.page.get_by_role("heading", level=1)).to_have_text("Invitation to a reviewer")

    owner.visit(task_list + "/team")
    expect(owner.page.get_by_role("table")).to_contain_text("Joined")
    owner.page.get_by_role("link", name=f"Remove {staff['reviewer2']['email']}").click()
    expect(owner.page.get_by_role("heading", level=1)).to_have_text(
        f"Remove {staff['reviewer2']['email']} from the team?")
    owner.check("remove-member-confirmation")
    owner.page.get_by_role("button", name=f"Remove {staff['reviewer2']['email']}").click()
    expect(owner.page.get_by_role("table")).not_to_contain_text(staff["reviewer2"]["email"])

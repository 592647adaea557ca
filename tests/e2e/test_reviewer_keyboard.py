"""The reviewer's page by keyboard: the recommendation form is a few key presses from the top of the page, not
the 57 it took to Tab past every answer and comment link."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import application_in_review


def test_jump_to_your_recommendation_by_keyboard(people, staff, server):
    submission_id = application_in_review(server, "Keyboard route to the recommendation form")
    reviewer = people("reviewer")
    page = reviewer.page
    reviewer.login(staff["reviewer"]["email"])
    reviewer.visit(f"/review/applications/{submission_id}", "review-application")

    # From the top of the page: the skip links come first, "Jump to your recommendation" second.
    for _ in range(2):
        page.keyboard.press("Tab")
    jump = page.get_by_role("link", name="Jump to your recommendation")
    expect(jump).to_be_focused()
    expect(jump).to_be_visible()  # shown while focused, hidden otherwise
    page.keyboard.press("Enter")

    form = page.locator("form#your-recommendation")
    expect(page).to_have_url(f"{server['base_url']}/review/applications/{submission_id}#your-recommendation")
    assert page.evaluate("() => document.activeElement.closest('form#your-recommendation') !== null"), \
        page.evaluate("() => document.activeElement.outerHTML.slice(0, 200)")
    # One more press and the cursor is on the first choice; the form is filled and sent from the keyboard.
    page.keyboard.press("Tab")
    expect(form.get_by_label("Approve", exact=True)).to_be_focused()
    page.keyboard.press("Space")
    expect(form.get_by_label("Approve", exact=True)).to_be_checked()
    page.keyboard.press("Tab")
    expect(form.get_by_label("Summary of your reasons")).to_be_focused()
    page.keyboard.type("Sound plan, reached from the keyboard.")
    page.keyboard.press("Tab")
    expect(form.get_by_role("button", name="Record recommendation")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="recommendation has been recorded")).to_be_visible()
    reviewer.check("review-recommended-by-keyboard")

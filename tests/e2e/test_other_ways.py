"""The same product used other ways: two windows editing one section, no JavaScript, a narrow phone screen."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD
from tests.e2e.helpers import answer, new_application, signed_in_new_application, wait_saved


def test_two_windows_editing_the_same_section(people, staff):
    first, second = people("window-1"), people("window-2")
    for person in (first, second):
        person.login(staff["applicant2"]["email"])
    task_list = new_application(first, "Two windows on one application")
    section = task_list + "/sections/A"
    first.visit(section)
    second.visit(section)

    first.page.locator("#A1b").fill("Summary written in the first window.")
    first.page.keyboard.press("Tab")
    wait_saved(first.page)

    # The second window still shows the old answer; its change to the same answer, and one to another answer.
    second.page.locator("#A1b").fill("Summary written in the second window, which should win.")
    answer(second.page, {"A2": "text_mining"})
    expect(second.page.locator("#save-status")).to_contain_text("Someone else has changed an answer")
    second.page.get_by_role("button", name="Save as draft").click()
    expect(second.page.get_by_role("heading", level=1)).to_have_text(
        "Someone else changed these answers while you were editing")
    conflict = second.page.locator("fieldset").filter(has_text="A1b.")
    expect(conflict).to_contain_text("Summary written in the first window.")
    expect(conflict).to_contain_text("Summary written in the second window, which should win.")
    second.check("conflict-page")
    second.page.get_by_label("Keep my answer").check()
    second.page.get_by_role("button", name="Save my choices").click()
    expect(second.page.get_by_role("status").filter(has_text="Your choices have been saved")).to_be_visible()

    # Nothing is lost: the chosen text and the other answer typed in the second window are both saved.
    first.page.reload()
    expect(first.page.locator("#A1b")).to_have_value("Summary written in the second window, which should win.")
    expect(first.page.get_by_label("Text mining", exact=False).first).to_be_checked()
    first.check("section-after-conflict")


def test_forms_work_without_javascript(people, staff):
    person = people("no-js", java_script_enabled=False)
    page = person.page
    person.login(staff["applicant2"]["email"], check=True)
    task_list = new_application(person, "An application without JavaScript")
    person.visit(task_list + "/sections/A", "section-a")
    other = page.get_by_label(re.compile("Describe the role of machine learning"))
    expect(other).to_be_hidden()
    # The server applies the conditions: "Other" shows its follow-up question after saving.
    page.locator('[name="A2"][value="other"]').check()
    page.get_by_role("button", name="Save as draft").click()
    expect(other).to_be_visible()
    page.locator("#A1b").fill("Written without JavaScript.")
    other.fill("Symbolic regression of defect energies.")
    page.locator('[name="A3"][value="internal"]').check()
    page.locator('[name="A4"][value="no"]').check()
    page.locator('[name="A5"][value="no"]').check()
    page.locator("#A6").fill("2027-01-04")
    page.locator("#A7").fill("2029-12-31")
    page.locator("#A8").fill("Prof. Ada Lovelace, Department of Materials")
    page.locator('[name="A9"][value="no"]').check()
    page.locator('[name="A11"][value="none"]').check()
    page.locator('[name="A12"][value="none"]').check()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Data provenance and FAIR data")

    # Section D: "Add another stage" is an ordinary submit button; a missing answer gives the error summary.
    person.visit(task_list + "/sections/D")
    page.locator("#D1-0-hardware").select_option("a100_pcie_80gb")
    page.locator("#D1-0-count").fill("1")
    page.get_by_role("button", name="Add another stage").click()
    expect(page.locator("[data-stage]")).to_have_count(2)
    expect(page.locator("#D1-0-count")).to_have_value("1")
    person.check("section-d-two-stages")
    page.get_by_role("button", name="Save and continue").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link").first).to_have_attribute("href", re.compile("^#"))
    person.check("section-d-errors")

    # The coordinator's queue filters with the plain form.
    coordinator = people("no-js-coordinator", java_script_enabled=False)
    coordinator.login(staff["coordinator"]["email"])
    coordinator.visit("/review/queue")
    coordinator.page.get_by_label("Search reference or title").fill("nothing like this")
    coordinator.page.get_by_role("button", name="Filter").click()
    expect(coordinator.page).to_have_url(re.compile(r"search=nothing"))
    expect(coordinator.page.get_by_text("No applications match")).to_be_visible()
    coordinator.check("queue-no-js")


def test_narrow_mobile_screen(people, staff):
    person = people("mobile", viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True,
                    has_touch=True)
    page = person.page
    person.login(staff["applicant2"]["email"])
    task_list = new_application(person, "Application on a phone")

    def fits() -> None:
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"

    person.visit("/", "dashboard")
    fits()
    menu = page.get_by_role("button", name="Show or hide navigation")
    expect(menu).to_be_visible()
    expect(page.get_by_role("link", name="My applications", exact=True)).to_be_hidden()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("link", name="My applications", exact=True)).to_be_visible()
    person.check("menu-open")
    for path, name in ((task_list, "task-list"), (task_list + "/check", "check-answers"),
                       (task_list + "/sections/D", "section-d")):
        person.visit(path, name)
        fits()
    answer(page, {"D1-0-hardware": "a100_pcie_80gb", "D1-0-count": "1", "D1-0-hours": "5", "D1-0-memory_gb": "8",
                  "D1-0-platform": "local_server"})
    expect(page.locator('#footprint-statement [data-fp="energy"]')).not_to_be_empty()
    fits()
    person.check("section-d-figures")


def test_two_step_sign_in_set_up_and_used(people, staff):
    """The demo's option: a coordinator sets up an authenticator app from the account page (the QR page and the
    recovery codes pass axe), then signs in again with a code. Codes are computed with pyotp, as the app would."""
    import time

    import pyotp

    person = people("coordinator")
    page = person.page
    person.login(staff["coordinator2"]["email"])
    person.visit("/account", "account")
    page.get_by_role("link", name="Set up two-step sign-in").click()
    person.check("two-step-setup")
    expect(page.locator("figure svg")).to_be_visible()
    totp = pyotp.TOTP(page.locator("#totp-key").inner_text().strip())
    page.get_by_label("6-digit code from the app").fill("000000")
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.locator("#code-error")).to_contain_text("That code is not right")
    person.check("two-step-setup-wrong-code")
    page.get_by_label("6-digit code from the app").fill(totp.now())
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-step sign-in is on")
    person.check("two-step-recovery-codes")

    page.get_by_role("button", name="Sign out").click()
    person.visit("/login")
    page.get_by_label("Email address").fill(staff["coordinator2"]["email"])
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Second sign-in step")
    person.check("two-step-sign-in")
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(
        totp.at(time.time() + totp.interval))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(lambda url: "/login" not in url)
    person.visit("/account")
    expect(page.get_by_role("link", name="Manage two-step sign-in")).to_be_visible()


def test_labels_and_progress_follow_the_answers_as_they_are_typed(people, staff):
    person = people("live")
    page = person.page
    task_list = signed_in_new_application(person, staff["applicant2"]["email"], "Labels that follow the answers")
    person.visit(task_list + "/sections/A", "section-a-live")
    progress = page.locator("label[for='section-progress']")
    total = int(re.search(r"of (\d+) questions", progress.inner_text()).group(1))
    answered = int(re.search(r"(\d+) of", progress.inner_text()).group(1))

    # Counted while typing, before the field is left or saved.
    page.locator("#A1b").press_sequentially("Band gaps")
    expect(progress).to_have_text(f"{answered + 1} of {total} questions answered")
    # A follow-up appearing leaves the total as it was; its question counts once the follow-up is answered.
    page.locator('[name="A2"][value="other"]').check()
    follow_up = page.get_by_label(re.compile("Describe the role of machine learning"))
    expect(follow_up).to_be_visible()
    expect(progress).to_have_text(f"{answered + 1} of {total} questions answered")
    follow_up.press_sequentially("Symbolic regression")
    expect(progress).to_have_text(f"{answered + 2} of {total} questions answered")
    person.check("section-a-progress")

    # C11 becomes required when C1 names a sensitive area: its "(optional)" goes at once.
    person.visit(task_list + "/sections/C")
    optional = page.locator("#q-C11 label .optional-mark")
    expect(optional).to_be_visible()
    page.locator('[name="C1"][value="energetic"]').check()
    expect(optional).to_be_hidden()
    page.locator('[name="C1"][value="energetic"]').uncheck()
    expect(optional).to_be_visible()

"""A records question in the browser, on questionnaire v2: the team table (G2) is labelled cell by cell and passes
axe, autosave reads its cells and puts a bad ORCID iD's message beside the cell's question, "Add another row"
keeps what was typed, and a NonCommercial row in the licence table (B1b) shows the terms check (B1c) at once."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.helpers import signed_in_new_application, wait_saved


def test_the_team_and_licence_tables_work_in_the_browser(people, staff):
    person = people("applicant")
    task_list = signed_in_new_application(person, staff["applicant2"]["email"], "Tables of team and licences")
    page = person.page

    person.visit(task_list + "/sections/G", "section-g-empty-table")
    page.get_by_label("Team member 1: Name").fill("Ada Lovelace")
    page.get_by_label("Team member 1: Role").select_option("pi")
    page.get_by_label("Team member 1: ORCID iD").fill("0000-0002-1825-0098")
    page.keyboard.press("Tab")
    expect(page.locator("#save-status")).to_contain_text("needs correcting", timeout=15000)
    expect(page.locator("#G2-error")).to_contain_text("Team member 1: enter an ORCID iD like 0000-0002-1825-0097")
    page.get_by_label("Team member 1: ORCID iD").fill("https://orcid.org/0000-0002-1825-0097")
    page.keyboard.press("Tab")
    wait_saved(page)
    expect(page.locator("#G2-error")).to_have_count(0)

    page.get_by_role("button", name="Add another row").click()
    expect(page).to_have_url(re.compile(r"/sections/G#G2-rows-end$"))
    expect(page.get_by_label("Team member 1: Name")).to_have_value("Ada Lovelace")
    expect(page.get_by_label("Team member 1: ORCID iD")).to_have_value("0000-0002-1825-0097")
    expect(page.get_by_label("Team member 2: Name")).to_have_value("")
    person.check("section-g-one-member")

    person.visit(task_list + "/sections/B")
    expect(page.locator("#q-B1c")).to_be_hidden()
    page.get_by_label("Data source 1: Data source").fill("ChEMBL")
    page.get_by_label("Data source 1: Licence").select_option("cc_by_nc")
    expect(page.locator("#q-B1c")).to_be_visible()
    page.get_by_label("Data source 1: Licence").select_option("cc_by")
    expect(page.locator("#q-B1c")).to_be_hidden()
    person.check("section-b-licence-table")

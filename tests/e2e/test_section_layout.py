"""The section page as laid out in the browser (issue 16 item 2): the save status stays in view at the top while
the questions scroll, long guidance starts folded, the form takes the page's width, and radio and checkbox
borders stand out from the page at 3:1 (WCAG 1.4.11, which axe does not check: computed colours here)."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.helpers import signed_in_new_application, wait_saved

# The colour a control is drawn on: its nearest ancestor with a background that is not transparent.
_BACKGROUND_OF = """(el) => {
  for (let up = el.parentElement; up; up = up.parentElement) {
    const colour = getComputedStyle(up).backgroundColor;
    if (colour !== 'rgba(0, 0, 0, 0)' && colour !== 'transparent') return colour;
  }
  return 'rgb(255, 255, 255)';
}"""


def _rgb(css: str) -> tuple[int, int, int]:
    red, green, blue = (int(part) for part in re.findall(r"\d+", css)[:3])
    return red, green, blue


def _luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG 2 relative luminance."""
    linear = [c / 255 / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    lighter, darker = sorted((_luminance(_rgb(first)), _luminance(_rgb(second))), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_contrast_is_computed_as_wcag_defines_it():
    assert round(contrast("rgb(108, 117, 125)", "rgb(255, 255, 255)"), 2) == 4.69
    assert round(contrast("rgb(222, 226, 230)", "rgb(255, 255, 255)"), 2) == 1.3


def _check_control_borders(page) -> None:
    for selector in ('[name="A2"][type="radio"]', '[name="A3"][type="checkbox"]', '#section-form textarea',
                     '#section-form input.form-control'):
        control = page.locator(selector).first
        expect(control).to_be_visible()
        border = control.evaluate("el => getComputedStyle(el).borderTopColor")
        background = control.evaluate(_BACKGROUND_OF)
        assert contrast(border, background) >= 3, (selector, border, background)


def _check_status_stays_in_view(page) -> None:
    status = page.locator("#save-status")
    assert status.evaluate("el => getComputedStyle(el.closest('.section-bar')).position") == "sticky"
    assert status.get_attribute("aria-live") == "polite" and status.get_attribute("role") == "status"
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    assert page.evaluate("window.scrollY") > 300, "the page is too short to scroll"
    expect(status).to_be_visible()
    box = status.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= page.viewport_size["height"], box
    # Nothing is drawn over it.
    assert status.evaluate("""(el) => { const r = el.getBoundingClientRect();
        return el.contains(document.elementFromPoint(r.left + 4, r.top + r.height / 2)); }""")


def test_the_section_page_keeps_its_save_status_in_view_and_folds_long_guidance(people, staff):
    person = people("applicant")
    task_list = signed_in_new_application(person, staff["applicant2"]["email"], "Laying out the section page")
    person.visit(task_list + "/sections/A", "section-a")
    page = person.page

    guidance = page.locator("details.guidance")
    expect(guidance).to_have_count(1)
    expect(guidance.locator("summary")).to_have_text("Guidance")
    assert guidance.evaluate("el => el.open") is False
    expect(guidance.locator(".help-text")).to_be_hidden()

    _check_control_borders(page)
    form_width = page.locator("#section-form").evaluate("el => el.getBoundingClientRect().width")
    main_width = page.locator("main").evaluate(
        "el => el.clientWidth - parseFloat(getComputedStyle(el).paddingLeft)"
        " - parseFloat(getComputedStyle(el).paddingRight)")
    assert form_width >= 0.95 * main_width, (form_width, main_width)

    page.locator("#A1b").fill("Graph networks trained on public DFT data.")
    page.keyboard.press("Tab")
    wait_saved(page)
    _check_status_stays_in_view(page)
    expect(page.locator("#save-status")).to_contain_text(re.compile(r"(All changes saved|Saved) at"))

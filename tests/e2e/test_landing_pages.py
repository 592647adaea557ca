"""Each role's landing page, the page signing in leads to, at a desktop width (1,280 px) and a phone's (375 px):
axe-clean at both, and kept as full-page screenshots (test-artifacts/screenshots/landing-<role>-<width>.png) for
anyone reviewing the layout without running the app."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import ROLE_ACCOUNTS

WIDTHS = (1280, 375)


@pytest.mark.parametrize("role", ROLE_ACCOUNTS)
def test_landing_page_at_desktop_and_phone_widths(people, staff, role):
    person = people(role)
    person.login(staff[ROLE_ACCOUNTS[role]]["email"])
    for width in WIDTHS:
        person.page.set_viewport_size({"width": width, "height": 900})
        person.check(f"landing-{width}", file=f"landing-{role}-{width}.png")

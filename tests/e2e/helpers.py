"""Helpers for the browser suite: answering sections the way a person would, and small waits."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def answer(page: Page, answers: dict[str, str | list[str]]) -> None:
    """Answer questions in order, through the visible controls (conditional questions appear as we go)."""
    for name, value in answers.items():
        controls = page.locator(f'[name="{name}"]:not([type="hidden"])')
        first = controls.first
        expect(first).to_be_visible()
        kind = first.evaluate("el => el.tagName.toLowerCase() === 'input' ? el.type : el.tagName.toLowerCase()")
        if kind in ("radio", "checkbox"):
            values = value if isinstance(value, list) else [value]
            for index in range(controls.count()):
                control = controls.nth(index)
                wanted = control.get_attribute("value") in values
                if control.is_checked() != wanted:
                    control.set_checked(wanted)
        elif kind == "select":
            first.select_option(value)
        else:
            first.fill(value)
    # Leaving the last field lets autosave see the change (it saves on change and focus-out).
    page.keyboard.press("Tab")


def wait_saved(page: Page) -> None:
    expect(page.locator("#save-status")).to_contain_text(re.compile(r"(All changes saved|Saved) at"), timeout=15000)


def continue_to(page: Page, heading: str) -> None:
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)


def mailed_link(server: dict, recipient: str, path: str) -> str:
    """The link to `path` in the newest mail to `recipient`, read from the server's development outbox (which
    keeps bodies whole; see app/core/mail.py). Waits briefly: the mail is written after the response."""
    import sqlite3
    import time

    database = server["instance"] / "e2e.sqlite3"
    deadline = time.monotonic() + 10
    while True:
        with sqlite3.connect(database) as connection:
            row = connection.execute(
                "SELECT body FROM outbox_message WHERE recipient = ? ORDER BY id DESC LIMIT 1", (recipient,)
            ).fetchone()
        match = re.search(rf"https?://[^/\s]+({re.escape(path)}\S+)", row[0]) if row else None
        if match:
            return match.group(1)
        assert time.monotonic() < deadline, f"no mail to {recipient} with a {path} link"
        time.sleep(0.1)


def new_application(person, title: str) -> str:
    """Start an application from "Start a new application"; the URL of its task list."""
    page = person.page
    person.visit("/applications/new")
    page.get_by_label("Project title").fill(title)
    page.get_by_role("button", name="Start application").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    return page.url


def signed_in_new_application(person, email: str, title: str) -> str:
    """`person` signs in as `email` and starts an application; the URL of its task list."""
    person.login(email)
    return new_application(person, title)

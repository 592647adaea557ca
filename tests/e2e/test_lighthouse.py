"""Lighthouse 12.2.3 (tests/e2e/node_modules, from npm) on Debian's Chromium scores the page each role lands on
after signing in: under 100 for accessibility or 95 for best practices fails, naming the audits that lost points.
One page per role keeps the run to a few minutes. The JSON reports land in test-artifacts/lighthouse/. Without
the lighthouse command the test is skipped, except under CI=true, where that is a failure (as for Chromium)."""
from __future__ import annotations

import json
import subprocess

import pytest

from tests.e2e.conftest import ARTIFACTS, CHROMIUM, E2E_DIR, IN_CI, ROLE_ACCOUNTS

LIGHTHOUSE = E2E_DIR / "node_modules" / ".bin" / "lighthouse"
REPORTS = ARTIFACTS / "lighthouse"
FLOORS = {"accessibility": 100, "best-practices": 95}
# The security officer lands on the same page as a reviewer (My reviews), so is left out to save a minute.
ROLES = ("applicant", "reviewer", "chair", "coordinator", "admin")


@pytest.fixture(scope="module")
def lighthouse() -> str:
    if not LIGHTHOUSE.exists():
        reason = f"{LIGHTHOUSE} is not installed (run `make e2e` or npm install in tests/e2e)"
        pytest.fail(f"CI=true and Lighthouse cannot run: {reason}") if IN_CI else pytest.skip(reason)
    return str(LIGHTHOUSE)


def _audit(lighthouse: str, url: str, cookies: str, report: str) -> dict:
    REPORTS.mkdir(parents=True, exist_ok=True)
    path = REPORTS / f"{report}.json"
    result = subprocess.run(
        [lighthouse, url, f"--chrome-path={CHROMIUM}", "--only-categories=accessibility,best-practices",
         "--output=json", f"--output-path={path}", "--chrome-flags=--headless=new --no-sandbox",
         f"--extra-headers={json.dumps({'Cookie': cookies})}", "--quiet"],
        capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, f"lighthouse failed on {url}:\n{result.stderr[-3000:]}"
    return json.loads(path.read_text(encoding="utf-8"))


def _shortfalls(lhr: dict) -> list[str]:
    """Each category under its floor, with the audits in it that did not score full marks."""
    problems = []
    for category, floor in FLOORS.items():
        score = round(lhr["categories"][category]["score"] * 100)
        if score >= floor:
            continue
        failing = [ref["id"] for ref in lhr["categories"][category]["auditRefs"]
                   if ref["weight"] and lhr["audits"][ref["id"]]["score"] not in (None, 1)]
        audits = "; ".join(f"{name}: {lhr['audits'][name]['title']}" for name in failing)
        problems.append(f"{category} {score} (under {floor}): {audits}")
    return problems


@pytest.mark.parametrize("role", ROLES)
def test_lighthouse_scores_each_roles_landing_page(people, staff, lighthouse, role):
    person = people(role)
    person.login(staff[ROLE_ACCOUNTS[role]]["email"])
    url = person.page.url
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in person.context.cookies())
    lhr = _audit(lighthouse, url, cookies, f"landing-{role}")
    assert lhr["finalDisplayedUrl"] == url, f"Lighthouse was sent to {lhr['finalDisplayedUrl']}, not {url}"
    problems = _shortfalls(lhr)
    assert not problems, f"Lighthouse on the {role}'s landing page ({url}):\n" + "\n".join(problems)

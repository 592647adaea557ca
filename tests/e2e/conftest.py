"""The browser suite: the app served by gunicorn on 127.0.0.1 with a fresh database, driven by Playwright in
Debian's headless Chromium (/usr/bin/chromium; Playwright never downloads a browser here).

Every page a test visits goes through `Browse.visit()`/`Browse.check()`: axe-core (tests/e2e/node_modules, from
npm) runs the WCAG 2.0/2.1/2.2 A and AA rules and any violation fails the test; the page is then laid out 320 px
wide and must not scroll sideways (WCAG 1.4.10 Reflow, which axe cannot check); a screenshot is saved to
test-artifacts/screenshots/. Without /usr/bin/chromium the tests are skipped, except under CI=true, where that
is a failure.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
E2E_DIR = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("CRUCIBLE_CHROMIUM", "/usr/bin/chromium")
AXE_JS = E2E_DIR / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
IN_CI = os.environ.get("CI", "").lower() == "true"
TIMINGS = {"axe": 0.0, "reflow": 0.0, "screenshot": 0.0}
# WCAG 1.4.10: content reflows at 320 CSS px (1,280 px at 400 % zoom) without scrolling in two directions.
REFLOW_WIDTH = 320
PASSWORD = "e2e-Journey-password-7341"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

# People the journey needs besides the applicant, who registers in the browser.
STAFF = {
    "coordinator": ("coordinator@e2e.example.ac.uk", "Cora Coordinator", ("coordinator",)),
    "reviewer": ("reviewer@e2e.example.ac.uk", "Rhys Reviewer", ("reviewer",)),
    "reviewer2": ("reviewer2@e2e.example.ac.uk", "Rosa Reviewer", ("reviewer",)),
    "chair": ("chair@e2e.example.ac.uk", "Chen Chair", ("chair", "reviewer")),
    "security": ("security@e2e.example.ac.uk", "Sami Security", ("security_officer",)),
    "admin": ("admin@e2e.example.ac.uk", "Alex Admin", ("admin",)),
    "applicant2": ("applicant2@e2e.example.ac.uk", "Ada Applicant", ()),
    "colleague": ("colleague@e2e.example.ac.uk", "Cole Colleague", ()),
    # Sets up two-step sign-in, so no other test signs in as this person.
    "coordinator2": ("coordinator2@e2e.example.ac.uk", "Tove Twostep", ("coordinator",)),
}

# Each role and the account that signs in with it (the applicant's has no role, only its own applications).
ROLE_ACCOUNTS = {"applicant": "applicant2", "reviewer": "reviewer", "security-officer": "security", "chair": "chair",
                 "coordinator": "coordinator", "admin": "admin"}


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is not installed (apt-get install -y chromium)"
    try:
        import playwright  # noqa: F401 - imported only to learn whether it is installed
    except ImportError:
        return "the playwright package is not installed (pip install -r requirements-dev.txt)"
    if not AXE_JS.exists():
        return f"axe-core is not installed ({AXE_JS}; run `make e2e` or npm install in tests/e2e)"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _missing()
    if reason is None or IN_CI:
        return  # in CI a missing piece fails in the fixtures below instead of skipping
    marker = pytest.mark.skip(reason=f"browser tests skipped: {reason}")
    for item in items:
        if Path(str(item.fspath)).is_relative_to(E2E_DIR):
            item.add_marker(marker)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAIL_", "S3_", "SIGNING_"))}
    for name in ("DATABASE_URL", "REDIS_URL", "ARCHIVE_DIR", "ARCHIVE_BACKEND", "SESSION_COOKIE_SECURE"):
        env.pop(name, None)
    env.update({
        "CRUCIBLE_ENV": "development",
        "INSTANCE_DIR": str(instance),
        "DATABASE_URL": f"sqlite:///{instance / 'e2e.sqlite3'}",
        "SECRET_KEY": "e2e-secret-key-not-for-production",
        "ASSESSMENT_AUTO_RENDER": "1",
        "PYTHONUNBUFFERED": "1",
    })
    return env


def _run(args: list[str], env: dict, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """A real server on a free 127.0.0.1 port: migrations, development signing certificates, staff accounts."""
    reason = _missing()
    if reason:
        pytest.fail(f"CI=true and the browser suite cannot run: {reason}") if IN_CI else pytest.skip(reason)
    instance = tmp_path_factory.mktemp("e2e-instance")
    env = _server_env(instance)
    bin_dir = Path(sys.executable).parent
    flask = [str(bin_dir / "flask"), "--app", "wsgi"]
    _run([*flask, "db", "upgrade"], env)
    # Then the development signing certificates and the accounts, through the same `flask dev-certs` and
    # `flask create-user` commands (which asks for the password twice), in one process: each start of the
    # flask command costs seconds.
    script = (
        "import json, sys\n"
        "from app import create_app\n"
        "app = create_app()\n"
        "cli = app.test_cli_runner()\n"
        "def run(args, input=None):\n"
        "    result = cli.invoke(args=args, input=input)\n"
        "    if result.exit_code:\n"
        "        sys.exit(f'{args}: {result.output}')\n"
        "run(['dev-certs'])\n"
        "for email, name, roles in json.loads(sys.argv[1]):\n"
        "    run(['create-user', email, '--name', name, *[f'--role={r}' for r in roles]],\n"
        "        input=f'{sys.argv[2]}\\n{sys.argv[2]}\\n')\n"
    )
    _run([sys.executable, "-c", script, json.dumps(list(STAFF.values())), PASSWORD], env)

    port = _free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # The server has its own copy of the log's descriptor: this process's is closed once the server is started.
    with open(ARTIFACTS / "e2e-server.log", "w") as log:
        process = subprocess.Popen(
            [str(bin_dir / "gunicorn"), "--workers", "2", "--threads", "4", "--timeout", "120", "--preload",
             "--access-logfile", "-", "--access-logformat", "%(m)s %(U)s %(s)s %(L)ss",
             "--bind", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}); see {ARTIFACTS / 'e2e-server.log'}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            process.terminate()
            raise RuntimeError("the server did not answer on /login within 60 s")
        time.sleep(0.2)
    yield {"base_url": base_url, "instance": instance}
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def browser():
    reason = _missing()
    if reason:
        pytest.fail(f"CI=true and the browser suite cannot run: {reason}") if IN_CI else pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


@pytest.fixture(scope="session", autouse=True)
def _fresh_screenshots():
    if SCREENSHOTS.exists() and not os.environ.get("PYTEST_XDIST_WORKER"):
        shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    yield


class Browse:
    """One person's browser (a Playwright context and page), with accessibility checks on every page visited."""

    def __init__(self, browser, server, axe_source, label: str, test_name: str, **context_options):
        options = {"base_url": server["base_url"], "viewport": {"width": 1280, "height": 900},
                   "locale": "en-GB", "timezone_id": "Europe/London", "accept_downloads": True}
        options.update(context_options)
        self.context = browser.new_context(**options)
        self.context.set_default_timeout(15000)
        self.page = self.context.new_page()
        self.label = label
        self.test_name = test_name
        self.axe_source = axe_source
        self.javascript = options.get("java_script_enabled", True)
        self.base_url = server["base_url"]
        self._helper = None
        self.checked: list[str] = []
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"JavaScript error: {error}"))

    def _console(self, message) -> None:
        if message.type == "error" and ("Content Security Policy" in message.text or "Refused to" in message.text):
            self.problems.append(f"CSP: {message.text}")

    # -- navigation
    def visit(self, path: str, name: str | None = None, *, axe: bool = True):
        response = self.page.goto(path)
        if name:
            self.check(name, axe=axe)
        return response

    def check(self, name: str, *, axe: bool = True, file: str | None = None) -> None:
        """Axe (WCAG 2.2 A/AA) on the page as it is now, no sideways scrolling at 320 px, and a screenshot (named
        after the test and the step, or `file` in the screenshots folder)."""
        self.page.wait_for_load_state("load")
        started = time.monotonic()
        self.screenshot(name, file)
        TIMINGS["screenshot"] += time.monotonic() - started
        if axe:
            started = time.monotonic()
            violations = self.axe()
            TIMINGS["axe"] += time.monotonic() - started
            assert not violations, f"axe violations on {name} ({self.page.url}):\n" + "\n".join(violations)
            started = time.monotonic()
            overflow = self.reflow()
            TIMINGS["reflow"] += time.monotonic() - started
            assert not overflow, f"{name} ({self.page.url}) scrolls sideways at {REFLOW_WIDTH} px:\n{overflow}"
        assert not self.problems, "\n".join(self.problems)
        self.checked.append(name)

    def screenshot(self, name: str, file: str | None = None) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", f"{self.test_name}-{len(self.checked) + 1:02d}-{self.label}-{name}".lower())
        self.page.screenshot(path=str(SCREENSHOTS / (file or f"{slug.strip('-')}.png")), full_page=True)

    def reflow(self) -> str:
        """What makes the page wider than REFLOW_WIDTH, or "" when it fits. A wide table or chart may scroll
        inside its own wrapper (the exception 1.4.10 allows); the page itself must not."""
        page = self._checkable_page()
        size = page.viewport_size or {"width": 1280, "height": 900}
        page.set_viewport_size({"width": REFLOW_WIDTH, "height": size["height"]})
        try:
            return page.evaluate(
                """() => {
                  const root = document.documentElement;
                  if (root.scrollWidth <= root.clientWidth) return "";
                  const limit = root.clientWidth + 1;
                  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                    + (el.classList.length ? '.' + [...el.classList].join('.') : '');
                  // What sticks out: the outermost elements whose parent fits, leaving out those inside a
                  // scrolling wrapper, except positioned ones, which escape a wrapper that is not their
                  // containing block.
                  const escapes = (el) => ['absolute', 'fixed'].includes(getComputedStyle(el).position);
                  const scrolled = (el) => {
                    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
                      if (getComputedStyle(up).overflowX !== 'visible') return true;
                    }
                    return false;
                  };
                  const culprits = [...document.body.querySelectorAll('*')].filter((el) => {
                    if (el.getBoundingClientRect().right <= limit) return false;
                    if (escapes(el)) return true;
                    return !scrolled(el) && el.parentElement.getBoundingClientRect().right <= limit;
                  });
                  return `document ${root.scrollWidth} px wide: ` + culprits.slice(0, 8).map((el) =>
                    `${describe(el)} (right edge ${Math.round(el.getBoundingClientRect().right)} px)`).join('; ');
                }"""
            )
        finally:
            page.set_viewport_size(size)

    def _checkable_page(self):
        """The page itself, or with JavaScript switched off a helper page (same origin) holding its HTML."""
        page = self.page
        if not self.javascript:
            # axe is JavaScript: with it switched off here, check the same HTML in a helper page that has it.
            # Its scripts are left out so the page stays exactly as a browser without JavaScript shows it, and
            # it is written into a page of the same origin (the app sends Cross-Origin-Resource-Policy).
            html = re.sub(r"<script\b[^>]*\bsrc=[^>]*>\s*</script>", "", page.content())
            if self._helper is None:
                self._helper = self.context.browser.new_context(
                    base_url=self.base_url, viewport=self.page.viewport_size, bypass_csp=True).new_page()
                self._helper.goto("/static/css/crucible.css")
            self._helper.set_content(html, wait_until="load")
            page = self._helper
        return page

    def axe(self) -> list[str]:
        page = self._checkable_page()
        if not page.evaluate("() => typeof window.axe === 'object'"):
            # Evaluated rather than added as a <script>, so the app's Content-Security-Policy stays as it is.
            page.evaluate(self.axe_source + "\n;undefined")
        # From the top of the page: axe's target-size treats a sticky bar (the section page's) as if it sat where
        # it is drawn, so controls scrolled under it count as covered (dequelabs/axe-core#3720).
        # "instant": Bootstrap makes scrolling smooth, and axe would run while the page is still moving.
        scrolled = page.evaluate(
            "() => { const y = window.scrollY; window.scrollTo({top: 0, behavior: 'instant'}); return y; }")
        result = page.evaluate(
            "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"
            ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: '"
            " + n.failureSummary.replace(/\\n/g, ' '))})))",
            AXE_TAGS,
        )
        page.evaluate("(y) => window.scrollTo({top: y, behavior: 'instant'})", scrolled)
        return [f"- {v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in result]

    # -- people
    def login(self, email: str, password: str = PASSWORD, *, check: bool = False) -> None:
        self.visit("/login", "sign-in" if check else None)
        self.page.get_by_label("Email address").fill(email)
        self.page.get_by_label("Password", exact=True).fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url(lambda url: "/login" not in url)

    def close(self) -> None:
        if self._helper is not None:
            self._helper.context.close()
        self.context.close()


@pytest.fixture
def people(request, browser, server, axe_source):
    """Open browsers for several people: `people("applicant")`, `people("mobile", viewport=...)`."""
    opened: list[Browse] = []
    test_name = re.sub(r"^test_", "", request.node.name)

    def open_browser(label: str, **options) -> Browse:
        person = Browse(browser, server, axe_source, label, test_name, **options)
        opened.append(person)
        return person

    yield open_browser
    report = getattr(request.node, "rep_call", None)
    for person in opened:
        if report is not None and report.failed:
            # A page that cannot be photographed must not hide the failure.
            with contextlib.suppress(Exception):
                person.screenshot("failed")
        person.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def staff():
    return {key: {"email": email, "name": name} for key, (email, name, _roles) in STAFF.items()}


def pytest_terminal_summary(terminalreporter):
    if any(TIMINGS.values()):
        terminalreporter.write_line(
            f"browser suite: axe {TIMINGS['axe']:.1f} s, reflow {TIMINGS['reflow']:.1f} s, "
            f"screenshots {TIMINGS['screenshot']:.1f} s "
            f"(screenshots in {SCREENSHOTS.relative_to(ROOT)}/)")


# An application put in review directly through the services, for tests about one committee page rather than the
# journey to it: owned by applicant2, the reviewer and reviewer2 assigned by the coordinator, each declared free
# of any conflict of interest.
_IN_REVIEW_SCRIPT = """
import sys
from app import create_app
from app.auth.models import find_user_by_email
from app.demo.accounts import LOW_RISK_ANSWERS
from app.extensions import db
from app.reviews import services as reviews
from app.submissions import services as submissions

app = create_app()
with app.app_context():
    owner, coordinator = find_user_by_email(sys.argv[2]), find_user_by_email(sys.argv[3])
    reviewers = [find_user_by_email(email) for email in sys.argv[4:]]
    submission = submissions.create_submission(owner, sys.argv[1], questionnaire_version=1)
    for section_id, values in LOW_RISK_ANSWERS.items():
        submissions.save_section(submission, section_id, {**values, "__present__": list(values)}, owner,
                                 check_required=False)
    submissions.submit(submission, owner)
    for reviewer in reviewers:
        reviews.assign(submission, coordinator, reviewer.id)
    reviews.start_review(submission, coordinator)
    for reviewer in reviewers:
        reviews.declare_interest(reviews.my_assignment(reviewer, submission), reviewer, has_conflict=False,
                                 statement="")
    print(submission.id)
"""


def application_in_review(server, title: str) -> int:
    """The id of a new application in review (see _IN_REVIEW_SCRIPT), made in the server's database."""
    emails = [STAFF[key][0] for key in ("applicant2", "coordinator", "reviewer", "reviewer2")]
    result = _run([sys.executable, "-c", _IN_REVIEW_SCRIPT, title, *emails], _server_env(server["instance"]))
    return int(result.stdout.strip().splitlines()[-1])

"""The whole journey in a real browser: an applicant registers, answers every section (dual use High: energetic
materials under a control-list entry) and submits; the coordinator triages, assigns two reviewers and the
security officer; reviewers declare no conflict, comment and recommend; the security officer signs off on the
sign-off form (classification, licence, Trusted Research outcome); the chair, held back until then, reads the
sign-off and asks for changes; the applicant answers, revises and resubmits; the reviewer sees the diff and the
security officer signs off the new round; the chair approves with a condition; the condition is met with
evidence; the signed PDF is downloaded and verified by its owner and by someone without an account. axe runs on
every page visited."""
from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD
from tests.e2e.helpers import answer, continue_to, mailed_link, wait_saved
from tests.helpers import LOW_RISK_ANSWERS

TITLE = "Graph networks for perovskite band gaps"
APPLICANT = {"name": "Priya Applicant", "email": "priya@e2e.example.ac.uk", "department": "Department of Materials"}


def test_whole_journey(people, staff, server, tmp_path):
    applicant = people("applicant")
    page = applicant.page

    # ---- register
    applicant.visit("/register", "register")
    page.get_by_label("Full name").fill(APPLICANT["name"])
    page.get_by_label("Email address").fill(APPLICANT["email"])
    page.get_by_label("Department (optional)").fill(APPLICANT["department"])
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("status").filter(has_text="We have sent a link")).to_be_visible()
    applicant.visit(mailed_link(server, APPLICANT["email"], "/register/confirm/"), "register-confirm")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("status").filter(has_text="Your account is ready")).to_be_visible()
    applicant.check("dashboard-empty")

    # ---- start an application
    page.get_by_role("link", name=re.compile("Start a new application")).first.click()
    applicant.check("new-application")
    page.get_by_label("Project title").fill(TITLE)
    page.get_by_role("button", name="Start application").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator("#overall-progress")).to_have_attribute("value", "0")
    applicant.check("task-list-empty")
    task_list_url = page.url
    submission_id = int(task_list_url.rstrip("/").split("/")[-1])

    # ---- section A: conditional questions appear as they become relevant; autosave survives a reload
    page.get_by_role("link", name="Project context").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Project context")
    expect(page.get_by_label(re.compile("Describe the role of machine learning"))).to_be_hidden()
    section_a = dict(LOW_RISK_ANSWERS["A"])
    section_a["A2"] = "other"
    section_a["A2a"] = "Active learning loop that chooses the next DFT calculation."
    section_a["A4"] = "yes"
    section_a["A4a"] = "- Universität Beispiel, Germany"
    answer(page, {k: section_a[k] for k in ("A1", "A1b", "A2")})
    expect(page.get_by_label(re.compile("Describe the role of machine learning"))).to_be_visible()
    answer(page, {k: section_a[k] for k in ("A2a", "A3", "A4")})
    expect(page.get_by_label(re.compile("List every partner institution"))).to_be_visible()
    answer(page, {"A4a": section_a["A4a"]})
    answer(page, {k: v for k, v in section_a.items() if k not in ("A1", "A1b", "A2", "A2a", "A3", "A4", "A4a")})
    wait_saved(page)
    applicant.check("section-a-saved")
    page.reload()
    expect(page.get_by_label(re.compile("Describe the role of machine learning"))).to_have_value(section_a["A2a"])
    expect(page.get_by_label(re.compile("List every partner institution"))).to_have_value(section_a["A4a"])
    expect(page.locator("#A1b")).to_have_value(section_a["A1b"])
    continue_to(page, "Data provenance and FAIR data")

    # ---- section B, C
    answer(page, LOW_RISK_ANSWERS["B"])
    applicant.check("section-b")
    continue_to(page, "Dual use and security")
    # Partners abroad (A4) make the Trusted Research question (C10) required; energetic materials (C1) with a
    # self-classified control-list entry (C6) make dual use High, which asks for the security sign-off.
    answer(page, {**LOW_RISK_ANSWERS["C"], "C1": ["energetic"], "C6": "yes",
                  "C6a": "Self-classified under UK Military List ML8 with the export control office.",
                  "C6b": "neither", "C6c": "no", "C6d": "no",
                  "C10": "yes", "C11": "Generated candidates are screened and never released; access is logged."})
    continue_to(page, "Generative models, foundation models and language models")
    answer(page, LOW_RISK_ANSWERS["H"])
    continue_to(page, "Environmental cost")

    # ---- section D: footprint stages, live figures, a validation error recovered without losing text
    applicant.check("section-d-empty")
    stage = {k: v for k, v in LOW_RISK_ANSWERS["D"].items() if k.startswith("D1-0-")}
    answer(page, stage)
    statement = page.locator("#footprint-statement")
    expect(statement.locator('[data-fp="carbon"]')).to_have_text("3.31 kg CO2e")
    page.get_by_role("button", name="Add another stage").click()
    expect(page.locator('[data-stage]')).to_have_count(2)
    expect(page.locator("#D1-1-name")).to_be_focused()
    reasons = "We fine-tune a pre-trained model and stop early when the validation loss stops improving."
    answer(page, {"D1-1-name": "Screening", "D1-1-hardware": "a100_pcie_80gb", "D1-1-count": "2",
                  "D1-1-hours": "ten", "D1-1-memory_gb": "32", "D1-1-platform": "local_server", "D2": reasons})
    page.get_by_role("button", name="Save and continue").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    applicant.check("section-d-error")
    expect(page.locator("#D2")).to_have_value(reasons)
    expect(page.locator("#D1-1-name")).to_have_value("Screening")
    summary.get_by_role("link").first.click()
    expect(page.locator("#D1-1-hours")).to_be_focused()
    page.locator("#D1-1-hours").fill("20")
    expect(statement.locator('[data-fp="dominant"]')).to_contain_text("Screening")
    continue_to(page, "People and society")

    # ---- E, F, G
    answer(page, LOW_RISK_ANSWERS["E"])
    continue_to(page, "Open science")
    answer(page, LOW_RISK_ANSWERS["F"])
    continue_to(page, "Declaration")
    # The team table: the first member, then "Add another row" (a submit button that saves) for the second.
    declaration = {name: value for name, value in LOW_RISK_ANSWERS["G"].items() if not name.startswith("G2-1-")}
    answer(page, declaration)
    page.get_by_role("button", name="Add another row").click()
    expect(page.get_by_label("Team member 1: Name")).to_have_value(str(LOW_RISK_ANSWERS["G"]["G2-0-name"]))
    answer(page, {name: value for name, value in LOW_RISK_ANSWERS["G"].items() if name.startswith("G2-1-")})
    page.get_by_role("button", name="Save and continue").click()

    # ---- check answers, submit
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    applicant.check("check-answers")
    page.get_by_role("button", name="Submit application").click()
    expect(page.get_by_role("status").filter(has_text="Application submitted as")).to_be_visible()
    reference = re.search(r"ETH-\d{4}-\d{4}", page.get_by_role("status").first.inner_text()).group(0)
    expect(page.locator("#overall-progress")).to_have_attribute("value", "8")
    expect(page.get_by_text("with a security sign-off (export control and Trusted Research)")).to_be_visible()
    applicant.check("task-list-submitted")

    # ---- coordinator: queue (filter without reload), triage, assign two reviewers, start
    coordinator = people("coordinator")
    cpage = coordinator.page
    coordinator.login(staff["coordinator"]["email"])
    coordinator.visit("/review/queue", "queue")
    cpage.evaluate("window.__sameDocument = true")
    cpage.get_by_label("Search reference or title").fill("no such application")
    expect(cpage.locator("#queue-results")).to_contain_text("No applications match")
    cpage.get_by_label("Search reference or title").fill(reference)
    expect(cpage.locator("#queue-results tbody tr")).to_have_count(1)
    expect(cpage.locator("#queue-results tbody tr")).to_contain_text(APPLICANT["department"])
    cpage.get_by_role("link", name=re.compile("^Reference")).click()
    expect(cpage.locator("th[aria-sort='ascending']")).to_contain_text("Reference")
    expect(cpage.get_by_role("link", name=re.compile("^Reference"))).to_be_focused()
    expect(cpage).to_have_url(re.compile(r"sort=reference"))
    assert cpage.evaluate("window.__sameDocument") is True, "filtering reloaded the page"
    coordinator.check("queue-filtered")
    cpage.get_by_role("link", name=reference).click()
    coordinator.check("triage")
    for person in ("reviewer", "reviewer2"):
        cpage.get_by_label("Reviewer", exact=True).select_option(label=staff[person]["name"])
        cpage.get_by_role("button", name="Assign", exact=True).click()
        expect(cpage.get_by_role("status").filter(has_text=f"{staff[person]['name']} assigned")).to_be_visible()
    cpage.get_by_label("Security officer", exact=True).select_option(label=staff["security"]["name"])
    cpage.get_by_role("button", name="Assign security officer").click()
    expect(cpage.get_by_role("status").filter(has_text=f"{staff['security']['name']} assigned")).to_be_visible()
    cpage.get_by_role("button", name="Start review").click()
    expect(cpage.get_by_role("status").filter(has_text="Review has started")).to_be_visible()
    coordinator.check("triage-started")

    # ---- reviewers: no conflict, a comment on one answer, a recommendation
    reviewer = people("reviewer")
    reviewer2 = people("reviewer2")
    comment = "Please give the exact Materials Project release and the query used."
    for who, person, recommendation in ((reviewer, "reviewer", "Changes requested"),
                                        (reviewer2, "reviewer2", "Changes requested")):
        who.login(staff[person]["email"])
        who.visit("/review/mine", "my-reviews")
        who.page.get_by_role("link", name=reference).click()
        who.check("conflict-declaration")
        who.page.get_by_label("No, I have no conflict of interest").check()
        who.page.get_by_role("button", name="Confirm declaration").click()
        expect(who.page.get_by_role("heading", level=1)).to_have_text(TITLE)
        if person == "reviewer":
            who.check("review-application")
            # The link opens the page's one comment form in place (comments.js), with the cursor in it.
            who.page.locator("#q-B4").get_by_role("link", name="Comment on B4").click()
            expect(who.page.get_by_label("Comment on B4")).to_be_focused()
            who.page.keyboard.type(comment)
            who.page.locator("#q-B4").get_by_role("button", name="Add comment").click()
            expect(who.page.locator("#q-B4 .comment-body")).to_contain_text("exact Materials Project release")
        who.page.get_by_label(recommendation).check()
        who.page.get_by_label("Summary of your reasons").fill("The provenance record needs the release and query.")
        who.page.get_by_role("button", name="Record recommendation").click()
        expect(who.page.get_by_role("status").filter(has_text="recommendation has been recorded")).to_be_visible()
    reviewer.check("review-recommended")

    # ---- chair: held back until the security officer has signed off
    chair = people("chair")
    chair.login(staff["chair"]["email"])
    chair.visit("/review/chair", "chair-queue")
    chair.page.get_by_role("link", name=reference).click()
    expect(chair.page.get_by_role("status").filter(has_text="the security officer must sign off")).to_be_visible()
    chair.check("decide-waiting-for-sign-off")

    # ---- security officer: no conflict, then the sign-off; a missing condition is refused beside its field
    security = people("security")
    security.login(staff["security"]["email"])
    security.visit("/review/mine", "security-my-reviews")
    expect(security.page.get_by_role("row").filter(has_text=reference)).to_contain_text("Security sign-off")
    security.page.get_by_role("link", name=reference).click()
    security.page.get_by_label("No, I have no conflict of interest").check()
    security.page.get_by_role("button", name="Confirm declaration").click()
    expect(security.page.get_by_role("heading", name="Your security sign-off")).to_be_visible()
    security.check("sign-off-form")
    security_conditions = "Candidate structures stay on the university's secure research server."
    _sign_off(security.page, entry="ml8", trusted_research="Concerns mitigated by the conditions")
    expect(security.page.locator("#conditions-error")).to_contain_text("List the conditions")
    expect(security.page.get_by_label("Control-list entry (when listed)")).to_have_value("ml8")
    security.check("sign-off-refused")
    security.page.get_by_label("Conditions", exact=True).fill(security_conditions)
    security.page.get_by_role("button", name="Record sign-off").click()
    expect(security.page.get_by_role("status").filter(has_text="security sign-off has been recorded")).to_be_visible()
    expect(security.page.get_by_label("Control-list entry (when listed)")).to_have_value("ML8")
    security.check("signed-off")

    # ---- chair: reads the sign-off beside the recommendations; changes requested, signed with the password
    chair.visit(f"/review/applications/{submission_id}/decide")
    signoff = chair.page.get_by_role("region", name=f"Security sign-off by {staff['security']['name']}")
    for fact in ("ML8", "Not needed", "Concerns mitigated by the conditions", security_conditions):
        expect(signoff).to_contain_text(fact)
    expect(chair.page.get_by_role("status").filter(has_text="Not ready for a decision")).to_have_count(0)
    chair.check("decide")
    _decide(chair.page, "Revise and resubmit", "Answer the reviewers' comment on the data provenance.")
    chair.check("decided-changes")

    # ---- applicant: reads the decision, answers the comment, revises, resubmits
    applicant.visit(task_list_url, "task-list-changes-requested")
    page.get_by_role("link", name="Read the decision and comments").click()
    expect(page.get_by_role("heading", name=re.compile("Round 1: Revise and resubmit"))).to_be_visible()
    applicant.check("feedback-round-1")
    page.get_by_label("Your answer").first.fill("Release v2023.11.1; the query is now recorded in B4.")
    page.get_by_role("button", name="Send answer").first.click()
    expect(page.get_by_role("status").filter(has_text="answer has been sent")).to_be_visible()
    page.get_by_role("link", name="Revise your answers").click()
    page.get_by_role("link", name="Data provenance and FAIR data").click()
    revised = "Materials Project database v2023.11.1 (doi:10.1063/1.4812323), query: band_gap > 0, ABX3 perovskites."
    page.locator("#B4").fill(revised)
    page.get_by_role("button", name="Save as draft").click()
    expect(page.get_by_role("status").filter(has_text="Your answers have been saved")).to_be_visible()
    applicant.visit(f"/applications/{submission_id}/check", "check-answers-round-2")
    page.get_by_role("button", name="Submit application").click()
    expect(page.get_by_role("status").filter(has_text="round 2")).to_be_visible()

    # ---- round 2 goes straight back to the same reviewers; the reviewer sees the diff and recommends
    reviewer.visit("/review/mine")
    reviewer.page.get_by_role("link", name=reference).click()
    reviewer.page.get_by_role("link", name="Changes since round 1").click()
    changed = reviewer.page.locator("tr.table-warning")
    expect(changed).to_have_count(1)
    expect(changed.locator("ins")).to_contain_text("query: band_gap > 0")
    reviewer.check("diff")
    reviewer.page.get_by_role("link", name="Answers and comments").click()
    # The applicant answered the thread on B4: the reviewer closes it (the page's one resolve form).
    reviewer.page.locator("#q-B4").get_by_role("button", name="Mark resolved").click()
    expect(reviewer.page.get_by_role("status").filter(has_text="Thread marked resolved")).to_be_visible()
    expect(reviewer.page.locator("#q-B4 .badge").filter(has_text="Resolved")).to_be_visible()
    reviewer.page.get_by_label("Approve with conditions").check()
    reviewer.page.get_by_label("Summary of your reasons").fill("Provenance is now complete.")
    reviewer.page.get_by_role("button", name=re.compile("(Record|Update) recommendation")).click()
    expect(reviewer.page.get_by_role("status").filter(has_text="recommendation has been recorded")).to_be_visible()
    # A High tier goes to the full committee, which needs both reviewers' recommendations in each round.
    reviewer2.visit("/review/mine")
    reviewer2.page.get_by_role("link", name=reference).click()
    reviewer2.page.get_by_label("Approve", exact=True).check()
    reviewer2.page.get_by_label("Summary of your reasons").fill("The revised provenance answers my concern.")
    reviewer2.page.get_by_role("button", name=re.compile("(Record|Update) recommendation")).click()
    expect(reviewer2.page.get_by_role("status").filter(has_text="recommendation has been recorded")).to_be_visible()
    # The security officer signs off the new round (their declaration stands): no concerns left.
    security.visit("/review/mine")
    security.page.get_by_role("link", name=reference).click()
    _sign_off(security.page, entry="ML8", trusted_research="No concerns")
    expect(security.page.get_by_role("status").filter(has_text="security sign-off has been recorded")).to_be_visible()
    security.check("signed-off-round-2")

    # ---- chair approves with a condition
    chair.visit(f"/review/applications/{submission_id}/decide")
    condition = "Deposit the trained model in NOMAD before publication."
    # An approval ending in the past is refused beside its field; what was typed stays.
    _fill_decision(chair.page, "Approved with conditions", "Approved.", conditions=condition, valid_until="2020-01-31")
    chair.page.get_by_role("button", name="Sign and record decision").click()
    expect(chair.page.locator("#valid_until-error")).to_contain_text("The approval cannot end in the past")
    expect(chair.page.get_by_label(re.compile("^Conditions"))).to_have_value(condition)
    chair.check("decide-date-refused")
    _decide(chair.page, "Approved with conditions", "Approved.", conditions=condition,
            valid_until=(date.today() + timedelta(days=730)).isoformat())

    # ---- the applicant is prompted to report the condition; an empty report is refused beside the field
    applicant.visit(task_list_url, "task-list-conditions")
    page.get_by_role("link", name="Report the conditions").click()
    page.get_by_role("button", name="Report condition 1 as met").click()
    expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_be_visible()
    applicant.check("feedback-condition-refused")
    page.get_by_label("How condition 1 was met").fill("Deposited.")
    page.get_by_role("button", name="Report condition 1 as met").click()
    expect(page.get_by_role("status").filter(has_text="research office will confirm")).to_be_visible()
    # ---- the coordinator sends it back with a reason; the applicant reads it and reports again
    coordinator.visit(f"/review/applications/{submission_id}/triage", "triage-conditions")
    cpage.get_by_text("Send back to the applicant").click()
    cpage.get_by_label("Why condition 1 is sent back").fill("Give the NOMAD upload id.")
    coordinator.check("triage-send-back")
    cpage.get_by_role("button", name="Send back condition 1").click()
    expect(cpage.get_by_role("status").filter(has_text="Condition sent back")).to_be_visible()
    applicant.visit(f"/applications/{submission_id}/feedback", "feedback-sent-back")
    expect(page.get_by_text("Give the NOMAD upload id.")).to_be_visible()
    page.get_by_label("How condition 1 was met").fill("Deposited: NOMAD upload 7f3a.")
    page.get_by_role("button", name="Report condition 1 as met").click()
    expect(page.get_by_role("status").filter(has_text="research office will confirm")).to_be_visible()
    coordinator.visit(f"/review/applications/{submission_id}/triage", "triage-conditions-reported")
    cpage.get_by_role("button", name="Confirm met").click()
    expect(cpage.get_by_role("status").filter(has_text="application is approved")).to_be_visible()

    # ---- the signed PDF: found from the task list, downloaded, verified
    applicant.visit(task_list_url, "task-list-approved")
    page.get_by_role("link", name=re.compile("Signed assessments")).click()
    applicant.check("signed-assessments")
    links = page.get_by_role("link", name=re.compile("Download PDF"))
    expect(links.first).to_be_visible()
    with page.expect_download() as download_info:
        links.last.click()
    pdf = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF-")
    page.get_by_role("link", name=re.compile("Check that a PDF is an authentic")).click()
    applicant.check("verify")
    page.get_by_label("PDF file").set_input_files(str(pdf))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name=re.compile("Authentic"))).to_be_visible()
    applicant.check("verified")
    # ---- public verification: someone without an account (a funder) checks the same PDF
    funder = people("funder")
    funder.visit("/verify", "verify-anonymous")
    funder.page.get_by_label("PDF file").set_input_files(str(pdf))
    funder.page.get_by_role("button", name="Verify").click()
    expect(funder.page.get_by_role("heading", name=re.compile("Authentic"))).to_be_visible()
    assert "/login" not in funder.page.url
    funder.check("verified-anonymous")

    # ---- the office's archive of signed assessments and the footprint report (each checked at 320 px too)
    coordinator.visit("/archive", "archive")
    expect(cpage.get_by_role("link", name=re.compile(f"Download {reference}")).first).to_be_visible()
    coordinator.visit("/reports/footprint", "footprint-report")


def _sign_off(page, *, entry: str, trusted_research: str) -> None:
    """The security officer's form: listed under `entry`, no export licence, the Trusted Research outcome."""
    page.get_by_label("On a control list").check()
    page.get_by_label("Control-list entry (when listed)").fill(entry)
    page.get_by_label("No licence is needed").check()
    page.get_by_label(trusted_research, exact=True).check()
    page.get_by_role("button", name=re.compile("(Record|Update) sign-off")).click()


def _fill_decision(page, outcome: str, reasons: str, conditions: str = "", valid_until: str | None = None) -> None:
    page.get_by_label(outcome, exact=True).check()
    page.get_by_label("Reasons for the decision").fill(reasons)
    if conditions:
        page.get_by_label(re.compile("^Conditions")).fill(conditions)
    if valid_until is not None:
        page.get_by_label("Approval valid until (when approving)").fill(valid_until)
    page.get_by_label("Your password, to sign the decision").fill(PASSWORD)


def _decide(page, outcome: str, reasons: str, conditions: str = "", valid_until: str | None = None) -> None:
    _fill_decision(page, outcome, reasons, conditions, valid_until)
    page.get_by_role("button", name="Sign and record decision").click()
    expect(page.get_by_role("status").filter(has_text="Decision recorded and signed")).to_be_visible(timeout=60000)

"""XSS and template-injection payloads in every free-text field a person can fill, then every page that shows
them (and the PDF assessment's text): nothing may run, load or be evaluated; the text reads as typed."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from app.core.mail import OutboxMessage
from app.extensions import db
from app.questionnaires.loader import get_questionnaire, latest_version
from app.reviews.models import Condition
from tests.helpers import (
    DEFAULT_PASSWORD,
    LOW_RISK_ANSWERS,
    Person,
    assignment_id,
    create_application,
    login,
    make_user,
    post_section,
    register,
    state,
    valid_until_default,
)
from tests.security.inert import PAYLOADS, html_problems, squash, text_problems, visible_text

QUESTIONNAIRE = "ml-materials-ethics"
TITLE = "x26 Perovskites <script>alert(26)</script> {{7*7}} \" onmouseover=\"alert(26)"
NAME = "x27<img src=x onerror=alert(27)> {{7*7}} ' onfocus='alert(27)"
COORDINATOR = "x28<svg onload=alert(28)> Coordinator"
REVIEWER = "x29 {{7*7}} <b onclick=alert(29)>Reviewer</b>"
SECURITY = "x30</script><script>alert(30)</script>"
CHAIR = "x31 ${7*7} Chair"
# Answers that make every conditional text and markdown question visible.
TRIGGERS = {"A2": "other", "A3": ["ukri", "industry"], "A4": "yes", "B7": "domain", "B10": "yes", "C6": "yes",
            "E1": "yes", "E2": "yes", "C10": "yes"}


def corpus(limit: int | None = None, start: int = 0, single_line: bool = False) -> str:
    """As many payloads as fit in `limit` characters, starting at payload `start` and wrapping round."""
    chosen: list[str] = []
    for index in range(len(PAYLOADS)):
        payload = PAYLOADS[(start + index) % len(PAYLOADS)]
        if single_line:
            payload = payload.replace("\n", " ")
        candidate = "\n".join([*chosen, payload]) if not single_line else " ".join([*chosen, payload])
        if limit is not None and len(candidate) > limit:
            break
        chosen.append(payload)
    return ("\n\n" if not single_line else " ").join(chosen)


def text_questions():
    questionnaire = get_questionnaire(QUESTIONNAIRE, latest_version(QUESTIONNAIRE))
    return [(section.id, question) for section in questionnaire.sections for question in section.questions
            if question.type in ("text", "markdown")]


def payload_answers() -> tuple[dict[str, dict], set[str]]:
    """Section answers with payloads in every text and markdown question, and the payloads in plain text ones."""
    answers = {section: dict(values) for section, values in LOW_RISK_ANSWERS.items()}
    for section, values in answers.items():
        for qid, value in TRIGGERS.items():
            if qid[0] == section:
                values[qid] = value
    in_plain_text: set[str] = set()
    for number, (section, question) in enumerate(text_questions()):
        single_line = question.type == "text"
        value = corpus(question.effective_max_length, start=number * 5, single_line=single_line)
        answers[section][question.id] = value
        if single_line:
            in_plain_text.update(p for p in PAYLOADS if p.replace("\n", " ") in value)
    answers["D"]["D1-0-name"] = corpus(100, start=7, single_line=True)
    # The project title question is the application's title.
    answers["A"]["A1"] = TITLE
    return answers, in_plain_text


@dataclass
class Pages:
    seen: list[tuple[str, str]] = field(default_factory=list)

    def get(self, who: Person | object, label: str, url: str, expect: int = 200) -> str:
        client = getattr(who, "client", who)
        response = client.get(url)
        assert response.status_code == expect, (label, url, response.status_code)
        body = response.get_data(as_text=True)
        self.seen.append((label, body))
        return body


def _person(app, make_client, *roles, name: str) -> Person:
    user = make_user(app, *roles, name=name)
    client = make_client()
    assert login(client, user).status_code == 302
    return Person(user, client)


@pytest.fixture
def world(app, make_client):
    """One application driven through two rounds with payloads everywhere; the pages are collected on the way."""
    pages = Pages()
    coordinator = _person(app, make_client, "coordinator", name=COORDINATOR)
    reviewer1 = _person(app, make_client, "reviewer", name=REVIEWER)
    reviewer2 = _person(app, make_client, "reviewer", name="Second Reviewer")
    conflicted = _person(app, make_client, "reviewer", name="Conflicted Reviewer")
    security = _person(app, make_client, "security_officer", name=SECURITY)
    chair = _person(app, make_client, "chair", name=CHAIR)
    admin = _person(app, make_client, "admin", name="Admin")

    # The applicant registers with a payload for a name.
    owner_client = make_client()
    response = register(owner_client, app, {"name": NAME, "email": "owner@example.ac.uk",
                                            "password": DEFAULT_PASSWORD, "confirm": DEFAULT_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    owner = Person(None, owner_client)

    submission_id = create_application(owner_client, TITLE)
    answers, plain = payload_answers()
    for section, values in answers.items():
        response = post_section(owner_client, submission_id, section, values)
        assert response.status_code == 302, (section, response.get_data(as_text=True)[:3000])
    for section, _ in answers.items():
        pages.get(owner, f"section {section} (draft)", f"/applications/{submission_id}/sections/{section}")
    pages.get(owner, "check answers", f"/applications/{submission_id}/check")
    assert owner_client.post(f"/applications/{submission_id}/submit").status_code == 302

    # Triage: a route override with a reason; reviewers, one of whom declares a conflict.
    s = submission_id
    route = coordinator.client.post(f"/review/applications/{s}/route",
                                    data={"route": "standard", "reason": corpus(2000, start=3)})
    assert route.status_code == 302, route.get_data(as_text=True)[:2000]
    for reviewer in (reviewer1, reviewer2, conflicted):
        assert coordinator.client.post(f"/review/applications/{s}/assign",
                                       data={"reviewer_id": reviewer.user.id}).status_code == 302
    assert coordinator.client.post(f"/review/applications/{s}/assign", data={
        "security-reviewer_id": security.user.id, "security-kind": "security"}).status_code == 302
    assert coordinator.client.post(f"/review/applications/{s}/start").status_code == 302
    for reviewer in (reviewer1, reviewer2, security):
        aid = assignment_id(app, s, reviewer)
        assert reviewer.client.post(f"/review/assignments/{aid}",
                                    data={"has_conflict": "no", "statement": ""}).status_code == 302
    conflict_id = assignment_id(app, s, conflicted)
    declared = conflicted.client.post(f"/review/assignments/{conflict_id}",
                                      data={"has_conflict": "yes", "statement": corpus(2000, start=11)})
    assert declared.status_code == 302, declared.get_data(as_text=True)[:2000]
    assert state(app, s) == "in_review"

    # Comments for the applicant and for the committee, on a question and on the whole application.
    for visibility, question_id, start in [("applicant", "B4", 0), ("committee", "B4", 9), ("applicant", "", 13),
                                           ("committee", "", 17)]:
        posted = reviewer1.client.post(f"/review/applications/{s}/comments", data={
            "body": corpus(start=start), "question_id": question_id, "visibility": visibility})
        assert posted.status_code == 302, posted.get_data(as_text=True)[:2000]
    for reviewer, start in ((reviewer1, 1), (reviewer2, 6)):
        aid = assignment_id(app, s, reviewer)
        recommended = reviewer.client.post(f"/review/assignments/{aid}/recommend", data={
            "recommendation": "changes_requested", "summary": corpus(start=start)})
        assert recommended.status_code == 302, recommended.get_data(as_text=True)[:2000]
    signed = security.client.post(f"/review/assignments/{assignment_id(app, s, security)}/sign-off", data={
        "classification": "not_listed", "basis": corpus(start=12), "licence": "no",
        "trusted_research": "concerns_mitigated", "conditions": corpus(start=14)})
    assert signed.status_code == 302, signed.get_data(as_text=True)[:2000]
    pages.get(chair, "decide (round 1)", f"/review/applications/{s}/decide")
    decided = chair.client.post(f"/review/applications/{s}/decide", data={
        "outcome": "changes_requested", "summary": corpus(start=4), "conditions": "",
        "password": chair.user.password})
    assert decided.status_code == 302, decided.get_data(as_text=True)[:3000]
    assert state(app, s) == "changes_requested"

    # The applicant answers the thread addressed to them, revises an answer and resubmits.
    from app.reviews.models import Comment
    with app.app_context():
        root = db.session.scalar(select(Comment.id).where(Comment.visibility == "applicant",
                                                          Comment.question_id == "B4"))
    replied = owner_client.post(f"/applications/{s}/feedback/reply",
                                data={"parent_id": root, "body": corpus(start=15)})
    assert replied.status_code == 302, replied.get_data(as_text=True)[:2000]
    pages.get(owner, "feedback (changes requested)", f"/applications/{s}/feedback")
    for section, _ in answers.items():
        pages.get(owner, f"section {section} (revision)", f"/applications/{s}/sections/{section}")
    revised = dict(answers["B"], B4=corpus(start=20))
    assert post_section(owner_client, s, "B", revised, button="save").status_code == 302
    assert owner_client.post(f"/applications/{s}/submit").status_code == 302
    assert state(app, s) == "in_review"

    # Round 2: the same reviewers declare again and recommend approval with conditions.
    for reviewer in (reviewer1, reviewer2, security):
        aid = assignment_id(app, s, reviewer)
        reviewer.client.post(f"/review/assignments/{aid}", data={"has_conflict": "no", "statement": ""})
        if reviewer is security:
            continue  # the round-1 sign-off carries over, as a recommendation does
        recommended = reviewer.client.post(f"/review/assignments/{aid}/recommend", data={
            "recommendation": "approve_with_conditions", "summary": corpus(start=8)})
        assert recommended.status_code == 302, recommended.get_data(as_text=True)[:2000]
    pages.get(reviewer1, "diff", f"/review/applications/{s}/diff")
    pages.get(chair, "decide (round 2)", f"/review/applications/{s}/decide")
    conditions = "\n".join(p.replace("\n", " ") for p in PAYLOADS[:12])
    decided = chair.client.post(f"/review/applications/{s}/decide", data={
        "outcome": "approved_with_conditions", "summary": corpus(start=19), "conditions": conditions,
        "valid_until": valid_until_default(), "password": chair.user.password})
    assert decided.status_code == 302, decided.get_data(as_text=True)[:3000]
    assert state(app, s) == "approved_with_conditions"
    with app.app_context():
        condition_id = db.session.scalar(select(Condition.id).where(Condition.submission_id == s).limit(1))
    assert owner_client.post(f"/applications/{s}/conditions/{condition_id}/report",
                             data={"note": corpus(2000, start=2, single_line=True)}).status_code == 302

    # Every page these texts appear on, for the people who see them.
    pages.get(owner, "dashboard", "/")
    pages.get(owner, "task list", f"/applications/{s}")
    pages.get(owner, "check answers (decided)", f"/applications/{s}/check")
    pages.get(owner, "feedback (decided)", f"/applications/{s}/feedback")
    pages.get(owner, "team", f"/applications/{s}/team")
    pages.get(owner, "account", "/account")
    for person, label in ((reviewer1, "reviewer"), (security, "security officer"), (chair, "chair"),
                          (coordinator, "coordinator"), (admin, "admin")):
        pages.get(person, f"review page ({label})", f"/review/applications/{s}")
        pages.get(person, f"history ({label})", f"/review/applications/{s}/history")
    pages.get(reviewer1, "my reviews", "/review/mine")
    pages.get(conflicted, "my reviews (conflicted)", "/review/mine")
    pages.get(chair, "chair queue", "/review/chair")
    pages.get(coordinator, "queue", "/review/queue")
    pages.get(coordinator, "queue search", "/review/queue?search=x26&state=conditions")
    pages.get(coordinator, "triage", f"/review/applications/{s}/triage")
    pages.get(admin, "admin users", "/admin/users")
    pages.get(admin, "admin users search", "/admin/users?q=x27")
    pages.get(admin, "outbox", "/admin/outbox")
    with app.app_context():
        message_ids = db.session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)).all()
    for message_id in message_ids:
        pages.get(admin, f"outbox message {message_id}", f"/admin/outbox/{message_id}")
    return {"pages": pages, "submission_id": s, "plain": plain}


def test_payloads_come_out_inert_on_every_page(world, subtests):
    pages: Pages = world["pages"]
    assert len(pages.seen) > 40
    for label, body in pages.seen:
        with subtests.test(page=label):
            assert html_problems(body) == []


def test_payloads_read_as_typed(world):
    """Not vacuous: the payloads were stored and shown, as text, where people typed them."""
    pages = dict(world["pages"].seen)
    everything = squash(" ".join(visible_text(body) for body in pages.values()))
    # Every payload typed into a plain-text answer is shown, character for character.
    assert len(world["plain"]) == len(PAYLOADS)
    check = squash(visible_text(pages["check answers (decided)"]))
    for payload in world["plain"]:
        assert squash(payload) in check, payload
    # The title and the names, on the pages that show them.
    for label in ("task list", "review page (reviewer)", "queue", "queue search", "triage", "decide (round 2)",
                  "dashboard", "outbox", "diff"):
        assert squash(TITLE) in squash(visible_text(pages[label])), label
    for label in ("review page (chair)", "history (coordinator)", "admin users", "admin users search", "account"):
        assert squash(NAME) in squash(visible_text(pages[label])), label
    for name, labels in [(COORDINATOR, ("admin users", "triage", "history (chair)")),
                         (REVIEWER, ("review page (chair)", "decide (round 2)", "triage")),
                         (SECURITY, ("review page (reviewer)", "decide (round 1)", "triage")),
                         (CHAIR, ("feedback (decided)", "chair queue", "admin users"))]:
        for label in labels:
            assert squash(name) in squash(visible_text(pages[label])), (name, label)
    # Template syntax is shown, not evaluated.
    assert squash("x13 tpl {{7*7}} tpl") in everything
    assert squash("x15 ${7*7}") in everything
    # Markdown text keeps its words but loses the script: the link text survives, the javascript: URL does not.
    review = pages["review page (reviewer)"]
    assert "click" in visible_text(review) and 'href="javascript' not in review.lower()


def test_pdf_assessment_text_is_inert(world, app):
    render = pytest.importorskip("app.documents.render")
    import io

    from pypdf import PdfReader

    from app.documents.context import assessment_context

    with app.app_context():
        context = assessment_context(world["submission_id"], 2, audience="archive")
        html = render.html_for(context)
        pdf = render.render_pdf(context)
    assert html_problems(html) == []
    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)
    assert text_problems(text) == []
    squashed = squash(text)
    # The title and the plain-text answers are printed literally, markup and template syntax included.
    assert squash("x26 Perovskites <script>alert(26)</script> {{7*7}}") in squashed
    for payload in world["plain"]:
        assert squash(payload) in squashed, payload
    # Markdown answers lose their scripts but keep their words; no link in the PDF leads to a script.
    assert "click" in text
    reader = PdfReader(io.BytesIO(pdf))
    uris = [str(annotation.get_object().get("/A", {}).get("/URI", ""))
            for page in reader.pages for annotation in page.get("/Annots", []) or []]
    assert not [uri for uri in uris if uri.replace(" ", "").lower().startswith(("javascript:", "data:"))]
    assert "/JavaScript" not in pdf.decode("latin-1") and "/JS " not in pdf.decode("latin-1")

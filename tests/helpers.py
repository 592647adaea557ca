"""Helpers shared by the whole suite (the browser suite keeps its own in tests/e2e/helpers.py).

People, applications driven through the real routes, what tests read back from the database (audit events,
mail, states), signed documents and the archive, and unsaved models for the access predicates' own tests.
The fixtures built on them (`login_as`, `application_in`) are in tests/conftest.py.
"""
from __future__ import annotations

import hashlib
import html as html_lib
import itertools
import re
import subprocess
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.auth.models import User, UserRole, UserSession, find_user_by_email
from app.core.audit import AuditEvent
from app.core.mail import OutboxMessage
from app.core.models import utcnow
from app.core.storage import get_storage
from app.documents.models import Document
from app.documents.signing import ensure_dev_certificates
from app.extensions import db
from app.reviews.models import Assignment, Comment, Condition, Decision
from app.submissions.models import QuestionnaireVersion, Submission, SubmissionMember
from tests.tools import require_tool


def page_text(response) -> str:
    """The visible text of an HTML response, whitespace collapsed, for assertions about what users read."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip())


# -------------------------------- people and applications, made through the real models and routes


DEFAULT_PASSWORD = "correct horse battery staple 42"
_counter = itertools.count(1)


@dataclass(frozen=True)
class UserRef:
    id: int
    email: str
    name: str
    password: str = DEFAULT_PASSWORD


def sent(response):
    """The response as a server sends it: closed once its body is written, which runs the work a request left
    for after its response (core.deferred, such as producing a signed assessment). Returns the response."""
    response.close()
    return response


def make_user(app, *roles: str, email: str | None = None, name: str | None = None,
              password: str = DEFAULT_PASSWORD, active: bool = True) -> UserRef:
    number = next(_counter)
    email = email or f"user{number}@example.ac.uk"
    name = name or f"Test User {number}"
    with app.app_context():
        user = User(email=email, name=name, active=active)
        user.set_password(password)
        user.role_grants = [UserRole(role=role) for role in roles if role != "applicant"]
        db.session.add(user)
        db.session.commit()
        return UserRef(user.id, email, name, password)


def login(client, user: UserRef, password: str | None = None):
    return client.post(
        "/login", data={"email": user.email, "password": password or user.password}, follow_redirects=False
    )


# A complete, low-risk application on the questionnaire new drafts start on (version 2), as a browser would post
# each section.
LOW_RISK_ANSWERS: dict[str, dict[str, str | list[str]]] = {
    "A": {"A1": "Graph networks for perovskite band gaps",
          "A1b": "We train a graph neural network on public DFT data to predict band gaps of perovskites.",
          "A2": "property_prediction", "A3": ["ukri"], "A4": "no", "A5": "no", "A6": "2027-01-04",
          "A7": "2029-12-31", "A8": "Prof. Ada Lovelace, Department of Materials", "A9": "no", "A11": ["none"],
          "A12": "none"},
    "B": {"B1": ["materials_project"], "B1b-0-source": "Materials Project", "B1b-0-licence": "cc_by", "B2": "yes",
          "B3": "allowed",
          "B4": "Materials Project database v2023.11.1, queried 2026-10-01 (doi:10.1063/1.4812323).",
          "B5": "persistent", "B6": "community_schema", "B7": "domain", "B7a": "NOMAD",
          "B8": "open_machine_readable", "B9": "quantified", "B10": "no", "B12": "DMPonline 123456",
          "B13": "ten_years", "B14": "managed_access"},
    "C": {"C1": ["none"], "C2": "no", "C4": "no", "C5": "gated", "C6": "no", "C7": "no",
          "C8": "no", "C9": "no", "C11": "Weights shared with named collaborators only."},
    "H": {"H3": "yes", "H4": "restricted_with_card", "H5": ["none"]},
    # One compute stage: 1 x A100 80GB, 10 h, 16 GB, PUE 1.56, GB grid, 3 runs.
    "D": {"D1-0-name": "Fine-tuning", "D1-0-hardware": "a100_pcie_80gb", "D1-0-count": "1", "D1-0-hours": "10",
          "D1-0-memory_gb": "16", "D1-0-usage": "1", "D1-0-platform": "local_server", "D1-0-location": "GB",
          "D1-0-runs": "3", "D2": "We fine-tune a pre-trained model."},
    "E": {"E1": "no", "E2": "no", "E3": "no", "E4": ["none"],
          "E5": "Battery researchers benefit; critical-mineral supply chains are considered.", "E6": ["none"]},
    "F": {"F1": "open_at_publication", "F2": "open_standard", "F3": "gated", "F4": "yes", "F5": "yes",
          "F6": "machine_readable"},
    "G": {"G1": "yes", "G2-0-name": "Ada Lovelace", "G2-0-role": "pi", "G2-0-orcid": "0000-0002-1825-0097",
          "G2-1-name": "Alan Turing", "G2-1-role": "co_investigator",
          "G4": "Ada Lovelace: research integrity (2024), Trusted Research (2025)"},
}


# The same low-risk application on version 1, which drafts started before version 2 still use.
V1_LOW_RISK_ANSWERS: dict[str, dict[str, str | list[str]]] = {
    "A": {"A1": "Graph networks for perovskite band gaps",
          "A1b": "We train a graph neural network on public DFT data to predict band gaps of perovskites.",
          "A2": "property_prediction", "A3": ["ukri"], "A4": "no"},
    "B": {"B1": ["materials_project"], "B2": "yes", "B3": "allowed",
          "B4": "Materials Project database v2023.11.1, queried 2026-10-01 (doi:10.1063/1.4812323).",
          "B5": "persistent", "B6": "community_schema", "B7": "domain", "B7a": "NOMAD",
          "B8": "open_machine_readable", "B9": "quantified", "B10": "no"},
    "C": {"C1": ["none"], "C2": "no", "C3": "no", "C4": "no", "C5": "gated", "C6": "no", "C7": "no",
          "C8": "no", "C9": "no", "C11": "Weights shared with named collaborators only."},
    # One compute stage: 1 x A100 80GB, 10 h, 16 GB, PUE 1.56, GB grid, 3 runs = 14.3 kWh, 3.3 kg CO2e.
    "D": {"D1-0-name": "Fine-tuning", "D1-0-hardware": "a100_pcie_80gb", "D1-0-count": "1", "D1-0-hours": "10",
          "D1-0-memory_gb": "16", "D1-0-usage": "1", "D1-0-platform": "local_server", "D1-0-location": "GB",
          "D1-0-runs": "3", "D2": "We fine-tune a pre-trained model."},
    "E": {"E1": "no", "E2": "no", "E3": "no", "E4": ["none"],
          "E5": "Battery researchers benefit; critical-mineral supply chains are considered."},
    "F": {"F1": "open_at_publication", "F2": "open_standard", "F3": "gated", "F4": "yes", "F5": "yes",
          "F6": "machine_readable"},
    "G": {"G1": "yes", "G2": "Ada Lovelace, Alan Turing", "G3": "2026-11-01"},
}


def section_form(client, submission_id: int, section_id: str) -> dict[str, list[str]]:
    """The hidden fields the section page carries (base tokens, rendered question ids), read from the page."""
    html = client.get(f"/applications/{submission_id}/sections/{section_id}").get_data(as_text=True)
    fields: dict[str, list[str]] = {}
    for name, value, disabled in re.findall(
        r'<input type="hidden" name="(__(?:base__[A-Z0-9a-z]+|present__))" value="([^"]*)"[^>]*?( disabled)?>', html
    ):
        if not disabled:
            fields.setdefault(name, []).append(value)
    return fields


def post_section(client, submission_id: int, section_id: str, answers: dict, *, button: str = "continue",
                 base: dict | None = None):
    data = dict(base if base is not None else section_form(client, submission_id, section_id))
    data.update(answers)
    data[button] = "1"
    return client.post(f"/applications/{submission_id}/sections/{section_id}", data=data)


def create_application(client, title: str = "Graph networks for perovskite band gaps") -> int:
    response = client.post("/applications/new", data={"title": title})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def create_application_on_version(client, monkeypatch, version: int,
                                  title: str = "A draft on an earlier version") -> int:
    """A draft started while `version` was the one new drafts start on, through the real route."""
    from app.submissions import services

    with monkeypatch.context() as patch:
        patch.setattr(services, "current_version", lambda key: version)
        return create_application(client, title)


def as_posted(questionnaire, answers: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Typed answers (as scored or stored) by section, as the section pages post them: yes/no as "yes"/"no",
    numbers as text, and tables (footprint stages, records) one field per filled cell, <question>-<n>-<column>."""
    by_section: dict[str, dict[str, Any]] = {}
    for section in questionnaire.sections:
        posted: dict[str, Any] = {}
        for question in section.questions:
            value = answers.get(question.id)
            if value is None:
                continue
            if question.type in ("footprint_stages", "records"):
                posted.update({f"{question.id}-{index}-{column}": str(cell) for index, row in enumerate(value)
                               for column, cell in row.items() if cell is not None})
            elif isinstance(value, bool):
                posted[question.id] = "yes" if value else "no"
            else:
                posted[question.id] = value if isinstance(value, list) else str(value)
        if posted:
            by_section[section.id] = posted
    return by_section


def fill_application(client, submission_id: int, answers: dict | None = None) -> None:
    for section_id, section_answers in (answers or LOW_RISK_ANSWERS).items():
        response = post_section(client, submission_id, section_id, section_answers)
        assert response.status_code == 302, (section_id, response.get_data(as_text=True)[:3000])


# -------------------------------- what tests read back: audit events, users, sessions, mail


def audit_events(app, action: str) -> list[dict]:
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
        return [
            {"actor_id": e.actor_id, "object_id": e.object_id, "data": e.data} for e in events
        ]


def user_row(app, email: str) -> dict | None:
    with app.app_context():
        user = find_user_by_email(email)
        if user is None:
            return None
        return {"id": user.id, "email": user.email, "name": user.name, "department": user.department,
                "active": user.active,
                "roles": set(user.roles)}


def live_sessions(app, user_id: int) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(
            select(UserSession.id).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        ))


def is_signed_in(client) -> bool:
    """The account page answers only to a live session; anyone else is sent to sign in."""
    response = client.get("/account")
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and response.location.startswith("/login"), response.location
    return False


def input_value(html: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    if not match:
        return None
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


def user_count(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(User.id)).all())


def mails(app, recipient: str | None = None) -> list[dict]:
    with app.app_context():
        statement = select(OutboxMessage).order_by(OutboxMessage.id)
        if recipient is not None:
            statement = statement.where(OutboxMessage.recipient == recipient)
        return [{"recipient": m.recipient, "subject": m.subject, "body": m.body, "status": m.status}
                for m in db.session.scalars(statement)]


def link_in(body: str, path: str) -> str:
    match = re.search(rf"http://localhost({re.escape(path)}\S+)", body)
    assert match, body
    return match.group(1)


def register(client, app, data: dict):
    """Registration as a person does it: the form, the mailed link, the button on the link's page.

    buffered=True closes the response as a server does, which runs the work left for after the response."""
    response = client.post("/register", data=data, buffered=True)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    email = data["email"].strip().lower()
    [mail] = [m for m in mails(app, email) if m["subject"] == "Finish creating your Crucible account"]
    path = link_in(mail["body"], "/register/confirm/")
    assert client.get(path).status_code == 200
    return client.post(path)


# -------------------------------- an application through review by the real routes, one browser each


@dataclass
class Person:
    user: UserRef
    client: object


def person(app, make_client, *roles: str, name: str | None = None) -> Person:
    user = make_user(app, *roles, name=name)
    client = make_client()
    login(client, user)
    return Person(user, client)


def invitation_id(app, submission_id: int, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(SubmissionMember.id).where(SubmissionMember.submission_id == submission_id,
                                                                   SubmissionMember.email == email))


def accept_invitation(app, client, submission_id: int, email: str):
    """The invitee accepts, confirming the recusal as staff do (the warning page's own button)."""
    return client.post(f"/invitations/{invitation_id(app, submission_id, email)}/accept",
                       data={"confirm_recusal": "yes"})


def join_team(app, owner_client, member_client, submission_id: int, email: str, role: str = "editor") -> None:
    """The owner invites someone, who accepts."""
    assert owner_client.post(f"/applications/{submission_id}/team",
                             data={"email": email, "role": role}).status_code == 302
    assert accept_invitation(app, member_client, submission_id, email).status_code == 302


@dataclass
class Committee:
    coordinator: Person
    reviewer1: Person
    reviewer2: Person
    chair: Person
    security: Person


def committee(app, make_client) -> Committee:
    return Committee(
        coordinator=person(app, make_client, "coordinator"),
        reviewer1=person(app, make_client, "reviewer"),
        reviewer2=person(app, make_client, "reviewer"),
        chair=person(app, make_client, "chair"),
        security=person(app, make_client, "security_officer"),
    )


def medium_risk_answers() -> dict:
    answers = {k: dict(v) for k, v in LOW_RISK_ANSWERS.items()}
    # ICSD data: data M + openness M (2 points in data with B9 not considered -> Medium).
    answers["B"].update({"B1": ["icsd"], "B3": "not_allowed", "B9": "not_considered"})
    return answers


def high_risk_answers() -> dict:
    answers = {k: dict(v) for k, v in LOW_RISK_ANSWERS.items()}
    answers["C"].update({"C1": ["energetic"], "C6": "yes", "C6a": "Self-classified under ML8.", "C6b": "neither",
                         "C6c": "no", "C6d": "no",
                         "C11": "Candidates are never released."})
    return answers


def submitted(app, make_client, answers=None) -> tuple[int, Person]:
    owner = person(app, make_client)
    submission_id = create_application(owner.client)
    fill_application(owner.client, submission_id, answers)
    response = owner.client.post(f"/applications/{submission_id}/submit")
    assert response.status_code == 302
    return submission_id, owner


def assign(c: Committee, submission_id: int, reviewer: Person, kind: str = "reviewer", *, confirm_chair=False):
    """The coordinator assigns `reviewer`; `confirm_chair`: as the confirmation's button does, for the chair."""
    data = {"reviewer_id": reviewer.user.id, **({"confirm_chair": "yes"} if confirm_chair else {})}
    if kind == "security":
        data = {"security-reviewer_id": reviewer.user.id, "security-kind": "security"}
    return c.coordinator.client.post(f"/review/applications/{submission_id}/assign", data=data)


def assignment_id(app, submission_id: int, reviewer: Person) -> int:
    with app.app_context():
        return db.session.scalar(select(Assignment.id).where(
            Assignment.submission_id == submission_id, Assignment.reviewer_id == reviewer.user.id,
            Assignment.active.is_(True)).order_by(Assignment.id.desc()))


def declare_none(app, submission_id: int, reviewer: Person):
    aid = assignment_id(app, submission_id, reviewer)
    return reviewer.client.post(f"/review/assignments/{aid}", data={"has_conflict": "no", "statement": ""})


def recommend(app, submission_id: int, reviewer: Person, recommendation="approve", summary="Sound plan."):
    aid = assignment_id(app, submission_id, reviewer)
    return reviewer.client.post(f"/review/assignments/{aid}/recommend",
                                data={"recommendation": recommendation, "summary": summary})


# A complete security sign-off, as the security officer's form posts it.
SIGN_OFF = {"classification": "listed", "control_entry": "ML8", "basis": "", "licence": "no",
            "trusted_research": "no_concerns", "conditions": ""}


def sign_off(app, submission_id: int, officer: Person, **fields: str):
    aid = assignment_id(app, submission_id, officer)
    return officer.client.post(f"/review/assignments/{aid}/sign-off", data={**SIGN_OFF, **fields})


def in_review(app, make_client, answers=None, c: Committee | None = None) -> tuple[int, Person, Committee]:
    """A standard-route application with two reviewers who declared no conflict."""
    c = c or committee(app, make_client)
    submission_id, owner = submitted(app, make_client, answers)
    _start_review(app, c, submission_id)
    assert state(app, submission_id) == "in_review"
    return submission_id, owner, c


# What the chair enters as the approval's valid-until date when the test names none: rounds without a project
# end date (questionnaire v1) need one.
APPROVAL_DAYS = 2 * 365


def valid_until_default() -> str:
    return (date.today() + timedelta(days=APPROVAL_DAYS)).isoformat()


def decide(c: Committee, submission_id: int, outcome: str, conditions: str = "", password: str | None = None,
           valid_until: str | None = None):
    """The chair's decision form; `valid_until` "" leaves the field empty (the page's default is the project's end)."""
    if valid_until is None:
        valid_until = valid_until_default()
    return c.chair.client.post(f"/review/applications/{submission_id}/decide", data={
        "outcome": outcome, "summary": "Decision reasons.", "conditions": conditions, "valid_until": valid_until,
        "password": password or c.chair.user.password})


# The recommendation both reviewers make before the chair decides each outcome.
RECOMMENDATION_BEFORE = {"approved": "approve", "approved_with_conditions": "approve_with_conditions",
                         "changes_requested": "changes_requested", "rejected": "reject"}
CONDITION = "Deposit the trained weights under a gated licence before publication."
# Every state application_in can build, in the order the workflow reaches them.
BUILDABLE_STATES = ("draft", "submitted", "in_review", *RECOMMENDATION_BEFORE, "withdrawn")


@dataclass
class Application:
    """An application application_in built: its id, its owner's browser, and the committee that handled it."""
    id: int
    owner: Person
    committee: Committee


def application_in_state(app, make_client, wanted: str, *, answers: dict | None = None,
                         owner: Person | None = None, c: Committee | None = None) -> Application:
    """An application brought to `wanted` (a workflow state) the way people do it, through the real routes.

    A draft has every section answered (`answers={}`: none); a submitted one waits for triage; in review it has
    two reviewers who declared no conflict; a decided one has both reviewers' recommendations and the chair's
    signed decision (with CONDITION when approved with conditions); a withdrawn one was withdrawn while waiting for
    triage (a draft is deleted, not withdrawn).
    """
    if wanted not in BUILDABLE_STATES:
        raise ValueError(f"application_in builds one of {BUILDABLE_STATES}, not {wanted!r}")
    c = c or committee(app, make_client)
    owner = owner or person(app, make_client)
    submission_id = create_application(owner.client)
    if answers != {}:
        fill_application(owner.client, submission_id, answers)
    if wanted == "withdrawn":
        assert owner.client.post(f"/applications/{submission_id}/submit").status_code == 302
        response = owner.client.post(f"/applications/{submission_id}/withdraw", data={"reason": "Not needed."})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    elif wanted == "submitted":
        assert owner.client.post(f"/applications/{submission_id}/submit").status_code == 302
    elif wanted != "draft":
        assert owner.client.post(f"/applications/{submission_id}/submit").status_code == 302
        _start_review(app, c, submission_id)
    if wanted in RECOMMENDATION_BEFORE:
        for reviewer in (c.reviewer1, c.reviewer2):
            response = recommend(app, submission_id, reviewer, RECOMMENDATION_BEFORE[wanted])
            assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        response = decide(c, submission_id, wanted, CONDITION if wanted == "approved_with_conditions" else "")
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert state(app, submission_id) == wanted
    return Application(submission_id, owner, c)


def _start_review(app, c: Committee, submission_id: int) -> None:
    for reviewer in (c.reviewer1, c.reviewer2):
        assert assign(c, submission_id, reviewer).status_code == 302
    response = c.coordinator.client.post(f"/review/applications/{submission_id}/start")
    if response.status_code == 200 and 'name="confirm_without_extras"' in response.get_data(as_text=True):
        # The policy asks for an extra reviewer (a data steward for a data shortfall) that this committee has
        # nobody for: the office confirms starting without, as the triage page offers.
        response = c.coordinator.client.post(f"/review/applications/{submission_id}/start",
                                             data={"confirm_without_extras": "yes"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    for reviewer in (c.reviewer1, c.reviewer2):
        assert declare_none(app, submission_id, reviewer).status_code == 302


def state(app, submission_id: int) -> str:
    with app.app_context():
        return db.session.get(Submission, submission_id).state


def comment(app, reviewer: Person, submission_id: int, question_id: str, body: str,
            visibility: str = "committee") -> int:
    """A reviewer's new comment on one answer, through the page's form; its id."""
    response = reviewer.client.post(f"/review/applications/{submission_id}/comments",
                                    data={"body": body, "question_id": question_id, "visibility": visibility})
    assert response.status_code == 302
    with app.app_context():
        return db.session.scalar(select(Comment.id).where(Comment.body == body))


# -------------------------------- signed documents and the archive
# A development PKI, decided applications built directly with the models (the review routes are not needed),
# and archive rows re-created for a PDF rendered once.


APPLICANT_COMMENT = "Please confirm the licence terms of the ICSD extract before publication."
COMMITTEE_COMMENT = "Committee only: the PI had a similar application declined in 2024, keep an eye on it."
COMMITTEE_REPLY = "Committee only reply: agreed, noted for the minutes."
CONDITION_TEXT = "Deposit the trained weights under a gated licence before publication."


@dataclass
class Decided:
    submission_id: int
    reference: str
    round_number: int
    owner: object
    chair: object
    reviewer: object


def configure_documents(app, pki: dict, archive_dir: Path) -> None:
    app.config.update(
        SIGNING_CERT=str(pki["signing_cert"]),
        SIGNING_KEY=str(pki["signing_key"]),
        SIGNING_KEY_PASSPHRASE=pki["passphrase"],
        SIGNING_CHAIN=str(pki["root_cert"]),
        SIGNING_TRUST_ROOTS=str(pki["root_cert"]),
        ARCHIVE_BACKEND="local",
        ARCHIVE_DIR=str(archive_dir),
        REDIS_URL=None,
        BASE_URL="https://ethics.example.ac.uk",
    )
    app.extensions.pop("crucible_archive_storage", None)


def decided_application(app, make_client, *, answers=None, title="Graph networks for perovskite band gaps",
                        outcome="approved_with_conditions", comments=True) -> Decided:
    owner = make_user(app, name="Dr Amara Okafor")
    client = make_client()
    login(client, owner)
    submission_id = create_application(client, title)
    fill_application(client, submission_id, answers or LOW_RISK_ANSWERS)
    response = client.post(f"/applications/{submission_id}/submit")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    chair = make_user(app, "chair", name="Prof. Sarah Lindqvist")
    reviewer = make_user(app, "reviewer", name="Prof. Helen Marsh")
    with app.app_context():
        submission = db.session.get(Submission, submission_id)
        number = submission.round_number
        now = utcnow()
        db.session.add(Assignment(submission_id=submission_id, round_number=number, reviewer_id=reviewer.id,
                                  kind="reviewer", coi_status="none", recommendation="approve_with_conditions",
                                  summary="Sound project; the **licence** question needs a condition.",
                                  completed_at=now))
        if comments:
            applicant_comment = Comment(submission_id=submission_id, round_number=number, question_id="B4",
                                        author_id=reviewer.id, body=APPLICANT_COMMENT, visibility="applicant",
                                        released_at=now)
            committee_comment = Comment(submission_id=submission_id, round_number=number, question_id="C11",
                                        author_id=reviewer.id, body=COMMITTEE_COMMENT, visibility="committee")
            db.session.add_all([applicant_comment, committee_comment])
            db.session.flush()
            # A reply wrongly marked "applicant" inside a committee thread must still stay out.
            db.session.add(Comment(submission_id=submission_id, round_number=number, author_id=chair.id,
                                   parent_id=committee_comment.id, body=COMMITTEE_REPLY, visibility="applicant"))
        decision = Decision(submission_id=submission_id, round_number=number, outcome=outcome,
                            summary="Approved, subject to the condition below.", decided_by_id=chair.id,
                            decided_at=now, signature_name=chair.name,
                            signature_meaning=("Approved with conditions — chair"
                                               if outcome == "approved_with_conditions"
                                               else f"{outcome.replace('_', ' ').capitalize()} — chair"))
        db.session.add(decision)
        db.session.flush()
        if outcome == "approved_with_conditions":
            db.session.add(Condition(decision_id=decision.id, submission_id=submission_id, text=CONDITION_TEXT,
                                     due_on=date(2027, 3, 31)))
        submission.state = outcome if outcome != "changes_requested" else "changes_requested"
        db.session.commit()
        return Decided(submission_id, submission.reference, number, owner, chair, reviewer)


def assessment_text(app, client, submission_id: int, tmp_path: Path) -> str:
    """The text of the application's signed assessment as `client` downloads it (pdftotext, spaces squashed)."""
    from tests.tools import require_tool

    with app.app_context():
        document_id = db.session.scalar(select(Document.id).where(Document.submission_id == submission_id))
    download = client.get(f"/archive/documents/{document_id}/download")
    assert download.status_code == 200
    pdf = tmp_path / "assessment.pdf"
    pdf.write_bytes(download.data)
    require_tool("pdftotext", "poppler-utils")
    return " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())


def restore_document(app, meta: dict, *, created_at: datetime | None = None, owner_email: str | None = None,
                     reference: str | None = None) -> int:
    """Recreate the rows a rendered PDF refers to (after the per-test table cleanup) and return the Document id.

    The stored file itself lives in the archive directory, which tables cleanup does not touch.
    """
    with app.app_context():
        existing = db.session.scalar(select(Document).where(Document.sha256 == meta["sha256"]))
        if existing is not None:  # still there: restored in the same test that rendered it
            return existing.id
        owner = User(email=owner_email or f"owner-{meta['sha256'][:8]}@example.ac.uk", name="Archived Owner")
        owner.set_password("x" * 20)
        db.session.add(owner)
        qv = db.session.scalar(select(QuestionnaireVersion).limit(1))
        if qv is None:
            qv = QuestionnaireVersion(key="ml-materials-ethics", version=1, title="Q", sha256="0" * 64)
            db.session.add(qv)
        db.session.flush()
        submission = Submission(reference=reference or meta["reference"], title=meta.get("title", "Archived"),
                                owner_id=owner.id, questionnaire_version_id=qv.id, state="approved", round_number=1)
        db.session.add(submission)
        db.session.flush()
        document = Document(uid=meta["uid"], submission_id=submission.id, round_number=1, kind="decision",
                            sha256=meta["sha256"], size=meta["size"], storage_key=meta["storage_key"],
                            signed_by=meta.get("signed_by", "CN=test"), created_at=created_at or utcnow())
        db.session.add(document)
        db.session.commit()
        return document.id


def store_bytes(app, data: bytes, **meta) -> dict:
    with app.app_context():
        key = get_storage().put(data)
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "storage_key": key,
            "uid": meta.get("uid")
            or hashlib.md5(data, usedforsecurity=False).hexdigest()[:8] + "-0000-4000-8000-000000000000",
            "reference": meta.get("reference", "ETH-2026-9001"), "title": meta.get("title", "Archived")}


def nss_db(directory: Path, root_cert: Path) -> Path:
    """An NSS database trusting the development root, for poppler's pdfsig."""
    require_tool("certutil", "libnss3-tools")
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(["certutil", "-N", "-d", f"sql:{directory}", "--empty-password"], check=True,
                   capture_output=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{directory}", "-n", "Crucible Development Root CA",
                    "-t", "CT,C,C", "-i", str(root_cert)], check=True, capture_output=True)
    return directory


def pdfsig(pdf: Path, nssdir: Path) -> str:
    require_tool("pdfsig", "poppler-utils")
    result = subprocess.run(["pdfsig", "-nssdir", f"sql:{nssdir}", str(pdf)], capture_output=True, text=True)
    return result.stdout + result.stderr


def flip_byte(data: bytes, position: int | None = None) -> bytes:
    """Flip one byte inside the signed content (the middle of the document, away from the signature)."""
    position = len(data) // 3 if position is None else position
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1:]


def utc(year, month, day, hour=12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


PASSPHRASE = "test-signing-passphrase"
_shared: dict[str, Any] = {}


def shared_pki(tmp_path_factory) -> dict:
    """One development PKI for the whole session, shared by tests/documents and tests/archive."""
    if "pki" not in _shared:
        directory = tmp_path_factory.mktemp("signing")
        paths = ensure_dev_certificates(directory, passphrase=PASSPHRASE)
        _shared["pki"] = {"root_cert": paths.root_cert, "signing_cert": paths.signing_cert,
                          "signing_key": paths.signing_key, "passphrase": PASSPHRASE, "dir": directory}
    return _shared["pki"]


def shared_archive_dir(tmp_path_factory) -> Path:
    if "archive" not in _shared:
        _shared["archive"] = tmp_path_factory.mktemp("archive")
    return _shared["archive"]


# -------------------------------- unsaved models for the access predicates' own tests
# Made in memory, never stored: the predicates read only what their loaders load with the object, so no
# database is needed.


_ids = itertools.count(1000)


def unsaved_user(*roles: str) -> User:
    ident = next(_ids)
    made = User(id=ident, email=f"user{ident}@example.ac.uk", name=f"User {ident}", active=True)
    made.role_grants = [UserRole(role=role) for role in roles]
    return made


def unsaved_application(owner: User, *, state: str = "in_review", members: dict[User, str] | None = None,
                        round_number: int | None = None) -> Submission:
    """An application in `state`; in round 1 unless a draft (round 0) or told otherwise."""
    if round_number is None:
        round_number = 0 if state == "draft" else 1
    return Submission(id=next(_ids), owner_id=owner.id, state=state, round_number=round_number,
                      members=[SubmissionMember(email=u.email, role=role, accepted_at=utcnow())
                               for u, role in (members or {}).items()])


def unsaved_assignment(reviewer: User, submission: Submission, *, coi: str = "none", active: bool = True,
                       round_number: int | None = None, kind: str = "reviewer") -> Assignment:
    """An assignment on the application's current round unless told another."""
    return Assignment(id=next(_ids), submission_id=submission.id,
                      round_number=submission.round_number if round_number is None else round_number,
                      reviewer_id=reviewer.id, kind=kind, coi_status=coi, active=active, submission=submission,
                      reviewer=reviewer)

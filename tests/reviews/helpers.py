"""Drive an application through review with the real routes, one browser per person."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.reviews.models import Assignment, Comment
from app.submissions.models import Submission
from tests.factories import LOW_RISK_ANSWERS, UserRef, create_application, fill_application, login, make_user


@dataclass
class Person:
    user: UserRef
    client: object


def person(app, make_client, *roles) -> Person:
    user = make_user(app, *roles)
    client = make_client()
    login(client, user)
    return Person(user, client)


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
    answers["C"].update({"C1": ["energetic"], "C6": "yes", "C6a": "Self-classified under ML8.",
                         "C11": "Candidates are never released."})
    return answers


def submitted(app, make_client, answers=None) -> tuple[int, Person]:
    owner = person(app, make_client)
    submission_id = create_application(owner.client)
    fill_application(owner.client, submission_id, answers)
    response = owner.client.post(f"/applications/{submission_id}/submit")
    assert response.status_code == 302
    return submission_id, owner


def assign(c: Committee, submission_id: int, reviewer: Person, kind: str = "reviewer"):
    data = {"reviewer_id": reviewer.user.id}
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


def in_review(app, make_client, answers=None, c: Committee | None = None) -> tuple[int, Person, Committee]:
    """A standard-route application with two reviewers who declared no conflict."""
    c = c or committee(app, make_client)
    submission_id, owner = submitted(app, make_client, answers)
    for reviewer in (c.reviewer1, c.reviewer2):
        assert assign(c, submission_id, reviewer).status_code == 302
    assert c.coordinator.client.post(f"/review/applications/{submission_id}/start").status_code == 302
    for reviewer in (c.reviewer1, c.reviewer2):
        assert declare_none(app, submission_id, reviewer).status_code == 302
    assert state(app, submission_id) == "in_review"
    return submission_id, owner, c


def decide(c: Committee, submission_id: int, outcome: str, conditions: str = "", password: str | None = None):
    return c.chair.client.post(f"/review/applications/{submission_id}/decide", data={
        "outcome": outcome, "summary": "Decision reasons.", "conditions": conditions,
        "password": password or c.chair.user.password})


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

"""Demo applications in every state of the review, for development (`flask demo seed`, after the accounts).

Idempotent: accounts are matched by email and applications by title, so running it again adds nothing.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import click
from sqlalchemy import select

from app.auth.models import User, find_user_by_email
from app.core.models import utcnow
from app.demo.accounts import DEMO_USERS, LOW_RISK_ANSWERS
from app.demo.accounts import seed as seed_basics
from app.extensions import db
from app.reviews import services as reviews
from app.reviews.models import Assignment, Condition
from app.submissions import services as submissions
from app.submissions.models import Submission, SubmissionMember

PASSWORDS = {email: password for email, _name, _roles, password in DEMO_USERS}


def _medium_risk() -> dict[str, dict[str, list[str]]]:
    answers = {section: dict(values) for section, values in LOW_RISK_ANSWERS.items()}
    answers["B"].update({"B1": ["icsd", "own_simulations"], "B3": ["not_allowed"], "B9": ["not_considered"]})
    return answers


# Reviewed before version 2 was released, so on version 1 (accounts.LOW_RISK_ANSWERS).
# title, answers, what happens in review: (recommendation, decision outcome, conditions) or a special step
REVIEWED = [
    ("Interatomic potentials for high-entropy alloys", _medium_risk(), "changes_requested"),
    ("Active learning for thermoelectric skutterudites", LOW_RISK_ANSWERS, "approved_with_conditions"),
    ("Bayesian optimisation of sodium-ion cathodes", LOW_RISK_ANSWERS, "approved"),
    ("Crowd-sourced toxicity labels for solvent screening", _medium_risk(), "rejected"),
    ("Language models for synthesis-route extraction", _medium_risk(), "in_review"),
    # Approved, then its approval period ran out: the daily job has marked it expired.
    ("Reinforcement learning for autonomous alloy synthesis", LOW_RISK_ANSWERS, "expired"),
    # Approved, and the approval ends within 30 days: the team has had its reminders.
    ("Transfer learning for metal-organic framework adsorption", LOW_RISK_ANSWERS, "expiring"),
]
RECOMMENDATION_FOR = {"changes_requested": "changes_requested", "approved_with_conditions": "approve_with_conditions",
                      "approved": "approve", "rejected": "reject", "in_review": None, "expired": "approve",
                      "expiring": "approve"}
# Days from today to the demo approvals' valid-until dates; the expired one was approved a year before.
VALID_FOR_DAYS = {"expired": -10, "expiring": 20}
DEMO_APPROVAL_DAYS = 2 * 365


def _user(email: str) -> User:
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"the demo user {email} is missing")
    return user


def _assignment(person: User, submission: Submission) -> Assignment:
    assignment = reviews.my_assignment(person, submission)
    if assignment is None:
        raise click.ClickException(f"{person.email} is not assigned to {submission.reference}")
    return assignment


def _start_review(submission: Submission, reviewers: list[User], security: User | None = None) -> None:
    coordinator = _user("coordinator@example.ac.uk")
    for reviewer in reviewers:
        # The demo's high-risk application has the chair among its reviewers, as the office may confirm.
        reviews.assign(submission, coordinator, reviewer.id, chair_confirmed=True)
    if security is not None:
        reviews.assign(submission, coordinator, security.id, kind="security")
    reviews.start_review(submission, coordinator)


def _review(submission: Submission, outcome: str) -> None:
    reviewer, reviewer2 = _user("reviewer@example.ac.uk"), _user("reviewer2@example.ac.uk")
    chair = _user("chair@example.ac.uk")
    _start_review(submission, [reviewer, reviewer2])
    for person in (reviewer, reviewer2):
        reviews.declare_interest(_assignment(person, submission), person, has_conflict=False, statement="")
    reviews.add_comment(submission, reviewer, body="Please state the **version** and query date of each data source.",
                        question_id="B4", visibility="applicant", parent_id=None)
    reviews.add_comment(submission, reviewer2, body="The PI's group has a related industry contract; no concern.",
                        question_id=None, visibility="committee", parent_id=None)
    recommendation = RECOMMENDATION_FOR[outcome]
    if recommendation is None:
        return
    for person in (reviewer, reviewer2):
        reviews.recommend(_assignment(person, submission), person, recommendation=recommendation,
                          summary="Reviewed against the FAIR and dual-use guidance.")
    conditions = ["Deposit the training data in NOMAD before publication.",
                  "Report energy use and CO2e in the paper."] if outcome == "approved_with_conditions" else []
    today = date.today()
    valid_until = today + timedelta(days=VALID_FOR_DAYS.get(outcome, DEMO_APPROVAL_DAYS))
    reviews.decide(submission, chair, outcome="approved" if outcome in VALID_FOR_DAYS else outcome,
                   summary="Decided after reading both reviews.", conditions=conditions,
                   password=PASSWORDS["chair@example.ac.uk"], valid_until=valid_until,
                   # The expired approval was given a year ago, when its date was still to come.
                   today=today - timedelta(days=365) if valid_until < today else today)
    if outcome == "expired":
        reviews.expire_approvals(today)
    elif outcome == "expiring":
        reviews.send_expiry_reminders(today)


def seed() -> Iterator[str]:
    yield from (line for line in seed_basics() if line != "demo data ready")
    owner = _user("applicant@example.ac.uk")

    high = db.session.scalar(select(Submission).where(Submission.title == "Generative design of energetic co-crystals"))
    if high is not None and high.state == "submitted":
        _start_review(high, [_user("reviewer@example.ac.uk"), _user("chair@example.ac.uk")],
                      security=_user("security@example.ac.uk"))
        yield f"{high.reference} sent to full-committee review with security sign-off"

    for title, answers, outcome in REVIEWED:
        if db.session.scalar(select(Submission.id).where(Submission.owner_id == owner.id, Submission.title == title)):
            continue
        submission = submissions.create_submission(owner, title, questionnaire_version=1)
        db.session.add(SubmissionMember(submission_id=submission.id, email="colleague@example.ac.uk", role="editor",
                                        invited_by_id=owner.id, accepted_at=utcnow()))
        db.session.commit()
        for section_id, values in answers.items():
            submissions.save_section(submission, section_id, {**values, "__present__": list(values)}, owner,
                                     check_required=False)
        submissions.submit(submission, owner)
        _review(submission, outcome)
        if outcome == "approved_with_conditions":
            first = db.session.scalars(select(Condition).where(Condition.submission_id == submission.id)
                                       .order_by(Condition.id).limit(1)).one()
            reviews.report_condition(first, owner, "Deposited as NOMAD upload 2026-11-20.")
        yield f"created application “{title}” ({submission.state})"
    yield "demo data ready"

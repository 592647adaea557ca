"""Decided demo applications with their signed assessments (`flask demo documents`, run by `make run`).

Development only. Runs after `flask demo seed` (it needs the demo accounts). Each application is created,
answered and submitted through the submissions services; the review records (recommendation, comments,
decision, conditions) are written directly, as the review workflow would leave them. Idempotent: an
application that exists (matched by title) is left alone. When the review workflow's own demo data already
holds decisions, no application is added here. Every decided round without a signed PDF then gets one.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from sqlalchemy import select

from app.auth.models import find_user_by_email
from app.core import audit
from app.core.models import utcnow
from app.demo.accounts import LOW_RISK_ANSWERS
from app.documents import services as document_services
from app.documents.models import Document
from app.extensions import db
from app.reviews.models import Assignment, Comment, Condition, Decision
from app.submissions import services
from app.submissions.models import Submission, SubmissionMember
from app.submissions.workflow import OUTCOMES

DECIDED = [
    # title, outcome, condition texts, comment to the applicant
    ("Machine-learned interatomic potentials for sodium-ion cathodes", "approved_with_conditions",
     ["Deposit the training set and the fitted potentials in NOMAD under CC BY 4.0 before the first paper."],
     "Please state in the data management plan which DFT functional and pseudopotentials were used."),
    ("Bayesian optimisation of perovskite thin-film annealing", "approved", [],
     "Thank you for the clear provenance record; no changes are needed."),
]


def _answers_for(title: str) -> dict:
    answers = {section: dict(values) for section, values in LOW_RISK_ANSWERS.items()}
    answers["A"] = dict(answers["A"], A1=[title])
    return answers


def seed() -> Iterator[str]:
    owner = find_user_by_email("applicant@example.ac.uk")
    chair = find_user_by_email("chair@example.ac.uk")
    reviewer = find_user_by_email("reviewer@example.ac.uk")
    if owner is None or chair is None or reviewer is None:
        yield "run `flask demo seed` first: the demo accounts are missing"
        return
    # The review workflow's demo data may already hold decided applications; add ours only when it does not.
    already_decided = db.session.scalar(select(Decision.id).limit(1)) is not None
    for title, outcome, conditions, comment in DECIDED:
        submission = db.session.scalar(
            select(Submission).where(Submission.owner_id == owner.id, Submission.title == title))
        if submission is None and already_decided:
            continue
        if submission is None:
            submission = services.create_submission(owner, title)
            db.session.add(SubmissionMember(submission_id=submission.id, email="colleague@example.ac.uk",
                                            role="editor", invited_by_id=owner.id, accepted_at=utcnow()))
            db.session.commit()
            for section_id, values in _answers_for(title).items():
                form = dict(values)
                form["__present__"] = list(values)
                services.save_section(submission, section_id, form, owner, check_required=False)
            services.submit(submission, owner)
            _decide(submission, chair, reviewer, outcome, conditions, comment)
            yield f"created decided application {submission.reference} “{title}” ({OUTCOMES[outcome]})"
    # A signed assessment for every decided round that has none yet.
    archived = set(db.session.execute(select(Document.submission_id, Document.round_number)
                                      .where(Document.kind == "decision")).tuples())
    for decision in db.session.scalars(select(Decision).order_by(Decision.id)).all():
        if (decision.submission_id, decision.round_number) in archived:
            continue
        reference = db.session.get_one(Submission, decision.submission_id).reference
        job = document_services.request_assessment(decision.submission_id, decision.round_number, "decision",
                                                   decision.decided_by_id, inline=True)
        if job.status == "done":
            yield f"signed assessment of {reference} round {decision.round_number} archived"
        else:
            yield f"signed assessment of {reference} round {decision.round_number} FAILED: {job.error}"
    yield "demo documents ready"


def _decide(submission: Submission, chair, reviewer, outcome: str, conditions: list[str], comment: str) -> None:
    now = utcnow()
    number = submission.round_number
    db.session.add(Assignment(
        submission_id=submission.id, round_number=number, reviewer_id=reviewer.id, kind="reviewer",
        coi_status="none", coi_declared_at=now, recommendation="approve_with_conditions" if conditions else "approve",
        summary="A well-described project with public data and a modest compute budget.", completed_at=now,
    ))
    db.session.add(Comment(submission_id=submission.id, round_number=number, question_id="B4",
                           author_id=reviewer.id, body=comment, visibility="applicant", released_at=now))
    db.session.add(Comment(submission_id=submission.id, round_number=number, question_id=None,
                           author_id=chair.id, body="Low risk; suitable for chair's action.", visibility="committee"))
    meaning = {"approved": "Approved — chair", "approved_with_conditions": "Approved with conditions — chair"}[outcome]
    decision = Decision(submission_id=submission.id, round_number=number, outcome=outcome,
                        summary="The committee approves this project." + (" Conditions apply." if conditions else ""),
                        decided_by_id=chair.id, decided_at=now, signature_name=chair.name, signature_meaning=meaning)
    db.session.add(decision)
    db.session.flush()
    for text in conditions:
        db.session.add(Condition(decision_id=decision.id, submission_id=submission.id, text=text,
                                 due_on=date.today() + timedelta(days=90)))
    submission.state = outcome
    submission.updated_at = now
    audit.record("decision.recorded", actor=chair, object_type="decision", object_id=decision.id,
                 submission_id=submission.id,
                 data={"outcome": outcome, "round": number, "conditions": conditions, "demo": True,
                       "signature": {"name": chair.name, "at": now.isoformat(), "meaning": meaning}})
    db.session.commit()

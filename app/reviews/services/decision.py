"""The chair's work: what awaits a decision, what blocks one, and the signed decision with its assessment."""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import NamedTuple

from flask import current_app
from sqlalchemy import select

from app.auth.models import User, UserRole
from app.auth.services import reentered_password_ok
from app.core import audit, lists
from app.core.models import utcnow
from app.core.permissions import require
from app.documents.models import RenderJob
from app.documents.services import assessment_job, request_assessment
from app.extensions import db
from app.reviews.models import Assignment, Comment, Condition, Decision
from app.reviews.permissions import can_decide, decides_as
from app.reviews.services.approval import checked_valid_until, long_date
from app.reviews.services.notifications import link, notify_team
from app.reviews.services.records import ReviewRuleError, active_assignments, round_of, under_review_of
from app.submissions import workflow
from app.submissions.models import Submission, SubmissionMember
from app.submissions.services import lock
from app.submissions.workflow import OUTCOMES, State

OUTCOME_MEANINGS = {
    "approved": "Approved",
    "approved_with_conditions": "Approved with conditions",
    "changes_requested": "Changes requested (revise and resubmit)",
    "rejected": "Rejected",
}


class Decided(NamedTuple):
    decision: Decision
    job: RenderJob | None  # the signed assessment's rendering; None when it is not produced automatically


CHAIR_PER_PAGE = 25
CHAIR_SORTS = {"due": Submission.due_on}


def awaiting_decision(chair: User, *, sort: str, direction: str, page: int
                      ) -> tuple[list[Submission], dict[int, list[Assignment]], int, bool]:
    """One page of the applications in review, soonest due first, except the chair's own team's; with each
    one's active assignments on its current round; how many there are (counted up to lists.COUNT_LIMIT) and
    whether there are more."""
    # The chair's own team is left out in the query (as is_team_member would), so that a page is one LIMIT
    # whatever the number in review.
    own_team = select(SubmissionMember.submission_id).where(SubmissionMember.email == chair.email,
                                                             SubmissionMember.accepted_at.is_not(None))
    # Nor those they declared a conflict on; a deputy chair (who is not also chair) sees only those a chair did.
    recused = select(Assignment.submission_id).where(Assignment.reviewer_id == chair.id,
                                                     Assignment.coi_status == "declared")
    query = (select(Submission)
             .where(Submission.state == State.IN_REVIEW.value, Submission.owner_id != chair.id,
                    Submission.id.not_in(own_team), Submission.id.not_in(recused))
             .order_by(*lists.order(CHAIR_SORTS[sort], Submission.id, descending=direction == "desc", nullable=True)))
    if not chair.has_role("chair"):
        chair_recused = (select(Assignment.submission_id).join(UserRole, UserRole.user_id == Assignment.reviewer_id)
                         .where(Assignment.coi_status == "declared", UserRole.role == "chair"))
        query = query.where(Submission.id.in_(chair_recused))
    total, more = lists.capped_count(query)
    rows = list(db.session.scalars(query.limit(CHAIR_PER_PAGE).offset((page - 1) * CHAIR_PER_PAGE)))
    assignments: dict[int, list[Assignment]] = defaultdict(list)
    if rows:
        for a in db.session.scalars(
                select(Assignment).join(Submission, Submission.id == Assignment.submission_id)
                .where(Assignment.submission_id.in_([s.id for s in rows]), Assignment.active.is_(True),
                       Assignment.round_number == Submission.round_number)):
            assignments[a.submission_id].append(a)
    return rows, assignments, total, more


def decision_blockers(submission: Submission, outcome: str) -> list[str]:
    assignments = active_assignments(submission)
    blockers = []
    reviewers = [a for a in assignments if a.kind == "reviewer"]
    done = [a for a in reviewers if a.recommendation]
    required = workflow.REVIEWERS_REQUIRED.get(submission.route or "standard", 2)
    if len(done) < required:
        blockers.append(f"{len(done)} of the {required} required reviewer recommendations are in.")
    signoffs = [a.signoff for a in assignments if a.kind == "security" and a.signoff is not None]
    if submission.security_signoff_required and not signoffs:
        # The route asks for the security officer's findings before any decision: they shape every outcome
        # (the conditions of an approval, the changes to ask for, the reasons to reject).
        blockers.append("Dual use is High: the security officer must sign off before a decision.")
    if outcome in ("approved", "approved_with_conditions") and any(s.trusted_research == "refer" for s in signoffs):
        blockers.append("The security officer referred the application for a further decision: it cannot be "
                        "approved until the referral is answered.")
    return blockers


def decide(submission: Submission, actor: User, *, outcome: str, summary: str, conditions: list[str],
           password: str, valid_until: date | None = None, today: date | None = None) -> Decided:
    """Record the chair's signed decision; the signed assessment is then asked for (its job is returned, for the
    page to show its progress). An approval is valid until `valid_until`, or the default the page offered
    (approval.checked_valid_until)."""
    review = under_review_of(submission)
    require(can_decide, actor, review)
    lock(submission)
    existing = db.session.scalar(select(Decision).where(Decision.submission_id == submission.id,
                                                        Decision.round_number == submission.round_number))
    if existing is not None:
        # The password first: a wrong one is a failed signature whatever the round's state, never an answer
        # that the decision was signed.
        if not _signature_ok(submission, actor, password, decided=True):
            raise workflow.TransitionError(f"decide:{outcome}", submission.state)
        return Decided(existing, assessment_job(submission.id, existing.round_number, "decision"))  # a repeated click
    target, conditions, valid_until = _checked(submission, outcome, conditions, valid_until, today or date.today())
    if not _signature_ok(submission, actor, password, decided=False):
        raise ReviewRuleError("Your password was not right, so the decision was not signed.")
    now = utcnow()
    capacity = decides_as(actor, review)
    decision = Decision(submission_id=submission.id, round_number=submission.round_number, outcome=outcome,
                        summary=summary.strip(), decided_by_id=actor.id, decided_at=now,
                        signature_name=actor.name, signature_meaning=f"{OUTCOME_MEANINGS[outcome]} — {capacity}",
                        valid_until=valid_until)
    db.session.add(decision)
    db.session.flush()
    for text in conditions:
        db.session.add(Condition(decision_id=decision.id, submission_id=submission.id, text=text))
    # Comments addressed to the applicant are released with the decision.
    for comment in db.session.scalars(select(Comment).where(
            Comment.submission_id == submission.id, Comment.visibility == "applicant",
            Comment.released_at.is_(None))):
        comment.released_at = now
    submission.state = target.value
    submission.updated_at = now
    submission.valid_until = valid_until
    submission.expiry_reminded_days = None
    audit.record("decision.recorded", actor=actor, object_type="decision", object_id=decision.id,
                 submission_id=submission.id,
                 data={"outcome": outcome, "round": submission.round_number, "conditions": conditions,
                       "valid_until": valid_until.isoformat() if valid_until else None,
                       "capacity": capacity, "recused": [a.reviewer.email for a in review.recusals],
                       "signature": {"name": actor.name, "at": now.isoformat(), "meaning": decision.signature_meaning}})
    notify_team(submission, f"Decision on {submission.reference}: {OUTCOMES[outcome]}",
                 f"The committee has decided on \"{submission.title}\": {OUTCOMES[outcome]}.\n"
                 + (f"The approval is valid until {long_date(valid_until)}.\n" if valid_until else "")
                 + ("\nConditions:\n" + "\n".join(f"- {c}" for c in conditions) + "\n" if conditions else "")
                 + f"\nRead the decision and the reviewers' comments: "
                 f"{link('reviews.feedback', submission_id=submission.id)}")
    db.session.commit()
    return Decided(decision, request_assessment_of(submission, decision.round_number, "decision", actor))


def _checked(submission: Submission, outcome: str, conditions: list[str], valid_until: date | None, today: date
             ) -> tuple[State, list[str], date | None]:
    """The decision's rules: the state it moves to, its conditions and an approval's valid-until date, or the
    rule it breaks (ReviewRuleError)."""
    if outcome not in OUTCOMES:
        raise ReviewRuleError("Choose a decision.")
    target = workflow.next_state(f"decide:{outcome}", submission.state)
    conditions = [c.strip() for c in conditions if c.strip()]
    if outcome == "approved_with_conditions" and not conditions:
        raise ReviewRuleError("List at least one condition.")
    if outcome != "approved_with_conditions":
        conditions = []
    blockers = decision_blockers(submission, outcome)
    if blockers:
        raise ReviewRuleError(" ".join(blockers))
    if outcome in workflow.APPROVAL_IN_FORCE_STATES:
        answered = round_of(submission, submission.round_number)
        valid_until = checked_valid_until(answered.answers if answered else {}, valid_until, today)
    else:
        valid_until = None
    return target, conditions, valid_until


def _signature_ok(submission: Submission, actor: User, password: str, *, decided: bool) -> bool:
    """The chair's password, asked again to sign; a wrong one is audited as a failed signature. Throttled like
    sign-in: too many wrong passwords and the page answers 429 (app/auth/throttle.py)."""
    if reentered_password_ok(actor, password or "", purpose="decision"):
        return True
    audit.record("decision.signature_failed", actor=actor, object_type="submission", object_id=submission.id,
                 submission_id=submission.id, data={"round": submission.round_number, "already_decided": decided})
    db.session.commit()
    return False


def request_assessment_of(submission: Submission, round_number: int, kind: str, actor: User) -> RenderJob | None:
    """Produce the signed assessment for the archive once the decision is committed.

    With Redis this only queues a job; without, it renders once this request's response has been sent, so the
    response never waits for the PDF. A rendering failure is recorded on the job (and retried) by the documents
    service, never lost, and never undoes the decision.
    """
    if not current_app.config.get("ASSESSMENT_AUTO_RENDER", True):
        return None
    return request_assessment(submission.id, round_number, kind, actor.id, deferred=True)

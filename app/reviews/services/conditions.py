"""Conditions of an approval: reported met by the applicant, confirmed by the research office; the last
confirmation approves."""
from __future__ import annotations

from sqlalchemy import func, select

from app.auth.models import User
from app.core import audit
from app.core.models import utcnow
from app.core.permissions import require
from app.extensions import db
from app.reviews.models import Condition
from app.reviews.permissions import (
    can_confirm_condition,
    can_report_condition,
    can_send_back_condition,
)
from app.reviews.services.decision import request_assessment_of
from app.reviews.services.notifications import link, notify, notify_team, users_with_role
from app.reviews.services.records import ReviewRuleError
from app.submissions import workflow
from app.submissions.models import Submission
from app.submissions.services import lock


def report_condition(condition: Condition, actor: User, note: str) -> None:
    """The applicant reports a condition met, with the evidence the research office checks (required)."""
    require(can_report_condition, actor, condition)
    submission = lock(db.session.get_one(Submission, condition.submission_id))
    workflow.require("report_condition", submission.state)
    if condition.reported_met_at is not None:
        return
    note = note.strip()
    if not note:
        raise ReviewRuleError("Explain how the condition was met, so the research office can check it")
    condition.reported_met_at = utcnow()
    condition.reported_by_id = actor.id
    condition.report_note = note
    audit.record("condition.reported_met", actor=actor, object_type="condition", object_id=condition.id,
                 submission_id=submission.id, data={"note": note})
    for coordinator in users_with_role("coordinator"):
        notify(coordinator, f"Condition reported met: {submission.reference}",
               f"The applicant reports a condition met on {submission.reference}: {condition.text}\n"
               f"Confirm it: {link('reviews.triage', submission_id=submission.id)}")
    db.session.commit()


def send_back_condition(condition: Condition, actor: User, reason: str) -> None:
    """The research office returns a reported condition to the applicant, with the reason (required): the report
    is cleared so the applicant reports again; the evidence sent back stays in the audit trail."""
    require(can_send_back_condition, actor, condition)
    submission = lock(db.session.get_one(Submission, condition.submission_id))
    workflow.require("send_back_condition", submission.state)
    reason = reason.strip()
    if not reason:
        raise ReviewRuleError("Give the reason for sending the condition back")
    if condition.confirmed_at is not None:
        raise ReviewRuleError("This condition is confirmed met already.")
    if condition.reported_met_at is None:
        raise ReviewRuleError("The applicant has not reported this condition as met yet.")
    audit.record("condition.sent_back", actor=actor, object_type="condition", object_id=condition.id,
                 submission_id=submission.id,
                 data={"reason": reason, "note": condition.report_note or "", "text": condition.text})
    condition.sent_back_at = utcnow()
    condition.sent_back_by_id = actor.id
    condition.send_back_reason = reason
    condition.reported_met_at = None
    condition.reported_by_id = None
    condition.report_note = None
    notify_team(submission, f"Condition sent back: {submission.reference}",
                f"The research office sent back your report of a condition on \"{submission.title}\".\n\n"
                f"Condition: {condition.text}\n\nWhy: {reason}\n\n"
                f"Report it again: {link('reviews.feedback', submission_id=submission.id)}")
    db.session.commit()


def confirm_condition(condition: Condition, actor: User) -> bool:
    """Confirm a condition; the last confirmation approves the application. Returns True when it did."""
    require(can_confirm_condition, actor, condition)
    submission = lock(db.session.get_one(Submission, condition.submission_id))
    workflow.require("confirm_condition", submission.state)
    if condition.reported_met_at is None:
        raise ReviewRuleError("The applicant has not reported this condition as met yet.")
    if condition.confirmed_at is not None:
        return False
    condition.confirmed_at = utcnow()
    condition.confirmed_by_id = actor.id
    audit.record("condition.confirmed", actor=actor, object_type="condition", object_id=condition.id,
                 submission_id=submission.id, data={"text": condition.text})
    remaining = db.session.scalar(select(func.count()).select_from(Condition).where(
        Condition.submission_id == submission.id, Condition.confirmed_at.is_(None)))
    approved = False
    if remaining == 0:
        submission.state = workflow.next_state("conditions_met", submission.state).value
        submission.updated_at = utcnow()
        audit.record("conditions.all_met", actor=actor, object_type="submission", object_id=submission.id,
                     submission_id=submission.id, data={"round": submission.round_number})
        notify_team(submission, f"{submission.reference} approved",
                     f"Every condition on \"{submission.title}\" has been confirmed: the application is approved.")
        approved = True
    db.session.commit()
    if approved:
        request_assessment_of(submission, submission.round_number, "conditions_met", actor)
    return approved

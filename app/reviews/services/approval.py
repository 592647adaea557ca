"""The approval period: the valid-until date an approval carries (its default and its rules, applied when the
chair approves), the team's reminders before it, and the expiry after it.

An approval is valid up to and including its valid-until date; it lapses the next day, when the daily job
(`flask reviews send-reminders`) moves the application to `expired`. Every date is a calendar date, `today`
passed in by the caller (the command passes the real one; tests pass their own).
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any, NamedTuple

from flask import current_app
from sqlalchemy import select

from app.core import audit
from app.extensions import db
from app.reviews.services.notifications import link, notify_team
from app.reviews.services.records import ReviewRuleError, round_of
from app.submissions import workflow
from app.submissions.models import Submission, approval_lapses_on
from app.submissions.services import lock
from app.submissions.workflow import APPROVAL_IN_FORCE_STATES, State

# Days before the valid-until date on which the team is reminded, each once.
REMIND_DAYS_BEFORE_EXPIRY = (60, 30, 7)
# The questionnaire's planned start and end dates (v2); a v1 round has neither.
PROJECT_START, PROJECT_END = "A6", "A7"


class ApprovalPeriodError(ReviewRuleError):
    """A valid-until date the approval cannot have: the decision page says why beside the field."""


def long_date(day: date) -> str:
    return f"{day:%-d %B %Y}"


def _answered_date(answers: dict[str, Any], question_id: str) -> date | None:
    try:
        return date.fromisoformat(str(answers.get(question_id) or ""))
    except ValueError:
        return None


def project_dates(answers: dict[str, Any]) -> tuple[date | None, date | None]:
    """The planned start and end of the project, as the round answers them."""
    return _answered_date(answers, PROJECT_START), _answered_date(answers, PROJECT_END)


def latest_allowed(today: date) -> date:
    """The last day an approval given `today` may run to: APPROVAL_MAX_YEARS years on."""
    years = int(current_app.config["APPROVAL_MAX_YEARS"])
    try:
        return today.replace(year=today.year + years)
    except ValueError:  # 29 February, to a year without one
        return today.replace(year=today.year + years, day=28)


def default_valid_until(answers: dict[str, Any], today: date) -> date | None:
    """What the decision page offers: the project's end date, no later than the longest approval allowed; None
    when the round gives no end date (the chair enters one)."""
    _start, end = project_dates(answers)
    return min(end, latest_allowed(today)) if end else None


class PeriodOffer(NamedTuple):
    """What the decision page says of the approval period: the project's dates as answered, the date it offers
    and the latest one allowed."""
    start: date | None
    end: date | None
    default: date | None
    latest: date


def approval_period_offer(submission: Submission, today: date) -> PeriodOffer:
    answered = round_of(submission, submission.round_number)
    answers = answered.answers if answered else {}
    start, end = project_dates(answers)
    return PeriodOffer(start, end, default_valid_until(answers, today), latest_allowed(today))


def checked_valid_until(answers: dict[str, Any], typed: date | None, today: date) -> date:
    """The valid-until date an approval given `today` gets: the one the chair typed, or the default; refused
    (ApprovalPeriodError) when there is none, when it is in the past, before the project starts or later than
    the institution allows."""
    start, _end = project_dates(answers)
    valid_until = typed or default_valid_until(answers, today)
    if valid_until is None:
        raise ApprovalPeriodError("Enter the date the approval is valid until: this application gives no project "
                                  "end date.")
    if valid_until < today:
        raise ApprovalPeriodError(f"The approval cannot end in the past: choose {long_date(today)} or later.")
    if start is not None and valid_until < start:
        raise ApprovalPeriodError(f"The approval cannot end before the project starts ({long_date(start)}, "
                                  "question A6).")
    latest = latest_allowed(today)
    if valid_until > latest:
        years = current_app.config["APPROVAL_MAX_YEARS"]
        raise ApprovalPeriodError(f"An approval lasts at most {years} years: choose {long_date(latest)} or "
                                  "earlier.")
    return valid_until


def _reminder_due(valid_until: date, today: date) -> int | None:
    """The smallest reminder threshold the approval has reached, if any."""
    days_left = (valid_until - today).days
    reached = [days for days in REMIND_DAYS_BEFORE_EXPIRY if days_left <= days]
    return min(reached) if reached else None


def send_expiry_reminders(today: date) -> int:
    """Mail each team whose approval reaches 60, 30 or 7 days before its valid-until date. Each reminder goes
    once: a run that finds several reached (the job did not run for a while) sends only the nearest."""
    horizon = today + timedelta(days=max(REMIND_DAYS_BEFORE_EXPIRY))
    candidates = db.session.scalars(
        select(Submission).where(Submission.state.in_([state.value for state in APPROVAL_IN_FORCE_STATES]),
                                 Submission.valid_until.is_not(None), Submission.valid_until <= horizon,
                                 Submission.valid_until >= today)
        .order_by(Submission.id)).all()
    sent = 0
    for submission in candidates:
        valid_until = submission.valid_until
        if valid_until is None:
            continue  # not selected by the query: only approvals with a date are
        due = _reminder_due(valid_until, today)
        if due is None or (submission.expiry_reminded_days is not None and submission.expiry_reminded_days <= due):
            continue
        days_left = (valid_until - today).days
        submission.expiry_reminded_days = due
        audit.record("approval.expiry_reminder_sent", actor=None, object_type="submission", object_id=submission.id,
                     submission_id=submission.id,
                     data={"valid_until": valid_until.isoformat(), "days_before": due, "days_left": days_left})
        notify_team(submission, f"Approval of {submission.reference} expires in {days_left} "
                                f"day{'s' if days_left != 1 else ''}",
                    f"The ethics approval of \"{submission.title}\" is valid until {long_date(valid_until)}. "
                    f"From {long_date(approval_lapses_on(valid_until))} it no longer covers the work: speak to the "
                    "research office about renewing it before then.\n"
                    f"{link('submissions.task_list', submission_id=submission.id)}")
        sent += 1
    db.session.commit()
    return sent


def expire_approvals(today: date) -> int:
    """Move every approval whose valid-until date has passed to `expired`, audited and mailed to its team."""
    ids = db.session.scalars(
        select(Submission.id).where(Submission.state.in_([state.value for state in APPROVAL_IN_FORCE_STATES]),
                                    Submission.valid_until < today).order_by(Submission.id)).all()
    expired = 0
    for submission_id in ids:
        submission = lock(db.session.get_one(Submission, submission_id))
        valid_until = submission.valid_until
        if valid_until is None or valid_until >= today or State(submission.state) not in APPROVAL_IN_FORCE_STATES:
            db.session.commit()  # changed since it was listed
            continue
        before = submission.state
        lapsed_on = approval_lapses_on(valid_until)
        submission.state = workflow.next_state("expire", before).value
        audit.record("approval.expired", actor=None, object_type="submission", object_id=submission.id,
                     submission_id=submission.id,
                     data={"valid_until": valid_until.isoformat(), "lapsed_on": lapsed_on.isoformat(), "from": before})
        notify_team(submission, f"Approval expired: {submission.reference}",
                    f"The ethics approval of \"{submission.title}\" was valid until {long_date(valid_until)} and "
                    f"expired on {long_date(lapsed_on)}. The work it covered must not go on until the approval is "
                    "renewed: speak to the research office.\n"
                    f"{link('submissions.task_list', submission_id=submission.id)}")
        db.session.commit()
        expired += 1
    return expired

"""Mail from the review: to one person, to an application's team, to everyone holding a role; reviewers'
reminders; links always under the configured public address."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select

from app.auth.models import User, UserRole
from app.core import audit
from app.core.mail import queue_mail
from app.core.models import utcnow
from app.core.web import external_url
from app.extensions import db
from app.reviews.models import Assignment
from app.submissions.models import Submission
from app.submissions.workflow import State

REMIND_DAYS_BEFORE = 2


def send_reminders(today: date | None = None) -> int:
    """Mail reviewers whose review is due within REMIND_DAYS_BEFORE days or overdue; once a day at most."""
    today = today or date.today()
    horizon = today + timedelta(days=REMIND_DAYS_BEFORE)
    start_of_day = datetime.combine(today, datetime.min.time()).replace(tzinfo=utcnow().tzinfo)
    due = db.session.scalars(
        select(Assignment).join(Submission, Submission.id == Assignment.submission_id)
        .where(Assignment.active.is_(True), Assignment.recommendation.is_(None),
               Assignment.round_number == Submission.round_number,
               Submission.state.in_([State.SUBMITTED.value, State.IN_REVIEW.value]),
               Assignment.due_on.is_not(None), Assignment.due_on <= horizon,
               or_(Assignment.last_reminded_at.is_(None), Assignment.last_reminded_at < start_of_day))
    ).all()
    for assignment in due:
        due_on = assignment.due_on
        if due_on is None:
            continue  # not selected by the query: only assignments with a due date are
        submission = db.session.get_one(Submission, assignment.submission_id)
        overdue = due_on < today
        notify(assignment.reviewer,
               f"{'Overdue' if overdue else 'Due soon'}: review of {submission.reference}",
               f"Your review of {submission.reference} \"{submission.title}\" "
               f"{'was due' if overdue else 'is due'} on {due_on.strftime('%-d %B %Y')}.\n"
               f"{link('reviews.assignment', assignment_id=assignment.id)}", immediate=True)
        assignment.last_reminded_at = utcnow()
        audit.record("reminder.sent", actor=None, object_type="assignment", object_id=assignment.id,
                     submission_id=submission.id, data={"due": due_on.isoformat(), "overdue": overdue})
    db.session.commit()
    return len(due)


def notify(user: User, subject: str, body: str, *, immediate: bool = False) -> None:
    queue_mail(user.email, subject, body, user_id=user.id, digest=user.mail_digest and not immediate)


def notify_team(submission: Submission, subject: str, body: str) -> None:
    notify(submission.owner, subject, body)
    emails = [m.email for m in submission.joined_members]
    users = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))} if emails else {}
    for email in emails:
        if email in users:
            notify(users[email], subject, body)
        else:
            queue_mail(email, subject, body)


def users_with_role(role: str) -> list[User]:
    return list(db.session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id).where(UserRole.role == role, User.active.is_(True))
    ))


def link(endpoint: str, **values: Any) -> str:
    # Always under the configured public address, never the request's Host header (and the same from the CLI).
    return external_url(endpoint, **values)

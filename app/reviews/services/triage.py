"""The research office's work: the queue, the route, assigning reviewers and starting the review."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Row, Select, and_, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from app.auth.models import User, UserRole
from app.core import audit, lists
from app.core.csvfile import stream_csv
from app.core.models import utcnow
from app.core.permissions import ROLES, require
from app.extensions import db
from app.reviews.models import COI_DECLARED, KIND_ROLES, Assignment, Condition
from app.reviews.permissions import (
    can_triage,
    can_unassign,
)
from app.reviews.services.extras import missing_extra_reviewers
from app.reviews.services.notifications import link, notify, notify_team
from app.reviews.services.records import REVIEW_DAYS, ReviewRuleError, active_assignments
from app.submissions import workflow
from app.submissions.models import TIER_RANK, Submission
from app.submissions.permissions import is_team_member, recusing_roles
from app.submissions.services import lock
from app.submissions.workflow import State


@dataclass
class QueueFilters:
    state: str = "open"
    tier: str = ""
    route: str = ""
    flag: str = ""  # a key of QUEUE_FLAGS
    search: str = ""
    page: int = 1
    per_page: int = 25
    sort: str = "waiting"  # a key of QUEUE_SORTS
    direction: str = "asc"


QUEUE_STATES = {
    "open": (State.SUBMITTED, State.IN_REVIEW, State.CHANGES_REQUESTED, State.APPROVED_WITH_CONDITIONS),
    "triage": (State.SUBMITTED,),
    "in_review": (State.IN_REVIEW,),
    "changes_requested": (State.CHANGES_REQUESTED,),
    "conditions": (State.APPROVED_WITH_CONDITIONS,),
    "decided": (State.APPROVED, State.REJECTED),
    "withdrawn": (State.WITHDRAWN,),
    "expired": (State.EXPIRED,),
}

# Triage and review: the states in which reviewers are assigned, replaced and waited for.
_BEING_REVIEWED = (State.SUBMITTED.value, State.IN_REVIEW.value)


def _overdue(today: date):
    return and_(Submission.state == State.IN_REVIEW.value, Submission.due_on < today)


def _unreplaced(recused: Any):
    """`recused` (an alias of Assignment) is a declared conflict (ix_assignment_declared) nobody of the same kind
    has been assigned in place of since."""
    since = select(Assignment.id).where(
        Assignment.submission_id == recused.submission_id, Assignment.round_number == recused.round_number,
        Assignment.kind == recused.kind, Assignment.active.is_(True), Assignment.coi_status != COI_DECLARED,
        Assignment.assigned_at > recused.coi_declared_at)
    return and_(recused.coi_status == COI_DECLARED, ~since.exists())


def _recusal_to_replace():
    """Someone declared a conflict on the current round of an application in triage or review, and nobody has
    been assigned in their place since: the office finds someone else."""
    recused = aliased(Assignment)
    declared = select(recused.id).where(recused.submission_id == Submission.id,
                                        recused.round_number == Submission.round_number, _unreplaced(recused))
    return and_(Submission.state.in_(_BEING_REVIEWED), declared.exists())


def _conditions_reported():
    """A condition reported met waits for the office's confirmation (ix_condition_awaiting_confirmation)."""
    waiting = select(Condition.id).where(Condition.submission_id == Submission.id,
                                         Condition.reported_met_at.is_not(None), Condition.confirmed_at.is_(None))
    return waiting.exists()


# What a row can be flagged with, each also a filter: (label, condition given today's date).
QUEUE_FLAGS = {
    "overdue": ("Overdue", _overdue),
    "recusal": ("Recusal to replace", lambda today: _recusal_to_replace()),
    "conditions_reported": ("Conditions reported met", lambda today: _conditions_reported()),
}


def _queue_query(filters: QueueFilters, today: date, *columns: Any) -> Select[Any]:
    """The queue's rows matching the filters, in the chosen order, as `columns`."""
    states = QUEUE_STATES.get(filters.state, QUEUE_STATES["open"])
    query = select(*columns).select_from(Submission).where(Submission.state.in_([s.value for s in states]))
    if filters.tier:
        query = query.where(Submission.overall_tier == filters.tier)
    if filters.route:
        query = query.where(Submission.route == filters.route)
    if filters.flag in QUEUE_FLAGS:
        query = query.where(QUEUE_FLAGS[filters.flag][1](today))
    if filters.search:
        like = f"%{filters.search.strip().lower()}%"
        query = query.where(or_(func.lower(Submission.reference).like(like), func.lower(Submission.title).like(like)))
    column, nullable = QUEUE_SORTS.get(filters.sort, QUEUE_SORTS["waiting"])
    return query.order_by(*lists.order(column, Submission.id, descending=filters.direction == "desc",
                                       nullable=nullable))


def _queue_rows(filters: QueueFilters, today: date) -> Select[Any]:
    """What a row shows (QUEUE_COLUMNS, the owner's name and department, the flags), the owner joined by key."""
    flags = [condition(today).label(key) for key, (_label, condition) in QUEUE_FLAGS.items()]
    return _queue_query(filters, today, *QUEUE_COLUMNS, User.name.label("pi"), User.department, *flags).join(
        User, User.id == Submission.owner_id)


def coordinator_queue(filters: QueueFilters, today: date) -> tuple[Sequence[Row[Any]], int, bool]:
    """One page of the queue: rows with the columns a row shows (QUEUE_COLUMNS, pi, department and a true/false
    column per QUEUE_FLAGS key), how many match (counted up to lists.COUNT_LIMIT) and whether more than that do."""
    limit = lists.search_count_limit(filters.page, filters.per_page) if filters.search else None
    total, more = lists.capped_count(_queue_query(filters, today, Submission.id), limit)
    rows = db.session.execute(_queue_rows(filters, today).limit(filters.per_page)
                              .offset((max(filters.page, 1) - 1) * filters.per_page)).all()
    return rows, total, more


QUEUE_CSV_COLUMNS = ["reference", "title", "pi", "department", "tier", "route", "state", "submitted_on", "due_on",
                     "flags"]
QUEUE_CSV_BATCH = 500


def queue_csv(filters: QueueFilters, today: date) -> Iterator[str]:
    """Every application the filters match (not one page), in the queue's order, as CSV: streamed a batch at a
    time, each row what the queue's row shows. A generator: the statement runs as the response is sent, after the
    request's own commits, which would close the server-side cursor it reads from."""
    rows = db.session.execute(_queue_rows(filters, today).execution_options(yield_per=QUEUE_CSV_BATCH))
    yield from stream_csv(QUEUE_CSV_COLUMNS, ([_csv_row(row) for row in batch] for batch in rows.partitions()))


def _csv_row(row: Row[Any]) -> list[Any]:
    flags = "; ".join(label for key, (label, _condition) in QUEUE_FLAGS.items() if getattr(row, key))
    return [row.reference or "", row.title, row.pi, row.department or "", row.overall_tier or "",
            workflow.ROUTES.get(row.route or "", ""), workflow.STATE_LABELS.get(State(row.state), row.state),
            row.submitted_at.date().isoformat() if row.submitted_at else "",
            row.due_on.isoformat() if row.due_on else "", flags]


@dataclass
class WorkCount:
    label: str
    count: int
    more: bool
    # The queue's filter that lists them (query arguments), when one does.
    filter: dict[str, str]


def work_counts(today: date) -> list[WorkCount]:
    """What waits for the research office, each counted from an index up to lists.COUNT_LIMIT: applications to
    triage, in review, overdue, conditions reported met and waiting for confirmation, and recusals (a conflict
    declared on the current round of an application in triage or review) whose reviewer needs replacing."""
    recused = aliased(Assignment)
    counts = [
        ("To triage", select(Submission.id).where(Submission.state == State.SUBMITTED.value), {"state": "triage"}),
        ("In review", select(Submission.id).where(Submission.state == State.IN_REVIEW.value), {"state": "in_review"}),
        ("Overdue", select(Submission.id).where(_overdue(today)), {"state": "in_review", "flag": "overdue"}),
        ("Conditions reported met", select(Condition.id).where(
            Condition.reported_met_at.is_not(None), Condition.confirmed_at.is_(None)), {"flag": "conditions_reported"}),
        ("Recusals to replace", select(recused.id).join(Submission, and_(
            Submission.id == recused.submission_id, Submission.round_number == recused.round_number)).where(
            _unreplaced(recused), Submission.state.in_(_BEING_REVIEWED)), {"flag": "recusal"}),
    ]
    return [WorkCount(label, *lists.capped_count(query), link) for label, query, link in counts]


# What a row of the queue shows, read as plain rows: a page of the queue changes nothing, and 25 ORM objects
# cost more than the query.
QUEUE_COLUMNS = (Submission.id, Submission.reference, Submission.title, Submission.overall_tier, Submission.route,
                 Submission.route_override_reason, Submission.state, Submission.submitted_at, Submission.due_on)


# Columns the coordinator's queue sorts by ("waiting": longest waiting first when ascending), and whether the
# queue's rows can leave them empty; each has its index (app.submissions.models.SUBMISSION_INDEXES).
QUEUE_SORTS = {
    # A withdrawn draft has no reference: it comes first when sorted descending.
    "reference": (Submission.reference, False), "title": (Submission.title, False), "tier": (TIER_RANK, True),
    "route": (Submission.route, True), "state": (Submission.state, False), "waiting": (Submission.submitted_at, False),
    "due": (Submission.due_on, True),
}


class Candidate(NamedTuple):
    """Someone the office may assign, with what it chooses by: their committee roles, how many reviews they
    have open (assigned, not recused, no recommendation yet, on an application in triage or review) and their
    areas of expertise (User.expertise)."""
    user: User
    roles: list[str]
    load: int

    @property
    def is_chair(self) -> bool:
        return "chair" in self.user.roles


# The roles a candidate is described by, in this order.
_CANDIDATE_ROLES = {"chair": "Chair", "deputy_chair": "Deputy chair", "reviewer": "Reviewer",
                    "security_officer": "Security officer", "sustainability_reviewer": "Sustainability reviewer",
                    "data_steward": "Data steward"}


class RecusedMember(NamedTuple):
    """A committee member or office staff on the application's team: recused since `joined_at`, in `roles`
    (those they held on accepting, and any granted since)."""
    name: str
    email: str
    roles: list[str]
    joined_at: datetime


def recused_team_members(submission: Submission) -> list[RecusedMember]:
    """The team members who hold, or held on joining, a committee or office role: the office sees who of the
    committee cannot take part, and since when."""
    joined = {member.email: member for member in submission.joined_members}
    users: Sequence[User] = db.session.scalars(
        select(User).where(User.email.in_(joined)).options(selectinload(User.role_grants))).all() if joined else []
    recused = []
    for user in users:
        member = joined[user.email]
        roles = sorted(set(member.recused_as or ()) | set(recusing_roles(user)))
        if roles and member.accepted_at is not None:
            recused.append(RecusedMember(user.name, user.email, [ROLES[role] for role in roles], member.accepted_at))
    return sorted(recused, key=lambda row: row.joined_at)


def reviewer_candidates(submission: Submission, kind: str = "reviewer") -> list[Candidate]:
    """The pool (reviewer_pool) with each person's roles and open reviews: two statements whatever its size."""
    pool = reviewer_pool(submission, kind)
    open_reviews = dict(db.session.execute(
        select(Assignment.reviewer_id, func.count(Assignment.id))
        .join(Submission, and_(Submission.id == Assignment.submission_id,
                               Submission.round_number == Assignment.round_number))
        .where(Assignment.reviewer_id.in_([u.id for u in pool]), Assignment.active.is_(True),
               Assignment.recommendation.is_(None), Assignment.coi_status != COI_DECLARED,
               Submission.state.in_(_BEING_REVIEWED))
        .group_by(Assignment.reviewer_id)).tuples().all()) if pool else {}
    return [Candidate(u, [label for role, label in _CANDIDATE_ROLES.items() if role in u.roles],
                      open_reviews.get(u.id, 0)) for u in pool]


def chair_to_confirm(reviewer_id: int | None, kind: str) -> User | None:
    """The person about to be assigned as a reviewer when they chair the committee: the office confirms that
    first (the chair decides on the application, so reviewing it too takes away an independent view)."""
    reviewer = db.session.get(User, reviewer_id) if reviewer_id and kind == "reviewer" else None
    return reviewer if reviewer is not None and reviewer.has_role("chair") else None


def reviewer_pool(submission: Submission, kind: str = "reviewer") -> list[User]:
    """Active users who could review this application: holders of the role, minus its own team and minus those
    already asked in this round (assigned, or recused for a conflict of interest), who cannot be asked again."""
    roles = KIND_ROLES[kind]
    already_asked = select(Assignment.id).where(
        Assignment.submission_id == submission.id, Assignment.round_number == submission.round_number,
        Assignment.kind == kind, Assignment.reviewer_id == User.id,
        or_(Assignment.active.is_(True), Assignment.coi_status == "declared"))
    users = db.session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role.in_(roles), User.active.is_(True), ~already_asked.exists())
        .distinct().order_by(User.name).options(selectinload(User.role_grants))
    ).all()
    return [u for u in users if not is_team_member(u, submission)]


# Who is refused when not holding a kind's role: "... is not <the name>".
POOL_NAMES = {"reviewer": "in the reviewer pool", "security": "a security officer",
              "sustainability": "a sustainability reviewer", "data_steward": "a data steward"}


def override_route(submission: Submission, actor: User, route: str, reason: str) -> None:
    require(can_triage, actor, submission)
    lock(submission)
    workflow.require("override_route", submission.state)
    if route not in workflow.ROUTES:
        raise ReviewRuleError("Choose one of the routes.")
    if not reason.strip():
        raise ReviewRuleError("Give the reason for changing the route.")
    previous = submission.route
    submission.route = route
    submission.route_override_reason = reason.strip()
    audit.record("route.overridden", actor=actor, object_type="submission", object_id=submission.id,
                 submission_id=submission.id, data={"from": previous, "to": route, "reason": reason.strip()})
    db.session.commit()


def assign(submission: Submission, actor: User, reviewer_id: int, *, kind: str = "reviewer",
           due_on: date | None = None, chair_confirmed: bool = False) -> Assignment:
    """Ask someone to review (or, kind "security", to give the security sign-off) in the current round. The chair
    is assigned as a reviewer only once the office has confirmed it (`chair_confirmed`; see chair_to_confirm)."""
    require(can_triage, actor, submission)
    lock(submission)
    workflow.require("assign", submission.state)
    reviewer = db.session.get(User, reviewer_id)
    if reviewer is None or not reviewer.active:
        raise ReviewRuleError("Choose a reviewer from the list.")
    if is_team_member(reviewer, submission):
        raise ReviewRuleError(f"{reviewer.name} is on this application's team and cannot review it.")
    if not reviewer.has_any_role(*KIND_ROLES[kind]):
        raise ReviewRuleError(f"{reviewer.name} is not {POOL_NAMES[kind]}.")
    if kind == "reviewer" and reviewer.has_role("chair") and not chair_confirmed:
        raise ReviewRuleError(f"{reviewer.name} chairs the committee: confirm before assigning them as a reviewer.")
    existing = db.session.scalar(select(Assignment).where(
        Assignment.submission_id == submission.id, Assignment.round_number == submission.round_number,
        Assignment.reviewer_id == reviewer.id, Assignment.kind == kind))
    if existing is not None and existing.active:
        # Said rather than passed over: "assigned" for a second press would claim a change that did not happen.
        raise ReviewRuleError(f"{reviewer.name} is already assigned"
                              f"{' as security officer' if kind == 'security' else ''} in this round.")
    if existing is not None and existing.coi_status == "declared":
        raise ReviewRuleError(f"{reviewer.name} declared a conflict of interest on this application.")
    due = due_on or submission.due_on or (date.today() + timedelta(days=REVIEW_DAYS.get(submission.route or "", 21)))
    if existing is not None:
        existing.active = True
        existing.due_on = due
        assignment = existing
    else:
        assignment = Assignment(submission_id=submission.id, round_number=submission.round_number,
                                reviewer_id=reviewer.id, kind=kind, assigned_by_id=actor.id, due_on=due)
        db.session.add(assignment)
    if submission.due_on is None:
        submission.due_on = due
    db.session.flush()
    audit.record("reviewer.assigned", actor=actor, object_type="assignment", object_id=assignment.id,
                 submission_id=submission.id,
                 data={"reviewer": reviewer.email, "kind": kind, "round": submission.round_number,
                       "due": due.isoformat()})
    notify(reviewer, f"Review request: {submission.reference}",
           f"You have been asked to {'give the security sign-off for' if kind == 'security' else 'review'} "
           f"{submission.reference} \"{submission.title}\" by {due.strftime('%-d %B %Y')}.\n\n"
           f"First declare any conflict of interest: {link('reviews.assignment', assignment_id=assignment.id)}")
    db.session.commit()
    return assignment


def unassign(assignment: Assignment, actor: User) -> None:
    require(can_unassign, actor, assignment)
    submission = lock(db.session.get_one(Submission, assignment.submission_id))
    workflow.require("assign", submission.state)
    if assignment.recommendation:
        raise ReviewRuleError("This reviewer has already recommended; their review is kept.")
    assignment.active = False
    audit.record("reviewer.unassigned", actor=actor, object_type="assignment", object_id=assignment.id,
                 submission_id=submission.id, data={"reviewer_id": assignment.reviewer_id})
    db.session.commit()


def review_requirements(submission: Submission) -> list[str]:
    """What is still missing before review can start (empty when ready)."""
    assignments = [a for a in active_assignments(submission) if a.coi_status != "declared"]
    reviewers = [a for a in assignments if a.kind == "reviewer"]
    missing = []
    required = workflow.REVIEWERS_REQUIRED.get(submission.route or "standard", 2)
    if len(reviewers) < required:
        missing.append(f"{workflow.ROUTES[submission.route or 'standard']} needs {required} "
                       f"reviewer{'s' if required > 1 else ''}; {len(reviewers)} assigned.")
    if submission.security_signoff_required and not any(a.kind == "security" for a in assignments):
        missing.append("Dual use is High: assign the security officer for the sign-off.")
    return missing


def start_review(submission: Submission, actor: User, *, without_extras_confirmed: bool = False) -> None:
    """Start the review once the route's reviewers are assigned. A needed extra reviewer still missing is only
    a warning (the institution may have nobody in the role), which the office confirms."""
    require(can_triage, actor, submission)
    lock(submission)
    target = workflow.next_state("start_review", submission.state)
    missing = review_requirements(submission)
    if missing:
        raise ReviewRuleError(" ".join(missing))
    without = [need.role for need in missing_extra_reviewers(submission)]
    if without and not without_extras_confirmed:
        raise ReviewRuleError("Confirm starting the review without the extra reviewers the policy asks for.")
    submission.state = target.value
    submission.updated_at = utcnow()
    audit.record("review.started", actor=actor, object_type="submission", object_id=submission.id,
                 submission_id=submission.id, data={"route": submission.route, "round": submission.round_number,
                       **({"without_extra_reviewers": without} if without else {})})
    route = workflow.ROUTES[submission.route or "standard"]
    expected = submission.due_on.strftime("%-d %B %Y") if submission.due_on else "the due date"
    notify_team(submission, f"{submission.reference} is in review",
                 f"Review of \"{submission.title}\" has started on the {route.lower()} route. Expected by {expected}.")
    db.session.commit()

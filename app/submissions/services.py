"""Every change to an application happens here: permission check, model change, audit event, mail."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, bindparam, delete, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer, joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from app.auth.models import User, UserRole, find_user_by_email, normalise_email
from app.core import audit, lists
from app.core.mail import queue_mail
from app.core.models import utcnow
from app.core.permissions import Resource, require
from app.core.web import external_url
from app.extensions import db
from app.questionnaires import footprint
from app.questionnaires.answers import (
    SectionParse,
    incomplete_problems,
    is_required_error,
    parse_section,
    required_ids,
    required_message,
    section_status,
)
from app.questionnaires.conditions import visible_question_ids
from app.questionnaires.loader import current_version, get_mapping, get_questionnaire, latest_version
from app.questionnaires.migration import earlier_answer_id, keeps_earlier_answer, plan_move
from app.questionnaires.schema import Questionnaire
from app.questionnaires.scoring import AnswerError, blocking_issues, check_answers, score
from app.submissions import workflow
from app.submissions.models import Answer, QuestionnaireVersion, ReferenceCounter, Round, Submission, SubmissionMember
from app.submissions.permissions import can_edit_answers, can_see_application, is_owner, team_role
from app.submissions.signals import round_submitted
from app.submissions.workflow import State

QUESTIONNAIRE_KEY = "ml-materials-ethics"
TITLE_QUESTION = "A1"
# Form fields that carry, per question, the version and value the page was loaded with.
BASE_FIELD_PREFIX = "__base__"


# What every page of an application reads at once (the team for the access check, the questionnaire), in the
# same round trip as the application. Not for row locks: PostgreSQL refuses FOR UPDATE across an outer join.
PAGE_LOAD_OPTIONS = (joinedload(Submission.members), joinedload(Submission.questionnaire_version),
                     # Written at submit; pages show the risk profile frozen in the round instead.
                     defer(Submission.risk_profile))
# Statements that every view of an application runs are built once: building one (and its cache key) cost
# about as much as running it, and session.get() builds its own on every call.
_PAGE_SUBMISSION = select(Submission).where(Submission.id == bindparam("submission_id")).options(*PAGE_LOAD_OPTIONS)
_ANSWERS = select(Answer).where(Answer.submission_id == bindparam("submission_id"))
# What pages show of each answer, as plain rows: a section page reads every answer of the application (its
# conditions look across sections), and ORM objects, which only a save needs, cost a quarter of the page.
_STORED_ANSWERS = select(Answer.question_id, Answer.value, Answer.invalid_input, Answer.invalid_message,
                         Answer.version).where(Answer.submission_id == bindparam("submission_id"))


def page_submission(submission_id: int) -> Submission | None:
    """The application with its team and questionnaire version, for a page about it."""
    return db.session.execute(_PAGE_SUBMISSION, {"submission_id": submission_id}).unique().scalar_one_or_none()


# An application, for every page about it: 404 unless the user is on its team or on the committee's staff.
APPLICATION: Resource[Submission] = Resource("submission", load=page_submission, visible=can_see_application)


def lock(submission: Submission) -> Submission:
    """Row-lock the application for the rest of the transaction (PostgreSQL; SQLite serialises writers)."""
    # OF submission: the refresh repeats the page's joined loads, and PostgreSQL refuses to lock the
    # nullable side of an outer join.
    db.session.refresh(submission, with_for_update={"of": Submission})
    return submission


# ---------------------------------------------------------------- access


DASHBOARD_PER_PAGE = 25


def submissions_for(user: User, page: int = 1) -> tuple[list[tuple[Submission, str]], int, bool]:
    """One page of the user's applications (owned or shared), most recently changed first, with the user's
    access to each; how many there are (counted up to lists.COUNT_LIMIT) and whether there are more."""
    # The user's ids first (owned, through the owner index; shared, through the email index), then the page
    # of them: an OR of the two would have the database walk every application newest first to find them.
    mine = union_all(select(Submission.id).where(Submission.owner_id == user.id),
                     select(SubmissionMember.submission_id).where(SubmissionMember.email == user.email,
                                                                  SubmissionMember.accepted_at.is_not(None)))
    query = select(Submission).where(Submission.id.in_(mine))
    total, more = lists.capped_count(query)
    rows = db.session.scalars(
        query.order_by(*lists.order(Submission.updated_at, Submission.id, descending=True, nullable=False))
        .limit(DASHBOARD_PER_PAGE).offset((max(page, 1) - 1) * DASHBOARD_PER_PAGE)
        .options(selectinload(Submission.members))  # team_role() reads them for every row
    ).all()
    return [(s, team_role(user, s) or "viewer") for s in rows], total, more


# ---------------------------------------------------------------- questionnaire


def current_questionnaire_version() -> QuestionnaireVersion:
    """The questionnaire version new drafts start on, registered in the database the first time it is used."""
    return _questionnaire_version_row(current_version(QUESTIONNAIRE_KEY))


def _questionnaire_version_row(version: int) -> QuestionnaireVersion:
    row = db.session.scalar(
        select(QuestionnaireVersion).where(
            QuestionnaireVersion.key == QUESTIONNAIRE_KEY, QuestionnaireVersion.version == version
        )
    )
    if row is None:
        questionnaire = get_questionnaire(QUESTIONNAIRE_KEY, version)
        row = QuestionnaireVersion(
            key=QUESTIONNAIRE_KEY, version=version, title=questionnaire.title, sha256=questionnaire.sha256
        )
        db.session.add(row)
        db.session.flush()
    return row


def newer_questionnaire(submission: Submission) -> int | None:
    """The newer released version a draft that was never submitted can move to, if there is one."""
    if submission.state != State.DRAFT or submission.round_number > 0:
        return None
    latest = latest_version(submission.questionnaire_version.key)
    return latest if latest > submission.questionnaire_version.version else None


@dataclass(frozen=True)
class Move:
    """What moving a draft to a newer questionnaire did: the version it is on now, the questions whose answers
    must be looked at again, and the answers kept for questions the version no longer asks."""

    version: int
    reanswer: list[str]
    dropped: list[str]


def move_to_newer_questionnaire(submission: Submission, actor: User) -> Move:
    """Move a draft to the newest questionnaire version by the mapping beside it: unchanged answers carry
    over, changed ones are kept as the field's input with the reason and must be saved again before submitting,
    answers to questions no longer asked stay stored (the applicant's pages show them, presenters.dropped_answers)."""
    require(is_owner, actor, submission)
    lock(submission)
    target = newer_questionnaire(submission)
    if target is None:
        raise workflow.TransitionError("move", submission.state)
    old = submission.questionnaire_version.version
    mapping = get_mapping(submission.questionnaire_version.key, old, target)
    new_questionnaire = get_questionnaire(submission.questionnaire_version.key, target)
    rows = answer_rows(submission)
    plan = plan_move(mapping, {qid: _stored_input(row) for qid, row in rows.items()})
    for qid, (kept, why) in plan.reanswer.items():
        if kept is None or kept == []:
            continue  # not answered yet: it is simply asked in its new form
        row = rows[qid]
        if keeps_earlier_answer(new_questionnaire.question(qid), kept):
            db.session.add(Answer(submission_id=submission.id, question_id=earlier_answer_id(qid, old), value=kept,
                                  updated_by_id=actor.id))
        try:
            check_answers(new_questionnaire, {qid: row.value})
        except AnswerError:
            row.value = None
        row.invalid_input = kept
        row.invalid_message = f"Changed in version {target}: {why}"[:300]
        row.updated_by_id = actor.id
    submission.questionnaire_version = _questionnaire_version_row(target)
    submission.updated_at = utcnow()
    audit.record("submission.questionnaire_moved", actor=actor, object_type="submission", object_id=submission.id,
                 submission_id=submission.id,
                 data={"from": old, "to": target, "reanswer": sorted(plan.reanswer), "dropped": sorted(plan.dropped)})
    db.session.commit()
    return Move(target, sorted(plan.reanswer), sorted(plan.dropped))


def latest_round(submission: Submission) -> Round | None:
    """The answers as last submitted, frozen: what the applicant's pages show once the application is sent."""
    return db.session.scalar(
        select(Round).where(Round.submission_id == submission.id).order_by(Round.number.desc()).limit(1)
    )


def questionnaire_for(submission: Submission) -> Questionnaire:
    qv = submission.questionnaire_version
    return get_questionnaire(qv.key, qv.version)


# ---------------------------------------------------------------- answers


def answer_rows(submission: Submission) -> dict[str, Answer]:
    rows = db.session.scalars(_ANSWERS, {"submission_id": submission.id}).all()
    return {row.question_id: row for row in rows}


def stored_answers(submission: Submission) -> dict[str, Any]:
    """answer_rows() read-only: rows with the same attributes (question_id, value, invalid_input,
    invalid_message, version), for pages that show answers and change nothing."""
    return {row.question_id: row for row in db.session.execute(_STORED_ANSWERS, {"submission_id": submission.id})}


def answer_values(rows: Mapping[str, Answer]) -> dict[str, Any]:
    return {qid: row.value for qid, row in rows.items() if row.value is not None}


def value_fingerprint(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def base_token(row: Answer | None) -> str:
    """What a page remembers about an answer when it is loaded: its version and a fingerprint of its value."""
    if row is None:
        return "0:" + value_fingerprint(None)
    return f"{row.version}:{value_fingerprint(_stored_input(row))}"


def _stored_input(row: Answer) -> Any:
    return row.invalid_input if row.invalid_input is not None else row.value


@dataclass
class Conflict:
    question_id: str
    mine: Any
    theirs: Any
    theirs_by: str | None
    theirs_at: datetime | None


@dataclass
class SaveResult:
    errors: dict[str, str] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    saved: list[str] = field(default_factory=list)
    ignored_hidden: list[str] = field(default_factory=list)
    # Answers someone else changed that this user had not touched: kept, but the page is out of date.
    changed_elsewhere: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    # After a save: each saved answer's new base token, and the section's status with every answer as stored.
    # Taken before the commit, so the autosave's reply needs no second read of the answers.
    bases: dict[str, str] = field(default_factory=dict)
    section_status: str | None = None

    @property
    def ok(self) -> bool:
        return not self.conflicts


# What saving writes to one answer: its value, or the invalid input kept instead of one, and the input's message.
Change = tuple[Any, Any, str | None]


def _posted_change(qid: str, parsed: SectionParse) -> Change | None:
    """What the section's parse would store for the question; None when the form did not post it."""
    if qid in parsed.errors and qid in parsed.raw and not _is_required_error(parsed.errors[qid]):
        return None, parsed.raw[qid], parsed.errors[qid]
    if qid in parsed.values:
        return parsed.values[qid], None, None
    return None


def _to_save(qid: str, change: Change, row: Answer | None, form: Mapping[str, list[str]], result: SaveResult) -> bool:
    """Whether the posted answer is saved: the three-way check against the value the page started from.

    An answer another user changed meanwhile is noted in `result`: as changed elsewhere when this user left it
    untouched, as a conflict when both changed it.
    """
    new_value, new_input, _ = change
    posted = new_input if new_input is not None else new_value
    current = _stored_input(row) if row else None
    if value_fingerprint(posted) == value_fingerprint(current):
        # The same answer again is stored only when it turns a kept input (an answer to look at again after a
        # move to a newer questionnaire) into a valid answer.
        return row is not None and row.invalid_input is not None and new_input is None
    base = _first(form.get(BASE_FIELD_PREFIX + qid))
    if base is None:
        return True
    base_version, _, base_print = base.partition(":")
    if base_print == value_fingerprint(posted):
        # Untouched by this user; if the stored answer differs, someone else changed it meanwhile.
        result.changed_elsewhere.append(qid)
        return False
    if row is not None and str(row.version) != base_version:
        result.conflicts.append(
            Conflict(qid, posted, current, row.updated_by.name if row.updated_by else None, row.updated_at)
        )
        return False
    # Without a row although the page had one (base version other than "0"), the answer has been deleted since
    # the page loaded: it is saved as new.
    return True


def _write_answers(submission: Submission, rows: dict[str, Answer], changes: dict[str, Change],
                   actor: User) -> list[str]:
    """Apply the changes to the answer rows (new rows added to `rows`); the ids of the questions saved."""
    saved = []
    for qid, (value, invalid_input, message) in changes.items():
        row = rows.get(qid)
        if row is None:
            row = Answer(submission_id=submission.id, question_id=qid)
            db.session.add(row)
            rows[qid] = row
        row.value = value
        row.invalid_input = invalid_input
        row.invalid_message = message
        row.updated_by_id = actor.id
        row.updated_at = utcnow()
        saved.append(qid)
    return saved


def save_section_retrying(submission: Submission, section_id: str, form: Mapping[str, list[str]], actor: User,
                          **options: Any) -> SaveResult:
    """save_section, once more if another request (an autosave still on its way when the page's own button was
    pressed) changed the same answers between our read and our write: the second attempt sees its result."""
    try:
        return save_section(submission, section_id, form, actor, retry_on_race=True, **options)
    except (IntegrityError, StaleDataError):
        db.session.rollback()
        return save_section(submission, section_id, form, actor, **options)


def save_section(
    submission: Submission,
    section_id: str,
    form: Mapping[str, list[str]],
    actor: User,
    *,
    check_required: bool,
    autosave: bool = False,
    retry_on_race: bool = False,
) -> SaveResult:
    """Save one section's posted answers with a three-way check against concurrent edits.

    For each question the page sent the version and value fingerprint it started from. A posted value equal
    to that starting value was not touched and is skipped; a touched value whose answer has moved on since is
    a conflict, and then nothing of the section is saved, so the user can choose on the conflict page.

    When another request changes the same answers between our read and our write, the result is a conflict,
    or, with retry_on_race, StaleDataError for the caller to try once more against the new state.
    """
    require(can_edit_answers, actor, submission)
    if State(submission.state) not in workflow.EDITABLE_STATES:
        raise workflow.TransitionError("edit", submission.state)
    questionnaire = questionnaire_for(submission)
    section = questionnaire.section(section_id)
    rows = answer_rows(submission)
    stored = answer_values(rows)
    parsed = parse_section(questionnaire, section_id, form, stored, check_required=check_required)
    result = SaveResult(errors=dict(parsed.errors), ignored_hidden=list(parsed.ignored_hidden), raw=dict(parsed.raw))

    changes: dict[str, Change] = {}
    for question in section.questions:
        change = _posted_change(question.id, parsed)
        if change is not None and _to_save(question.id, change, rows.get(question.id), form, result):
            changes[question.id] = change
    if result.conflicts:
        return result

    result.saved.extend(_write_answers(submission, rows, changes, actor))
    if result.saved:
        if TITLE_QUESTION in changes and changes[TITLE_QUESTION][0]:
            submission.title = str(changes[TITLE_QUESTION][0])[:300]
        submission.updated_at = utcnow()
        try:
            db.session.flush()  # gives the saved answers their new versions
        except (IntegrityError, StaleDataError):
            if retry_on_race:
                raise
            return _lost_race(submission, changes, result)
        _record_saved(submission, questionnaire, section_id, rows, result, actor, autosave=autosave)
    try:
        db.session.commit()
    except (IntegrityError, StaleDataError):
        return _lost_race(submission, changes, result)
    return result


def _record_saved(submission: Submission, questionnaire: Questionnaire, section_id: str, rows: dict[str, Answer],
                  result: SaveResult, actor: User, *, autosave: bool) -> None:
    """The saved answers' new base tokens and the section's status for the page, and the audit event."""
    # Taken now, not after the audit record, which makes every other writer wait until the commit.
    result.bases = {qid: base_token(rows[qid]) for qid in result.saved}
    result.section_status = section_status(questionnaire, section_id, answer_values(rows), invalid_ids(rows))
    audit.record("answers.saved", actor=actor, object_type="submission", object_id=submission.id,
                 submission_id=submission.id,
                 data={"section": section_id, "questions": result.saved, "autosave": autosave})


def _lost_race(submission: Submission, changes: Mapping[str, tuple[Any, Any, str | None]],
               result: SaveResult) -> SaveResult:
    """Another save landed between our read and our write: report it as a conflict on what we tried."""
    db.session.rollback()
    fresh = answer_rows(submission)
    for qid in changes:
        row = fresh.get(qid)
        if row is not None:
            result.conflicts.append(
                Conflict(qid, changes[qid][1] or changes[qid][0], _stored_input(row), None, row.updated_at)
            )
    result.saved = []
    result.bases = {}
    result.section_status = None
    return result


def _is_required_error(message: str) -> bool:
    return is_required_error(message)


def _first(values: Iterable[str] | None) -> str | None:
    if not values:
        return None
    for value in values:
        return value
    return None


def invalid_ids(rows: Mapping[str, Answer]) -> set[str]:
    return {qid for qid, row in rows.items() if row.invalid_input is not None}


# ---------------------------------------------------------------- creating, team


def create_submission(owner: User, title: str, *, questionnaire_version: int | None = None) -> Submission:
    """A new draft on the version new drafts start on, or on `questionnaire_version` (the demo keeps applications
    submitted before the current version on the one they were submitted on)."""
    title = title.strip()
    version = (current_questionnaire_version() if questionnaire_version is None
               else _questionnaire_version_row(questionnaire_version))
    submission = Submission(title=title, owner_id=owner.id, questionnaire_version_id=version.id)
    db.session.add(submission)
    db.session.flush()
    db.session.add(Answer(submission_id=submission.id, question_id=TITLE_QUESTION, value=title, updated_by_id=owner.id))
    audit.record("submission.created", actor=owner, object_type="submission", object_id=submission.id,
                 submission_id=submission.id, data={"title": title})
    db.session.commit()
    return submission


def invite_member(submission: Submission, actor: User, email: str, role: str) -> SubmissionMember:
    require(is_owner, actor, submission)
    email = normalise_email(email)
    if email == submission.owner.email:
        raise ValueError("You are already the owner of this application.")
    if any(member.email == email for member in submission.members):
        raise ValueError("This person is already in the team.")
    member = SubmissionMember(submission_id=submission.id, email=email, role=role, invited_by_id=actor.id)
    db.session.add(member)
    audit.record("member.invited", actor=actor, object_type="submission", object_id=submission.id,
                 submission_id=submission.id, data={"email": email, "role": role})
    existing = find_user_by_email(email)
    invitations = external_url("submissions.invitations")
    how = (f"Accept or decline it here: {invitations}" if existing else
           f"Create an account with this email address ({external_url('auth.register')}), then accept or "
           f"decline it here: {invitations}")
    queue_mail(
        email,
        f"You have been invited to an ethics application: {submission.title}",
        f"{actor.name} has invited you to the ethics application \"{submission.title}\" as {role}. You join its "
        "team only if you accept; until then it gives you no access.\n\n" + how,
        user_id=existing.id if existing else None,
    )
    db.session.commit()
    return member


def remove_member(submission: Submission, actor: User, member_id: int) -> None:
    require(is_owner, actor, submission)
    member = db.session.get(SubmissionMember, member_id)
    if member is None or member.submission_id != submission.id:
        raise LookupError()
    db.session.delete(member)
    audit.record("member.removed", actor=actor, object_type="submission", object_id=submission.id,
                 submission_id=submission.id, data={"email": member.email, "role": member.role})
    db.session.commit()


# ---------------------------------------------------------------- review of answers, submission


def visible_answers(questionnaire: Questionnaire, values: Mapping[str, Any]) -> dict[str, Any]:
    visible = visible_question_ids(questionnaire, values)
    return {q.id: values[q.id] for q in questionnaire.questions if q.id in visible and q.id in values}


def submission_problems(questionnaire: Questionnaire, rows: Mapping[str, Answer]) -> dict[str, str]:
    """Question id -> what must be fixed before the application can be submitted."""
    values = answer_values(rows)
    visible = visible_question_ids(questionnaire, values)
    problems: dict[str, str] = {}
    for question in questionnaire.questions:
        if question.id not in visible:
            continue
        row = rows.get(question.id)
        if row is not None and row.invalid_input is not None:
            problems[question.id] = row.invalid_message or "Correct this answer"
    for qid in required_ids(questionnaire, values, visible):
        if qid not in problems and _blank(values.get(qid)):
            problems[qid] = required_message(questionnaire.question(qid))
    for qid, message in incomplete_problems(questionnaire, values, visible).items():
        problems.setdefault(qid, message)
    for question in questionnaire.questions:
        if question.must_be_true and question.id in visible and values.get(question.id) is not True:
            problems.setdefault(question.id, "You must confirm the declaration to submit")
    for qid, message in blocking_issues(questionnaire, values).items():
        problems.setdefault(qid, message)
    # In questionnaire order, as the applicant meets the questions: required_ids() is a set, whose order
    # changes from one start of the app to the next.
    order = {question.id: index for index, question in enumerate(questionnaire.questions)}
    return dict(sorted(problems.items(), key=lambda item: order.get(item[0], len(order))))


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == []


def next_reference(year: int) -> str:
    counter = db.session.get(ReferenceCounter, year, with_for_update=True)
    if counter is None:
        counter = ReferenceCounter(year=year, last_number=0)
        db.session.add(counter)
    counter.last_number += 1
    return f"ETH-{year}-{counter.last_number:04d}"


def submit(submission: Submission, actor: User) -> Round:
    """Freeze the answers as the next round, scored and routed, and tell the team (and, the first time, the
    research office)."""
    require(is_owner, actor, submission)
    # Of two simultaneous submits, the second waits here and then finds the state already changed.
    lock(submission)
    target = workflow.next_state("submit", submission.state)
    resubmission = submission.round_number > 0
    questionnaire = questionnaire_for(submission)
    rows = answer_rows(submission)
    problems = submission_problems(questionnaire, rows)
    if problems:
        raise IncompleteSubmission(problems)
    round_ = _next_round(submission, questionnaire, answer_values(rows), actor)
    submission.state = target.value
    db.session.flush()
    round_submitted.send(submission, round=round_, actor=actor)
    audit.record(
        "submission.resubmitted" if resubmission else "submission.submitted",
        actor=actor,
        object_type="submission",
        object_id=submission.id,
        submission_id=submission.id,
        data={"reference": submission.reference, "round": round_.number, "route": submission.route,
              "scored_route": round_.route, "security_signoff": submission.security_signoff_required,
              "tier": round_.overall_tier, "questionnaire": f"{questionnaire.key} v{questionnaire.version}",
              "sha256": round_.sha256},
    )
    _announce_submission(submission, round_, actor, resubmission=resubmission)
    db.session.commit()
    return round_


def _next_round(submission: Submission, questionnaire: Questionnaire, values: dict[str, Any], actor: User) -> Round:
    """The visible answers frozen as the application's next round, with their risk profile and footprint; the
    application takes the round's number, route and tiers (and its reference, the first time)."""
    frozen = visible_answers(questionnaire, values)
    profile = score(questionnaire, values).to_dict()
    now = utcnow()
    if submission.reference is None:
        submission.reference = next_reference(now.year)
    previous_route = db.session.scalar(select(Round.route).where(Round.submission_id == submission.id,
                                                                 Round.number == submission.round_number))
    submission.round_number += 1
    round_ = Round(
        submission_id=submission.id,
        number=submission.round_number,
        questionnaire_version_id=submission.questionnaire_version_id,
        answers=frozen,
        risk_profile=profile,
        route=profile["route"],
        overall_tier=profile["overall"],
        submitted_at=now,
        submitted_by_id=actor.id,
        sha256=value_fingerprint_full({"answers": frozen, "risk_profile": profile}),
        footprint=footprint_statement(questionnaire, frozen),
    )
    db.session.add(round_)
    _route_round(submission, round_, previous_route=previous_route,
                 signoff=bool(profile["security_signoff"]))
    submission.overall_tier = profile["overall"]
    submission.risk_profile = profile
    submission.submitted_at = now
    submission.updated_at = now
    return round_


def _route_round(submission: Submission, round_: Round, *, previous_route: str | None, signoff: bool) -> None:
    """The route and the security sign-off the application is reviewed with from this round on.

    The first round takes what its answers scored. A later round keeps the route it had (the coordinator's
    override, with its reason, holds until the coordinator changes it) unless its answers score a higher route
    than the round before, which raises it; the sign-off, once required, stays required. A resubmission never
    lowers either: only the coordinator does, by overriding the route.
    """
    scored = round_.route
    if previous_route is None or submission.route is None:
        submission.route, submission.security_signoff_required = scored, signoff
        return
    if workflow.ROUTE_RANK[scored] > workflow.ROUTE_RANK[previous_route] and \
            workflow.ROUTE_RANK[scored] > workflow.ROUTE_RANK[submission.route]:
        submission.route = scored
        submission.route_override_reason = None  # the answers set the route now; the audit keeps the override
    submission.security_signoff_required = submission.security_signoff_required or signoff


def _announce_submission(submission: Submission, round_: Round, actor: User, *, resubmission: bool) -> None:
    _mail_team(submission,
               f"{submission.reference} {'resubmitted' if resubmission else 'submitted'}: {submission.title}",
               f"The ethics application \"{submission.title}\" was submitted by {actor.name} as "
               f"{submission.reference} (round {round_.number}). It will be reviewed on the "
               f"{workflow.ROUTES[submission.route or round_.route].lower()} route.")
    for coordinator in ([] if resubmission else _users_with_role("coordinator")):
        queue_mail(coordinator.email, f"New application to triage: {submission.reference}",
                   f"{submission.reference} \"{submission.title}\" ({round_.overall_tier} risk, "
                   f"{workflow.ROUTES[round_.route].lower()}) is waiting for triage.", user_id=coordinator.id)


def withdraw(submission: Submission, actor: User, reason: str) -> None:
    require(is_owner, actor, submission)
    target = workflow.next_state("withdraw", submission.state)
    previous = submission.state
    submission.state = target.value
    submission.updated_at = utcnow()
    audit.record("submission.withdrawn", actor=actor, object_type="submission", object_id=submission.id,
                 submission_id=submission.id, data={"from": previous, "reason": reason})
    _mail_team(submission, f"Application withdrawn: {submission.title}",
               f"{actor.name} withdrew the ethics application \"{submission.title}\".\n"
               f"Reason: {reason or 'none given'}")
    db.session.commit()


def delete_draft(submission: Submission, actor: User) -> None:
    """Delete a draft that was never submitted, with its answers and team: it never reached the committee, so
    nothing of it is kept but the audit event (its title, and how many answers it had)."""
    require(is_owner, actor, submission)
    lock(submission)
    workflow.require("delete", submission.state)
    # Deleted here rather than left to the foreign key's cascade, which SQLite does not enforce by default.
    # A DELETE's result is a CursorResult, which counts the rows.
    answers = cast(CursorResult[Any], db.session.execute(delete(Answer).where(Answer.submission_id == submission.id)))
    answers_deleted = answers.rowcount
    audit.record("submission.deleted", actor=actor, object_type="submission", object_id=submission.id,
                 submission_id=submission.id,
                 data={"title": submission.title, "answers": answers_deleted,
                       "members": [member.email for member in submission.members]})
    db.session.delete(submission)
    db.session.commit()


def footprint_statement(questionnaire: Questionnaire, answers: Mapping[str, Any]) -> dict[str, Any] | None:
    """The environmental impact statement of the answers, computed with the current footprint data
    (it records the data version; a frozen statement is read back, never recomputed)."""
    for section in questionnaire.sections:
        if section.calculator != "footprint":
            continue
        for question in section.questions:
            if question.type == "footprint_stages" and question.id in answers:
                return footprint.statement_for_answer(answers[question.id], footprint.current_data())
    return None


class IncompleteSubmission(Exception):
    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__(f"{len(problems)} answers need attention")


def value_fingerprint_full(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _mail_team(submission: Submission, subject: str, body: str) -> None:
    recipients: dict[str, int | None] = {submission.owner.email: submission.owner.id}
    for member in submission.joined_members:
        recipients.setdefault(member.email, None)
    for email, user_id in recipients.items():
        queue_mail(email, subject, body, user_id=user_id)


def _users_with_role(role: str) -> list[User]:
    return list(db.session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id).where(UserRole.role == role, User.active.is_(True))
    ))


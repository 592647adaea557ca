"""The plain snapshot of a decided round that the signed assessment prints, built from the database.

Documents renders it without importing this feature: `register_snapshot()` (called by create_app) hands
`assessment_snapshot` to the snapshot registry in core, and documents adds what belongs to the document
itself (its kind, identifier, verification address, the audit head and the chart). The template never sees
a model, so nothing lazy-loads during rendering and what is printed is exactly what is attached as JSON.
Committee-only comments are never read here: only comments addressed to the applicant (visibility
"applicant") can reach a PDF, whatever the audience.
"""
from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.auth.models import User
from app.core import snapshots
from app.core.audit import AuditEvent
from app.core.markdown import render_markdown
from app.extensions import db
from app.questionnaires import records
from app.questionnaires.answers import display_value
from app.questionnaires.loader import get_questionnaire
from app.questionnaires.schema import CATEGORIES, CATEGORY_LABELS, RECORDS_TYPE, Questionnaire
from app.reviews.anonymity import SECURITY_OFFICER, as_team_sees, committee_roles, reviewers_named
from app.reviews.models import RECOMMENDATIONS, Assignment, Comment, Decision, SecuritySignoff
from app.submissions.models import Round, Submission, SubmissionMember
from app.submissions.workflow import ALL_CONDITIONS_MET, OUTCOMES, ROUTES

AUDIENCES = ("applicant", "archive")
LEVEL_LABELS = {"L": "Low", "M": "Medium", "H": "High", "H!": "High (hard trigger)"}
# Audit actions summarised in the history, with the words printed for them.
HISTORY_LABELS = {
    "submission.created": "Application started",
    "submission.submitted": "Submitted",
    "submission.withdrawn": "Withdrawn",
    "submission.triaged": "Triaged",
    "route.overridden": "Review route changed",
    "review.started": "Review started",
    "assignment.created": "Reviewer assigned",
    "recommendation.recorded": "Recommendation recorded",
    "security_signoff.recorded": "Security sign-off recorded",
    "security_signoff.changed": "Security sign-off changed",
    "chair.recused": "Chair recused (conflict of interest); a deputy chair decides",
    "decision.recorded": "Decision recorded",
    "condition.reported_met": "Condition reported met",
    "condition.sent_back": "Condition sent back to the applicant",
    "condition.confirmed": "Condition confirmed",
    "conditions.all_met": "All conditions met",
    "approval.expired": "Approval expired",
    "document.created": "Signed assessment archived",
}


class ContextError(LookupError):
    pass


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _utc(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%-d %B %Y, %H:%M UTC")


def _number(value: Any, digits: int = 1) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "" if value is None else str(value)
    if float(value).is_integer() and abs(value) >= 10:
        return f"{int(value):,}"
    return f"{value:,.{digits}f}"


def register_snapshot() -> None:
    snapshots.register("assessment", assessment_snapshot)


def assessment_snapshot(submission_id: int, round_number: int, *, audience: str) -> dict[str, Any]:
    """What the assessment of a round prints, for `audience` ("applicant": the committee as the team sees it,
    app/reviews/anonymity.py; "archive": named)."""
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}")
    submission, round_, decision = _assessed_round(submission_id, round_number)
    qv = round_.questionnaire_version
    questionnaire = get_questionnaire(qv.key, qv.version)
    answers: dict[str, Any] = dict(round_.answers or {})
    profile: dict[str, Any] = dict(round_.risk_profile or {})
    names = _user_names(submission, decision)
    people = _People(names, committee_roles(submission_id), audience == "archive" or reviewers_named())
    decision_ctx, conditions, signatures = _decision_parts(decision, names)
    return {
        "audience": audience,
        "reference": submission.reference or f"draft-{submission.id}",
        "title": submission.title,
        "team": _team(submission, names),
        "questionnaire": {"key": qv.key, "version": qv.version, "title": qv.title, "sha256": qv.sha256},
        "round": _round_part(round_),
        "outcome_label": decision_ctx["outcome_label"] if decision_ctx else "No decision recorded",
        "decision": decision_ctx,
        "conditions": conditions,
        "signatures": signatures,
        "risk": {
            "overall": profile.get("overall", round_.overall_tier),
            "security_signoff": bool(profile.get("security_signoff")),
            "categories": _risk_categories(questionnaire, answers, profile),
        },
        "footprint": _footprint(getattr(round_, "footprint", None)),
        "sections": _answer_sections(questionnaire, answers),
        "recommendations": _recommendations(submission_id, round_number, people),
        "security_signoffs": _security_signoffs(submission_id, round_number, people),
        "recusals": _recusals(submission_id, round_number, people),
        "threads": _applicant_threads(submission_id, round_number, questionnaire, people),
        "history": _history(submission_id),
        "data": _attached_data(submission, round_, decision, signatures),
    }


def _assessed_round(submission_id: int, round_number: int) -> tuple[Submission, Round, Decision | None]:
    """The application, the round assessed and its decision (if made); ContextError when either is missing."""
    submission = db.session.get(Submission, submission_id)
    if submission is None:
        raise ContextError(f"no application {submission_id}")
    round_ = db.session.scalar(
        select(Round).where(Round.submission_id == submission_id, Round.number == round_number)
    )
    if round_ is None:
        raise ContextError(f"{submission.reference or submission_id} has no round {round_number}")
    decision = db.session.scalar(
        select(Decision).where(Decision.submission_id == submission_id, Decision.round_number == round_number)
    )
    return submission, round_, decision


def _round_part(round_: Round) -> dict[str, Any]:
    return {
        "number": round_.number,
        "submitted_at": _utc(round_.submitted_at),
        "submitted_at_iso": _iso(round_.submitted_at),
        # The declaration is dated by the submission that made it, not by the date typed in it.
        "declared_on": _utc(round_.submitted_at).split(",")[0],
        "sha256": round_.sha256,
        "route": ROUTES.get(round_.route, round_.route),
        "overall_tier": round_.overall_tier,
    }


def _attached_data(submission: Submission, round_: Round, decision: Decision | None,
                   signatures: list[dict[str, Any]]) -> dict[str, Any]:
    """What is attached as JSON: the frozen round exactly as stored, plus the decision."""
    qv = round_.questionnaire_version
    return {
        "reference": submission.reference,
        "title": submission.title,
        "questionnaire": {"key": qv.key, "version": qv.version, "sha256": qv.sha256},
        "round": round_.number,
        "round_sha256": round_.sha256,
        "submitted_at": _iso(round_.submitted_at),
        "answers": dict(round_.answers or {}),
        "risk_profile": dict(round_.risk_profile or {}),
        "footprint": getattr(round_, "footprint", None),
        "decision": None if decision is None else {
            "outcome": decision.outcome,
            "summary": decision.summary,
            "decided_at": _iso(decision.decided_at),
            "valid_until": decision.valid_until.isoformat() if decision.valid_until else None,
            "conditions": [{"text": c.text, "evidence": c.report_note, "reported_at": _iso(c.reported_met_at),
                            "confirmed_at": _iso(c.confirmed_at)} for c in decision.conditions],
            "signatures": [{"name": s["name"], "at": s["at_iso"], "meaning": s["meaning"]} for s in signatures],
        },
    }


def _label_of(questionnaire: Questionnaire, qid: str | None) -> str:
    if qid and questionnaire.has_question(qid):
        return questionnaire.question(qid).label
    return qid or ""


def _answer_sections(questionnaire: Questionnaire, answers: dict[str, Any]) -> list[dict[str, Any]]:
    """Every visible answer, grouped by section, with the question text."""
    sections = []
    for section in questionnaire.sections:
        rows = []
        for question in section.questions:
            if question.id not in answers:
                continue
            value = answers[question.id]
            shown = display_value(question, value)
            rows.append({
                "id": question.id,
                "label": question.label,
                "value": shown,
                # Markdown answers are rendered and sanitised (nh3); everything else is escaped by Jinja.
                "html": str(render_markdown(value)) if question.type == "markdown" and isinstance(value, str) else None,
                # A records answer is printed as a table with its header cells, for the tagged PDF's readers.
                "table": {"columns": records.columns(question), "rows": records.table_rows(question, value),
                          "row_label": records.row_label(question)}
                if question.type == RECORDS_TYPE and isinstance(value, list) else None,
            })
        if rows:
            sections.append({"id": section.id, "title": section.title, "answers": rows})
    return sections


def _risk_categories(questionnaire: Questionnaire, answers: dict[str, Any],
                     profile: dict[str, Any]) -> list[dict[str, Any]]:
    """Risk profile: tier per category and the answers that raised it."""
    categories = []
    for key in CATEGORIES:
        result = (profile.get("categories") or {}).get(key) or {}
        reasons: list[dict[str, Any]] = result.get("reasons") or []
        # A Low-level answer raised nothing: only answers that gave points or a hard trigger are listed.
        raised = [reason for reason in reasons if reason.get("points") or reason.get("level") == "H!"]
        categories.append({
            "key": key,
            "label": CATEGORY_LABELS.get(key, key),
            "tier": result.get("tier", "Low"),
            "points": int(result.get("points") or 0),
            "hard_trigger": bool(result.get("hard_trigger")),
            "reasons": _distinct([_risk_reason(questionnaire, answers, reason) for reason in raised]),
        })
    return categories


def _distinct(reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The reasons as printed, each once: an answer that raised a category twice at the same level (two options
    of one multiple choice question) reads as one line."""
    seen: set[tuple[Any, ...]] = set()
    distinct = []
    for reason in reasons:
        printed = (reason["question_id"], reason["answer"] or reason["text"], reason["level"])
        if printed not in seen:
            seen.add(printed)
            distinct.append(reason)
    return distinct


def _risk_reason(questionnaire: Questionnaire, answers: dict[str, Any], reason: dict[str, Any]) -> dict[str, Any]:
    qid = reason.get("question_id")
    level = reason.get("level") or ""
    return {
        "question_id": qid,
        "question": _label_of(questionnaire, qid),
        "answer": display_value(questionnaire.question(qid), answers.get(qid))
        if qid and questionnaire.has_question(qid) else "",
        "level": LEVEL_LABELS.get(level, level),
        "points": reason.get("points", 0),
        "text": reason.get("text", ""),
    }


class _People(NamedTuple):
    """Who may be printed: names by user id, the committee's roles as the team knows them, and whether the
    copy names the committee's people beside their roles."""
    names: dict[Any, str]
    roles: dict[int, str]
    named: bool

    def committee_member(self, user_id: int | None, role: str | None = None) -> str:
        return as_team_sees(role or self.roles.get(user_id or 0), self.names.get(user_id, ""), named=self.named)


def _recommendations(submission_id: int, round_number: int, people: _People) -> list[dict[str, Any]]:
    """Reviewers' recommendations (ordinary reviews and the security sign-off)."""
    assignments = db.session.scalars(
        select(Assignment)
        .where(Assignment.submission_id == submission_id, Assignment.round_number == round_number,
               Assignment.recommendation.is_not(None))
        .order_by(Assignment.kind, Assignment.completed_at, Assignment.id)
    ).all()
    recommendations = []
    for assignment in assignments:
        who = people.committee_member(assignment.reviewer_id,
                                      SECURITY_OFFICER if assignment.kind == "security" else None)
        recommendation = assignment.recommendation or ""  # the query selects only those given
        recommendations.append({
            "reviewer": who,
            "recommendation": RECOMMENDATIONS.get(recommendation, recommendation),
            "summary_html": str(render_markdown(assignment.summary)),
            "completed": _utc(assignment.completed_at),
        })
    return recommendations


def _security_signoffs(submission_id: int, round_number: int, people: _People) -> list[dict[str, Any]]:
    """The security officer's findings on the round (named where the reviewers are)."""
    signoffs = db.session.scalars(
        select(SecuritySignoff)
        .where(SecuritySignoff.submission_id == submission_id, SecuritySignoff.round_number == round_number)
        .order_by(SecuritySignoff.signed_at, SecuritySignoff.id)
    ).all()
    return [{
        "officer": people.committee_member(s.signed_by_id, SECURITY_OFFICER),
        "classification": s.control_entry or "Not listed",
        "basis": s.basis,
        "licence": "Needed" if s.licence_required else "Not needed",
        "trusted_research": s.trusted_research_label,
        "conditions_html": str(render_markdown(s.conditions)) if s.conditions else "",
        "signed": _utc(s.signed_at),
    } for s in signoffs]


def _recusals(submission_id: int, round_number: int, people: _People) -> list[dict[str, Any]]:
    """Who declared a conflict of interest up to this round, by role (named where the reviewers are); a recused
    chair's decision was a deputy chair's."""
    declared = db.session.scalars(
        select(Assignment)
        .where(Assignment.submission_id == submission_id, Assignment.round_number <= round_number,
               Assignment.coi_status == "declared")
        .order_by(Assignment.coi_declared_at, Assignment.id)
        .options(joinedload(Assignment.reviewer).selectinload(User.role_grants))
    ).unique().all()
    recusals = []
    for assignment in declared:
        chair = assignment.reviewer.has_role("chair")
        role = "Committee chair" if chair else people.roles.get(assignment.reviewer_id)
        recusals.append({
            "role": role, "chair": chair, "round": assignment.round_number, "at": _utc(assignment.coi_declared_at),
            "name": assignment.reviewer.name if people.named else None,
            "who": people.committee_member(assignment.reviewer_id, role)
            if people.named or not chair else "The committee chair",
        })
    return recusals


def _applicant_threads(submission_id: int, round_number: int, questionnaire: Questionnaire,
                       people: _People) -> list[dict[str, Any]]:
    """Comments addressed to the applicant, threads in order; committee-only comments are never selected."""
    comments = db.session.scalars(
        select(Comment)
        .where(Comment.submission_id == submission_id, Comment.round_number == round_number,
               Comment.visibility == "applicant")
        .order_by(Comment.created_at, Comment.id)
    ).all()
    applicant_ids = {c.id for c in comments}
    threads: dict[int, dict[str, Any]] = {}
    for comment in comments:
        if comment.parent_id is not None and comment.parent_id not in applicant_ids:
            continue  # a reply in a committee-only thread
        item = {
            "author": _comment_author(comment, people),
            "at": _utc(comment.created_at),
            "body_html": str(render_markdown(comment.body)),
        }
        if comment.parent_id is None:
            threads[comment.id] = {
                "question_id": comment.question_id,
                "question": _label_of(questionnaire, comment.question_id) if comment.question_id
                else "The application as a whole",
                "resolved": comment.resolved_at is not None,
                "comments": [item],
            }
        elif comment.parent_id in threads:
            threads[comment.parent_id]["comments"].append(item)
    return list(threads.values())


def _decision_parts(decision: Decision | None, names: dict[Any, str]) -> tuple[
        dict[str, Any] | None, list[dict[str, Any]], list[dict[str, Any]]]:
    """The decision, its conditions (each with the applicant's evidence and who confirmed it) and every signature
    (the decision's first). An approval with conditions whose every condition is confirmed met is printed as
    ALL_CONDITIONS_MET: the assessment issued then says the application is approved."""
    if decision is None:
        return None, [], []
    conditions = []
    signatures = []
    for number, condition in enumerate(decision.conditions, start=1):
        confirmed_by = names.get(condition.confirmed_by_id, "Research office") if condition.confirmed_at else ""
        conditions.append({
            "number": number,
            "text": condition.text,
            "due_on": condition.due_on.strftime("%-d %B %Y") if condition.due_on else "",
            "evidence": condition.report_note or "",
            "reported": _utc(condition.reported_met_at),
            "reported_by": names.get(condition.reported_by_id, "") if condition.reported_met_at else "",
            "met": _utc(condition.confirmed_at) if condition.confirmed_at else "",
            "confirmed_by": confirmed_by,
        })
        if condition.confirmed_at:
            signatures.append({
                "name": confirmed_by,
                "at": _utc(condition.confirmed_at),
                "at_iso": _iso(condition.confirmed_at),
                "meaning": f"Condition {number} confirmed met — research office: {condition.text}",
            })
    all_met = (decision.outcome == "approved_with_conditions" and bool(decision.conditions)
               and all(c.confirmed_at for c in decision.conditions))
    decision_ctx = {
        "outcome": "approved" if all_met else decision.outcome,
        "outcome_label": ALL_CONDITIONS_MET if all_met else OUTCOMES.get(decision.outcome, decision.outcome),
        "decided_outcome_label": OUTCOMES.get(decision.outcome, decision.outcome),
        "all_conditions_met": all_met,
        "conditions_met_at": _utc(max(c.confirmed_at for c in decision.conditions if c.confirmed_at))
        if all_met else "",
        "summary_html": str(render_markdown(decision.summary)),
        "decided_at": _utc(decision.decided_at),
        "decided_at_iso": _iso(decision.decided_at),
        "valid_until": f"{decision.valid_until:%-d %B %Y}" if decision.valid_until else "",
    }
    signatures.insert(0, {
        "name": decision.signature_name,
        "at": _utc(decision.decided_at),
        "at_iso": _iso(decision.decided_at),
        "meaning": decision.signature_meaning,
    })
    return decision_ctx, conditions, signatures


def _team(submission: Submission, names: dict[Any, str]) -> list[dict[str, str]]:
    team = [{"name": submission.owner.name, "role": "Owner"}]
    for member in db.session.scalars(
        select(SubmissionMember).where(SubmissionMember.submission_id == submission.id,
                                       SubmissionMember.accepted_at.is_not(None)).order_by(SubmissionMember.id)
    ):
        team.append({"name": names.get(("email", member.email), member.email), "role": member.role.capitalize()})
    return team


def _history(submission_id: int) -> list[dict[str, Any]]:
    """The audit events summarised in the history (HISTORY_LABELS), oldest first."""
    history = []
    for event in db.session.scalars(
        select(AuditEvent).where(AuditEvent.submission_id == submission_id).order_by(AuditEvent.id)
    ):
        label = HISTORY_LABELS.get(event.action)
        if label is None:
            continue
        history.append({"at": _utc(event.at), "event": label, "round": (event.data or {}).get("round")})
    return history


def _user_names(submission: Submission, decision: Decision | None) -> dict[Any, str]:
    """id -> name for everyone who may appear, plus ("email", address) -> name for team members."""
    ids: set[int] = {submission.owner_id}
    ids.update(db.session.scalars(select(Assignment.reviewer_id).where(Assignment.submission_id == submission.id)))
    ids.update(db.session.scalars(select(Comment.author_id).where(Comment.submission_id == submission.id)))
    if decision is not None:
        ids.update(c.confirmed_by_id for c in decision.conditions if c.confirmed_by_id)
        ids.update(c.reported_by_id for c in decision.conditions if c.reported_by_id)
    emails = set(db.session.scalars(
        select(SubmissionMember.email).where(SubmissionMember.submission_id == submission.id,
                                            SubmissionMember.accepted_at.is_not(None))
    ))
    names: dict[Any, Any] = {}
    team: set[int] = {submission.owner_id}
    for user in db.session.scalars(select(User).where((User.id.in_(ids)) | (User.email.in_(emails)))):
        names[user.id] = user.name
        names[("email", user.email)] = user.name
        if user.email in emails:
            team.add(user.id)
    names["team"] = team
    return names


def _comment_author(comment: Comment, people: _People) -> str:
    if comment.author_id in people.names.get("team", set()):
        return people.names.get(comment.author_id) or "Applicant"
    return people.committee_member(comment.author_id)


def _footprint(raw: Any) -> dict[str, Any] | None:
    """The environmental impact statement, read defensively: the column may be absent or partial."""
    if not isinstance(raw, dict) or not raw:
        return None
    figures = []
    for key, label, unit in (
        ("energy_kwh", "Energy", "kWh"),
        ("co2e_kg", "Greenhouse gas emissions", "kg CO₂e"),
        ("tree_months", "Equivalent tree absorption", "tree-months"),
        ("car_km", "Equivalent car travel", "km"),
    ):
        if raw.get(key) is not None:
            figures.append({"label": label, "value": _number(raw.get(key)), "unit": unit})
    stages = []
    for stage in raw.get("stages") or []:
        if not isinstance(stage, dict):
            continue
        stages.append({
            "name": str(stage.get("label") or stage.get("name") or stage.get("stage") or ""),
            "energy_kwh": _number(stage.get("energy_kwh")),
            "co2e_kg": _number(stage.get("co2e_kg")),
        })
    return {"figures": figures, "stages": stages, "data_version": str(raw.get("data_version") or "")}


"""Plain dicts for the applicant's templates, built from the questionnaire and the stored answers."""
from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

from app.core.markdown import render_markdown
from app.questionnaires import footprint
from app.questionnaires.answers import answer_view, required_ids, section_status
from app.questionnaires.conditions import visible_question_ids
from app.questionnaires.loader import QuestionnaireNotFound, get_mapping, get_questionnaire
from app.questionnaires.schema import RECORDS_TYPE, STAGES_TYPE, Questionnaire
from app.submissions import footprint_presenter, records_presenter, services, workflow
from app.submissions.models import Answer, Submission

STATUS_LABELS = {
    "not_started": "Not started",
    "in_progress": "In progress",
    "completed": "Completed",
    "needs_attention": "Needs attention",
}


def task_rows(questionnaire: Questionnaire, rows: Mapping[str, Answer]) -> list[dict[str, Any]]:
    values = services.answer_values(rows)
    invalid = services.invalid_ids(rows)
    visible = visible_question_ids(questionnaire, values)
    return [
        {
            "section": section,
            "status": (status := section_status(questionnaire, section.id, values, invalid, visible)),
            "status_label": STATUS_LABELS[status],
        }
        for section in questionnaire.sections
    ]


def dropped_answers(questionnaire: Questionnaire, rows: Mapping[str, Any]) -> list[SimpleNamespace]:
    """The answers a draft kept when it moved to this version for questions this version no longer asks (the
    mapping's `dropped`), each with its question as the older version asked it, the older version's section id
    and why it was dropped: they are not submitted, but what was typed stays in view. Reads only files, and only
    when the draft holds such an answer."""
    kept = {qid: row.value for qid, row in rows.items()
            if row.value is not None and not questionnaire.has_question(qid)}
    found = []
    for older in range(questionnaire.version - 1, 0, -1):
        if not kept:
            break
        try:
            mapping = get_mapping(questionnaire.key, older, questionnaire.version)
        except QuestionnaireNotFound:
            continue
        previous = get_questionnaire(questionnaire.key, older)
        for qid in [qid for qid in kept if qid in mapping.dropped and previous.has_question(qid)]:
            question = previous.question(qid)
            found.append(SimpleNamespace(question=question, version=older, section_id=previous.section_of(qid).id,
                                         answer=answer_view(question, kept.pop(qid)), why=mapping.dropped[qid]))
    return sorted(found, key=lambda item: item.question.id)


def next_steps(submission: Submission, today: date) -> dict[str, Any] | None:
    """What happens after submitting, for the task list while the application waits for triage or is in review:
    the route, the reviewers it needs, the days they have (workflow.REVIEW_DAYS) and the date their
    recommendations are due (the one set at triage, or what it would be if review started today)."""
    if submission.state not in (workflow.State.SUBMITTED, workflow.State.IN_REVIEW):
        return None
    route = submission.route or "standard"
    days = workflow.REVIEW_DAYS[route]
    return {
        "stage": "triage" if submission.state == workflow.State.SUBMITTED else "review",
        "route": workflow.ROUTES[route],
        "reviewers": workflow.REVIEWERS_REQUIRED[route],
        "chair_reviews": route == "full_committee",
        "security": submission.security_signoff_required,
        "days": days,
        "due": submission.due_on,
        "estimate": today + timedelta(days=days),
    }


def _input_value(question, row: Answer | None, raw: Mapping[str, Any] | None) -> Any:
    """What the field shows: what was just typed, else kept invalid input, else the stored answer."""
    if raw is not None and question.id in raw:
        return raw[question.id]
    if row is None:
        return question.default if question.default is not None else None
    if row.invalid_input is not None:
        return row.invalid_input
    return row.value


def _as_form_values(question, value: Any) -> list[str]:
    """The answer as the strings the form's inputs compare against."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, bool):
        return ["yes" if value else "no"]
    if isinstance(value, float) and value.is_integer():
        return [str(int(value))]
    return [str(value)]


def show_if_json(question) -> str:
    """The question's condition, for static/js/section.js to show and hide it as answers change."""
    return json.dumps(question.show_if.model_dump(by_alias=True, exclude_none=True)) if question.show_if else ""


def required_if_json(question) -> str:
    """When the question becomes required, for static/js/section.js to drop its "(optional)" as answers change."""
    return json.dumps(question.required_if.model_dump(by_alias=True, exclude_none=True)) if question.required_if else ""


def progress_roots(section) -> dict[str, str]:
    """Each question of the section -> the question it counts under in "N of M questions answered": itself, or
    for a follow-up shown by an answer in this section, the question that shows it. M is then the same before
    and after a follow-up appears, and a question counts as answered once its required follow-ups are too."""
    in_section = {question.id for question in section.questions}
    roots: dict[str, str] = {}
    for question in section.questions:
        parents = sorted(question.show_if.referenced_questions() & in_section) if question.show_if else []
        roots[question.id] = roots.get(parents[0], parents[0]) if parents else question.id
    return roots


def _progress(questions: list[dict[str, Any]], roots: Mapping[str, str]) -> tuple[int, int]:
    """(answered, total) as the page's progress bar shows them; static/js/section.js counts the same way."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in questions:
        groups.setdefault(roots[item["q"].id], []).append(item)
    total = answered = 0
    for root, items in groups.items():
        head = next(item for item in items if item["q"].id == root)
        if not head["visible"]:
            continue
        total += 1
        if _answered(head) and all(_answered(item) for item in items
                                   if item is not head and item["visible"] and item["required"]):
            answered += 1
    return answered, total


def _answered(item: dict[str, Any]) -> bool:
    return bool(item["values"]) and item["values"] != [""]


# Guidance longer than about four lines of the page starts folded, so the first question is in view.
GUIDANCE_FOLDED_OVER = 300


def guidance_view(guidance: str) -> SimpleNamespace:
    return SimpleNamespace(html=render_markdown(guidance), folded=len(guidance) > GUIDANCE_FOLDED_OVER)


def _table_fields(question, shown: Any, has_error: bool, add_stage: bool, answers: Mapping[str, Any]) -> dict[str, Any]:
    """What a table question's template draws besides the question (its rows, cells and their messages)."""
    if question.type == STAGES_TYPE:
        return footprint_presenter.stages_item(question, shown, has_error, add_stage)
    if question.type == RECORDS_TYPE:
        return records_presenter.records_item(question, shown, has_error, answers)
    return {}


def _summary_errors(questions: list[dict[str, Any]], errors: Mapping[str, str]) -> dict[str, str]:
    """The error summary's entries, the id of the field each links to -> its message: a table's cells each on
    their own (naming the row), any other question once."""
    summary: dict[str, str] = {}
    for item in questions:
        qid = item["q"].id
        if not item["visible"] or qid not in errors:
            continue
        cells = item.get("cell_errors")
        if cells:
            summary.update(cells)
        else:
            summary[item.get("first_cell", qid)] = errors[qid]
    return summary


def section_context(
    submission: Submission,
    questionnaire: Questionnaire,
    section_id: str,
    rows: Mapping[str, Answer],
    result: services.SaveResult | None = None,
    add_stage: bool = False,
) -> dict[str, Any]:
    section = questionnaire.section(section_id)
    values = services.answer_values(rows)
    visible = visible_question_ids(questionnaire, values)
    errors: dict[str, str] = dict(result.errors) if result else {}
    for qid, stored in rows.items():
        if stored.invalid_message and qid not in errors:
            errors[qid] = stored.invalid_message
    raw = result.raw if result else None
    required, roots = required_ids(questionnaire, values, visible), progress_roots(section)
    questions = []
    for question in section.questions:
        row = rows.get(question.id)
        form_values = _as_form_values(question, _input_value(question, row, raw))
        shown = question.id in visible
        item: dict[str, Any] = {
            "q": question, "visible": shown, "values": form_values, "error": errors.get(question.id) if shown else None,
            "text": form_values[0] if len(form_values) == 1 else "", "base": services.base_token(row),
            "show_if": show_if_json(question), "required": question.id in required,
            "required_if": required_if_json(question), "progress_root": roots[question.id],
        }
        item.update(_table_fields(question, _input_value(question, row, raw), bool(item["error"]), add_stage, values))
        questions.append(item)
    ids = [s.id for s in questionnaire.sections]
    index = ids.index(section_id)
    answered, total = _progress(questions, roots)
    # Answers from other sections, for conditions that look across sections when evaluated in the browser.
    context_answers = {qid: v for qid, v in values.items() if qid in visible}
    return {
        "section": section,
        "section_number": index + 1,
        "section_count": len(ids),
        "previous_section": ids[index - 1] if index > 0 else None,
        "next_section": ids[index + 1] if index + 1 < len(ids) else None,
        # Objects, not dicts: the template reads a dozen fields of each, and Jinja reads a dict's "item.x" only
        # after getattr has failed, seven times slower than an attribute.
        "questions": [SimpleNamespace(**question) for question in questions],
        "errors": _summary_errors(questions, errors),
        "guidance": guidance_view(section.guidance),
        "answered": answered, "visible_count": total,
        "context_answers": context_answers,
        "status": section_status(questionnaire, section_id, values, services.invalid_ids(rows), visible),
        "status_labels": STATUS_LABELS,
        "dropped": [item for item in dropped_answers(questionnaire, rows) if item.section_id == section_id],
        # The environmental impact statement of what is saved (the browser recomputes it as you type).
        "footprint": footprint_presenter.statement_view(footprint.statement_for_answer(
            next((values.get(q.id) for q in section.questions if q.type == STAGES_TYPE and q.id in visible), None)
        )) if section.calculator == "footprint" else None,
        "footprint_data": footprint.current_data().to_dict() if section.calculator == "footprint" else None,
    }

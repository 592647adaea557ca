"""Turning posted form data into typed answers, and answers back into text.

Stored answer values are plain JSON: str (text, markdown, choice, hardware, and dates as "YYYY-MM-DD"),
list[str] (multi, in option order), bool (yes_no), int or float (number), list[dict] (footprint_stages: one
dict of footprint.STAGE_FIELDS per compute stage; records: one dict of column id -> value per row, see
records.py). None means cleared.

Form conventions (the form builder must follow them):
- the field name of question X is exactly X; a multi posts one value per ticked box under that name;
  yes_no posts "yes" or "no"; dates post "YYYY-MM-DD"; numbers post text.
- a question absent from the form is "not submitted" and its stored answer is left alone. Unticked
  checkboxes and unselected radios post nothing at all, so the page also posts `__present__` with the
  ids of the questions it rendered: a multi, choice or yes_no listed there but absent is then cleared.
- a footprint_stages question X posts one field per stage and stage field, `X-<n>-<field>` (n need not be
  contiguous; stages keep the order of n), and optionally `X-remove=<n>` (the "Remove stage" button) to drop
  stage n. Stages with nothing typed are dropped; listed in `__present__` with no stage fields, X is cleared.
- a records question X posts its cells the same way, `X-<n>-<column id>`, and `X-remove=<n>` ("Remove") drops
  row n; rows with nothing typed are dropped.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from app.questionnaires import footprint, records
from app.questionnaires.conditions import evaluate, is_blank, visible_question_ids
from app.questionnaires.schema import RECORDS_TYPE, STAGES_TYPE, Question, Questionnaire, Section

# Question types posted as one field per cell of a table (<question>-<n>-<column>), with a "Remove" button per row.
TABLE_TYPES = frozenset({STAGES_TYPE, RECORDS_TYPE})

__all__ = [
    "FieldError",
    "PRESENT_FIELD",
    "SectionParse",
    "answer_view",
    "display_value",
    "incomplete_problems",
    "is_required_error",
    "required_message",
    "is_blank",
    "parse_section",
    "parse_value",
    "required_ids",
    "section_status",
]

PRESENT_FIELD = "__present__"
SectionStatus = Literal["not_started", "in_progress", "completed", "needs_attention"]

ANSWER_REQUIRED = "Answer this question"
# A missing answer's message names its question in words (the GOV.UK error-message pattern): the error summary
# lists several, and "Answer this question" twice said neither which nor what.
_REQUIRED_PREFIX = "Answer “"
MUST_CONFIRM = "You must confirm the declaration to submit"
# Errors that say something is still missing (not that what was typed is wrong): the answer is still saved.
INCOMPLETE_PREFIX = "Complete "
_CLEARABLE_WHEN_ABSENT = frozenset({"multi", "yes_no", "choice", STAGES_TYPE, RECORDS_TYPE})
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class FieldError(ValueError):
    """An answer that cannot be accepted; the message is shown next to the field as it is."""


@dataclass
class SectionParse:
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    raw: dict[str, str | list[str]] = field(default_factory=dict)
    ignored_hidden: list[str] = field(default_factory=list)
    unknown_fields: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# --- single values ----------------------------------------------------------------------------------

def _number_text(value: float) -> str:
    return f"{value:.10g}"


def _normalise_text(raw: str) -> str:
    return raw.replace("\r\n", "\n").replace("\r", "\n").strip()


def _parse_text(question: Question, raw: str) -> str | None:
    text = _normalise_text(raw)
    if not text:
        return None
    limit = question.effective_max_length
    if limit is not None and len(text) > limit:
        raise FieldError(f"Enter {limit:,} characters or fewer (you entered {len(text):,})")
    return text


def _parse_choice(question: Question, raw: str) -> str | None:
    value = raw.strip()
    if not value:
        return None
    if question.option(value) is None:
        raise FieldError("Select one of the options")
    return value


def _parse_multi(question: Question, raw: list[str]) -> list[str]:
    chosen = {value.strip() for value in raw if value.strip()}
    if any(question.option(value) is None for value in chosen):
        raise FieldError("Select one of the options")
    exclusive = [o for o in question.options if o.exclusive and o.value in chosen]
    if exclusive and len(chosen) > 1:
        raise FieldError(f"“{exclusive[0].label}” cannot be combined with other options")
    # Option order, not click order, so equal answers compare equal and diffs stay quiet.
    return [option.value for option in question.options if option.value in chosen]


def _parse_yes_no(question: Question, raw: str) -> bool | None:
    value = raw.strip().lower()
    if not value:
        return None
    if value not in {"yes", "no", "true", "false"}:
        raise FieldError("Select yes or no")
    answer = value in {"yes", "true"}
    if question.must_be_true and not answer:
        raise FieldError(MUST_CONFIRM)
    return answer


def _bounds_message(question: Question) -> str:
    low, high = question.min, question.max
    if low is not None and high is not None:
        return f"Enter a number between {_number_text(low)} and {_number_text(high)}"
    if low is not None:
        return f"Enter a number of {_number_text(low)} or more"
    return f"Enter a number of {_number_text(high or 0)} or less"


def _parse_number(question: Question, raw: str) -> int | float | None:
    # Thousands separators are common in typed figures ("10,000 GPU hours"); decimal commas are not
    # used in the UK, so a comma is never a decimal point here.
    text = raw.strip().replace(",", "").replace("_", "").replace(" ", "")
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise FieldError("Enter a number") from None
    if not math.isfinite(number):
        raise FieldError("Enter a number")
    if question.integer and not number.is_integer():
        raise FieldError("Enter a whole number")
    if (question.min is not None and number < question.min) or (question.max is not None and number > question.max):
        raise FieldError(_bounds_message(question))
    return int(number) if question.integer else number


def _parse_date(raw: str) -> str | None:
    text = raw.strip()
    if not text:
        return None
    try:
        if not _DATE.match(text):
            raise ValueError
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise FieldError("Enter a date like 2026-03-31") from None


def required_message(question: Question) -> str:
    """The error for a required question left blank, e.g. Answer “Have you done Trusted Research due diligence
    on your partners?”."""
    return f"{_REQUIRED_PREFIX}{question.label.strip()}”"


def is_required_error(message: str) -> bool:
    """True for "answer missing" errors (the answer as typed is kept as a valid draft)."""
    return (message == ANSWER_REQUIRED or message.startswith((_REQUIRED_PREFIX, INCOMPLETE_PREFIX)))


def _parse_stages(raw: Any) -> list[dict[str, Any]] | None:
    stages, errors = footprint.parse_stages(raw if isinstance(raw, list) else [], footprint.current_data())
    if errors:
        raise FieldError(footprint.stages_summary_error(errors))
    return stages or None


def _parse_records(question: Question, raw: Any) -> list[dict[str, str]] | None:
    try:
        return records.parse_answer(question, raw)
    except records.RecordsError as exc:
        raise FieldError(str(exc)) from None


def parse_value(question: Question, raw: Any) -> Any:
    """The typed value of one raw form value (a list for multi, of stage dicts for footprint_stages, of row dicts
    for records); raises FieldError."""
    if question.type == STAGES_TYPE:
        return _parse_stages(raw)
    if question.type == RECORDS_TYPE:
        return _parse_records(question, raw)
    if question.type == "multi":
        return _parse_multi(question, raw if isinstance(raw, list) else [raw])
    text = _single(raw)
    if question.type in {"text", "markdown"}:
        return _parse_text(question, text)
    if question.type == "choice" or question.type == "hardware" and question.options:
        return _parse_choice(question, text)
    if question.type == "hardware":
        return _parse_text(question, text)
    if question.type == "yes_no":
        return _parse_yes_no(question, text)
    if question.type == "number":
        return _parse_number(question, text)
    if question.type == "date":
        return _parse_date(text)
    raise AssertionError(f"unhandled question type {question.type}")


def _single(raw: Any) -> Any:
    """The one value of a question that takes one: the first of a posted list, or the value itself."""
    if isinstance(raw, list):
        return raw[0] if raw else ""
    return raw


# --- a section of the form --------------------------------------------------------------------------

def _values(form: Mapping[str, list[str]], name: str) -> list[str]:
    # A flat dict (one str per name) is accepted too, so a caller's slip does not split text into characters.
    posted = form.get(name, [])
    return [posted] if isinstance(posted, str) else [str(value) for value in posted]


def _present_ids(form: Mapping[str, list[str]]) -> set[str]:
    # Accept one id per value or several separated by commas/spaces: both are easy to render.
    return {qid for value in _values(form, PRESENT_FIELD) for qid in re.split(r"[\s,]+", value) if qid}


def stage_field_names(question_id: str, form: Mapping[str, Any]) -> list[str]:
    """The posted names that belong to a footprint_stages or records question (its cells and buttons)."""
    prefix = question_id + "-"
    return [name for name in form if name.startswith(prefix)]


def _submitted_rows(question: Question, form: Mapping[str, list[str]],
                    present: set[str]) -> list[dict[str, str]] | None:
    """The rows of a table question as posted (stages, or a records question's rows), in the order of n."""
    names = footprint.STAGE_FIELDS if question.type == STAGES_TYPE else [column.id for column in question.fields]
    pattern = re.compile(rf"^{re.escape(question.id)}-(\d+)-([a-z0-9_]+)$")
    removed = {value.strip() for value in _values(form, f"{question.id}-remove")}
    rows: dict[int, dict[str, str]] = {}
    for name in form:
        match = pattern.match(name)
        if match and match.group(2) in names and match.group(1) not in removed:
            values = _values(form, name)
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = values[0] if values else ""
    if not rows and question.id not in present and not removed:
        return None
    return [{name: rows[n].get(name, "") for name in names} for n in sorted(rows)]


def _submitted_raw(question: Question, form: Mapping[str, list[str]], present: set[str]) -> str | list[Any] | None:
    """What the form posted for the question, or None when it was not submitted at all."""
    if question.type in TABLE_TYPES:
        return _submitted_rows(question, form, present)
    if question.id in form:
        values = _values(form, question.id)
        if question.type == "multi":
            return values
        return values[0] if values else ""
    if question.type in _CLEARABLE_WHEN_ABSENT and question.id in present:
        return [] if question.type == "multi" else ""
    return None


def parse_section(
    q: Questionnaire,
    section_id: str,
    form: Mapping[str, list[str]],
    stored: Mapping[str, Any],
    *,
    check_required: bool,
) -> SectionParse:
    """Parse the posted fields of one section against the stored answers (see the module docstring)."""
    section = q.section(section_id)
    own_ids = {question.id for question in section.questions}
    own_ids |= {name for q_ in section.questions if q_.type in TABLE_TYPES for name in stage_field_names(q_.id, form)}
    result = SectionParse(unknown_fields=[name for name in form if name not in own_ids and name != PRESENT_FIELD])
    parsed, parse_errors = _parse_submitted(section.questions, form, result.raw)

    merged = {**stored, **parsed}
    visible = visible_question_ids(q, merged)
    for qid in result.raw:
        if qid in visible:
            if qid in parse_errors:
                result.errors[qid] = parse_errors[qid]
            else:
                result.values[qid] = parsed[qid]
        elif not is_blank(result.raw[qid]):
            result.ignored_hidden.append(qid)
    # Answers to hidden questions are not stored, so they must not count as merged answers either.
    merged = {**stored, **result.values}

    if check_required:
        for qid, message in _unfinished(q, section, merged).items():
            result.errors.setdefault(qid, message)
    return result


def _parse_submitted(questions: Sequence[Question], form: Mapping[str, list[str]],
                     raw_values: dict[str, str | list[str]]) -> tuple[dict[str, Any], dict[str, str]]:
    """Parse what the form posted for each question, keeping it in `raw_values`: (values, errors) by question id."""
    present = _present_ids(form)
    parsed: dict[str, Any] = {}
    parse_errors: dict[str, str] = {}
    for question in questions:
        raw = _submitted_raw(question, form, present)
        if raw is None:
            continue
        raw_values[question.id] = raw
        try:
            parsed[question.id] = parse_value(question, raw)
        except FieldError as exc:
            parse_errors[question.id] = str(exc)
    return parsed, parse_errors


def _unfinished(q: Questionnaire, section: Section, merged: Mapping[str, Any]) -> dict[str, str]:
    """The section's required questions left blank and its answers not complete yet, with their messages."""
    required = required_ids(q, merged)
    problems = {question.id: required_message(question) for question in section.questions
                if question.id in required and is_blank(merged.get(question.id))}
    for qid, message in incomplete_problems(q, merged).items():
        if q.section_of(qid).id == section.id:
            problems.setdefault(qid, message)
    return problems


def incomplete_problems(q: Questionnaire, answers: Mapping[str, Any],
                        visible: set[str] | None = None) -> dict[str, str]:
    """Visible answers that are valid drafts but not complete yet (footprint stages missing a field, records
    rows missing a required cell).

    `visible`: visible_question_ids(q, answers), when the caller has it already.
    """
    if visible is None:
        visible = visible_question_ids(q, answers)
    problems = {}
    for question in q.questions:
        value = answers.get(question.id)
        if question.type == RECORDS_TYPE and question.id in visible and isinstance(value, list):
            unfinished = records.incomplete_message(question, value)
            if unfinished:
                problems[question.id] = INCOMPLETE_PREFIX + unfinished
        if question.type == STAGES_TYPE and question.id in visible and isinstance(value, list):
            missing = footprint.stage_problems(value)
            if missing:
                problems[question.id] = INCOMPLETE_PREFIX + footprint.stages_summary_error(missing).removeprefix(
                    "Correct ")
    return problems


def required_ids(q: Questionnaire, answers: Mapping[str, Any], visible: set[str] | None = None,
                 among: set[str] | None = None) -> set[str]:
    """Visible questions that must be answered: `required`, or `required_if` holds. `among`: only these."""
    if visible is None:
        visible = visible_question_ids(q, answers)
    effective = {qid: value for qid, value in answers.items() if qid in visible and not is_blank(value)}
    required = set()
    for qid in (visible if among is None else visible & among):
        question = q.question(qid)
        if question.required or question.required_if is not None and evaluate(question.required_if, effective):
            required.add(qid)
    return required


def section_status(
    q: Questionnaire, section_id: str, answers: Mapping[str, Any], invalid_ids: set[str],
    visible: set[str] | None = None,
) -> SectionStatus:
    """`visible`: visible_question_ids(q, answers), which a page showing every section computes once."""
    section_ids = {question.id for question in q.section(section_id).questions}
    if section_ids & set(invalid_ids):
        return "needs_attention"
    if visible is None:
        visible = visible_question_ids(q, answers)
    if all(is_blank(answers.get(qid)) for qid in visible & section_ids):
        return "not_started"
    missing = [qid for qid in required_ids(q, answers, visible, among=section_ids) if is_blank(answers.get(qid))]
    missing += [qid for qid in incomplete_problems(q, answers, visible) if qid in section_ids]
    return "in_progress" if missing else "completed"


# --- display ----------------------------------------------------------------------------------------

def _display_date(value: Any) -> str:
    if isinstance(value, str):
        text = value
        try:
            value = dt.date.fromisoformat(text)
        except ValueError:
            return text
    if isinstance(value, dt.date):
        return f"{value.day} {value:%B %Y}"
    return str(value)


def _display_number(question: Question, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    text = f"{value:,}" if isinstance(value, int) else f"{value:,.10g}"
    return f"{text} {question.unit}" if question.unit else text


def display_value(question: Question, value: Any) -> str:
    """Human text of an answer: option labels, Yes/No, "31 March 2026", numbers with their unit.
    Blank answers give ""; the caller decides how to show "not answered"."""
    if is_blank(value):
        return ""
    if question.type == STAGES_TYPE:
        return footprint.describe_stages(value)
    if question.type == RECORDS_TYPE:
        return records.describe(question, value)
    if question.options and isinstance(value, (list, tuple)):
        return "; ".join(_label(question, item) for item in value)
    if question.options:
        return _label(question, value)
    if question.type == "yes_no":
        return "Yes" if value is True else "No" if value is False else str(value)
    if question.type == "date":
        return _display_date(value)
    if question.type == "number":
        return _display_number(question, value)
    return str(value)


NO_ANSWER = "(no answer)"


def answer_view(question: Question, value: Any, *, as_typed: bool = False,
                footprint_statement: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """How a page shows an answer, for the one macro that draws answers (templates/answers.html):
    {"kind": "blank" | "markdown" | "text" | "footprint" | "records", "text": str}; a footprint answer also carries
    its stages as a table: "columns" (footprint.TABLE_COLUMNS) and "rows" (footprint.stage_table); a records answer
    its rows the same way (records.columns, records.table_rows) and what one row is called ("row_label").

    Markdown answers keep their source (the page renders and sanitises it, as the PDF does). `as_typed` shows a
    text value as it was typed (an input that did not parse, on the applicant's check page), not read as typed.
    `footprint_statement`: a submitted round's stored statement ({} if it has none), whose figures a footprint
    answer of that round shows instead of computing them with the footprint data in use now.
    """
    if value is None or value == "" or value == []:
        return {"kind": "blank", "text": NO_ANSWER}
    if question.type == "markdown" and isinstance(value, str):
        return {"kind": "markdown", "text": value}
    if question.type == STAGES_TYPE and isinstance(value, list):
        return {"kind": "footprint", "text": display_value(question, value), "columns": footprint.TABLE_COLUMNS,
                "rows": footprint.stage_table(value, frozen=footprint_statement)}
    if question.type == RECORDS_TYPE and isinstance(value, list):
        return {"kind": "records", "text": display_value(question, value), "columns": records.columns(question),
                "rows": records.table_rows(question, value), "row_label": records.row_label(question)}
    if as_typed and isinstance(value, str) and question.type not in ("choice", "multi"):
        return {"kind": "text", "text": value}
    try:
        text = display_value(question, value)
    except (KeyError, TypeError, ValueError):
        text = str(value)
    return {"kind": "text", "text": text}


def _label(question: Question, value: Any) -> str:
    option = question.option(str(value))
    return option.label if option is not None else str(value)

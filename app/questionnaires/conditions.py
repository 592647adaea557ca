"""Evaluation of declarative conditions (show_if, required_if, risk rules) against answers.

`evaluate` works on whatever answers it is given. Callers that care about visibility pass the
*effective* answers (`effective_answers`): only visible, non-blank ones, so a hidden question counts
as unanswered and chains of conditions collapse correctly.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.questionnaires.records import rows_matching
from app.questionnaires.schema import Condition, Questionnaire


def is_blank(value: Any) -> bool:
    """None, whitespace-only text and empty collections are blank; False and 0 are answers."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        return len(value) == 0
    return False


def _same(answer: Any, expected: Any) -> bool:
    # True == 1 in Python; a yes/no answer must not match a number condition or vice versa.
    if isinstance(answer, bool) or isinstance(expected, bool):
        return isinstance(answer, bool) and isinstance(expected, bool) and answer is expected
    return bool(answer == expected)


def _matches_any(answer: Any, expected: list[Any]) -> bool:
    if isinstance(answer, (list, tuple, set, frozenset)):
        return any(_same(item, value) for item in answer for value in expected)
    return any(_same(answer, value) for value in expected)


def evaluate(cond: Condition, answers: Mapping[str, Any]) -> bool:
    """True when the condition holds. For a multi (list) answer `equals` means "contains" and
    `in` means "shares at least one value with". With `field`, a records answer holds when any row's cell in that
    column does."""
    if cond.all_ is not None:
        return all(evaluate(child, answers) for child in cond.all_)
    if cond.any_ is not None:
        return any(evaluate(child, answers) for child in cond.any_)
    if cond.not_ is not None:
        return not evaluate(cond.not_, answers)

    answer = answers.get(cond.question) if cond.question is not None else None
    if cond.answered is not None:
        return (not is_blank(answer)) is cond.answered
    if is_blank(answer):
        return False
    if cond.field is not None:
        answer = rows_matching(answer, cond.field)
    if cond.in_ is not None:
        return _matches_any(answer, list(cond.in_))
    return _matches_any(answer, [cond.equals])


def visible_question_ids(q: Questionnaire, answers: Mapping[str, Any]) -> set[str]:
    """Ids of the questions shown given the answers.

    Questions are visited in dependency order, and each show_if only sees answers of questions already
    found visible: an answer left behind in a now-hidden question cannot keep its dependants visible.
    """
    visible: set[str] = set()
    seen: dict[str, Any] = {}
    for qid, show_if in q.visibility_plan():
        if show_if is None or evaluate(show_if, seen):
            visible.add(qid)
            if qid in answers and not is_blank(answers[qid]):
                seen[qid] = answers[qid]
    return visible


def effective_answers(q: Questionnaire, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers that count: those of visible questions, without blanks."""
    visible = visible_question_ids(q, answers)
    return {qid: value for qid, value in answers.items() if qid in visible and not is_blank(value)}

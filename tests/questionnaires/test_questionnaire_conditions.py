"""Declarative conditions and visibility."""
from __future__ import annotations

from typing import Any

import pytest

from app.questionnaires.conditions import effective_answers, evaluate, is_blank, visible_question_ids
from app.questionnaires.loader import questionnaire_from_data
from app.questionnaires.schema import Condition, Questionnaire


def cond(data: dict[str, Any]) -> Condition:
    return Condition.model_validate(data)


@pytest.mark.parametrize(
    ("condition", "answers", "expected"),
    [
        ({"question": "X", "equals": "a"}, {"X": "a"}, True),
        ({"question": "X", "equals": "a"}, {"X": "b"}, False),
        ({"question": "X", "equals": "a"}, {}, False),
        # multi answers: equals means "contains", in means "intersects"
        ({"question": "X", "equals": "a"}, {"X": ["b", "a"]}, True),
        ({"question": "X", "equals": "a"}, {"X": ["b"]}, False),
        ({"question": "X", "in": ["a", "c"]}, {"X": ["b", "c"]}, True),
        ({"question": "X", "in": ["a", "c"]}, {"X": ["b"]}, False),
        ({"question": "X", "in": ["a", "c"]}, {"X": "c"}, True),
        ({"question": "X", "in": ["a", "c"]}, {"X": []}, False),
        # yes/no answers are bools, and False is an answer, not a blank
        ({"question": "X", "equals": False}, {"X": False}, True),
        ({"question": "X", "equals": False}, {"X": True}, False),
        ({"question": "X", "equals": False}, {}, False),
        ({"question": "X", "equals": True}, {"X": 1}, False),
        ({"question": "X", "equals": 1}, {"X": True}, False),
        ({"question": "X", "equals": 2}, {"X": 2.0}, True),
        ({"question": "X", "answered": True}, {"X": False}, True),
        ({"question": "X", "answered": True}, {"X": "  "}, False),
        ({"question": "X", "answered": False}, {"X": []}, True),
        ({"question": "X", "answered": False}, {"X": 0}, False),
        ({"all": [{"question": "X", "equals": "a"}, {"question": "Y", "equals": True}]}, {"X": "a", "Y": True}, True),
        ({"all": [{"question": "X", "equals": "a"}, {"question": "Y", "equals": True}]}, {"X": "a"}, False),
        ({"any": [{"question": "X", "equals": "a"}, {"question": "Y", "equals": True}]}, {"Y": True}, True),
        ({"any": [{"question": "X", "equals": "a"}, {"question": "Y", "equals": True}]}, {}, False),
        ({"not": {"question": "X", "in": ["a"]}}, {}, True),
        ({"not": {"question": "X", "in": ["a"]}}, {"X": ["a", "b"]}, False),
    ],
)
def test_evaluate(condition: dict[str, Any], answers: dict[str, Any], expected: bool) -> None:
    assert evaluate(cond(condition), answers) is expected


def test_condition_reads_aliased_keys_and_lists_references() -> None:
    c = cond({"all": [{"question": "A1", "in": ["x"]}, {"not": {"any": [{"question": "B2", "answered": True}]}}]})
    assert c.referenced_questions() == {"A1", "B2"}


@pytest.mark.parametrize("value", [None, "", "  \n", [], {}, ()])
def test_blank_values(value: Any) -> None:
    assert is_blank(value)


@pytest.mark.parametrize("value", [False, 0, 0.0, "x", ["a"]])
def test_non_blank_values(value: Any) -> None:
    assert not is_blank(value)


def chain() -> Questionnaire:
    """Q1 yes -> Q2 shown; Q2 'deep' -> Q3 shown; Q4 shown when Q3 answered; Q0 shown by a later question."""
    return questionnaire_from_data(
        {
            "key": "chain",
            "version": 1,
            "title": "Chain",
            "sections": [
                {
                    "id": "A",
                    "title": "A",
                    "questions": [
                        {"id": "A0", "type": "text", "label": "forward",
                         "show_if": {"question": "A4", "answered": True}},
                        {"id": "A1", "type": "yes_no", "label": "one"},
                        {
                            "id": "A2",
                            "type": "choice",
                            "label": "two",
                            "show_if": {"question": "A1", "equals": True},
                            "options": [{"value": "deep", "label": "Deep"}, {"value": "shallow", "label": "Shallow"}],
                        },
                        {"id": "A3", "type": "text", "label": "three", "show_if": {"question": "A2", "equals": "deep"}},
                        {"id": "A4", "type": "text", "label": "four", "show_if": {"question": "A3", "answered": True}},
                        {"id": "A5", "type": "text", "label": "five",
                         "show_if": {"not": {"question": "A2", "answered": True}}},
                    ],
                }
            ],
        }
    )


def test_visibility_follows_the_chain() -> None:
    q = chain()
    all_on = {"A1": True, "A2": "deep", "A3": "text", "A4": "more", "A0": "fwd"}
    assert visible_question_ids(q, all_on) == {"A0", "A1", "A2", "A3", "A4"}


def test_hidden_question_counts_as_unanswered_down_the_chain() -> None:
    q = chain()
    # A1 switched to "no": A2 is hidden, so its stale answer must not keep A3, A4 and A0 visible.
    stale = {"A1": False, "A2": "deep", "A3": "text", "A4": "more", "A0": "fwd"}
    assert visible_question_ids(q, stale) == {"A1", "A5"}
    assert effective_answers(q, stale) == {"A1": False}


def test_visibility_with_no_answers() -> None:
    assert visible_question_ids(chain(), {}) == {"A1", "A5"}

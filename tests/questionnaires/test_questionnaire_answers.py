"""Parsing posted form data into typed answers; required questions; status; display."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from app.questionnaires.answers import display_value, parse_section, required_ids, section_status
from app.questionnaires.loader import questionnaire_from_data
from app.questionnaires.schema import Questionnaire

Q = questionnaire_from_data(
    {
        "key": "form",
        "version": 1,
        "title": "Form",
        "sections": [
            {
                "id": "A",
                "title": "Everything",
                "questions": [
                    {"id": "A1", "type": "text", "label": "Title", "max_length": 10},
                    {"id": "A2", "type": "markdown", "label": "Summary", "required": False},
                    {
                        "id": "A3",
                        "type": "choice",
                        "label": "Role",
                        "options": [{"value": "predict", "label": "Prediction"}, {"value": "other", "label": "Other"}],
                    },
                    {"id": "A3a", "type": "text", "label": "Describe",
                     "show_if": {"question": "A3", "equals": "other"}},
                    {
                        "id": "A4",
                        "type": "multi",
                        "label": "Sources",
                        "required": False,
                        "options": [
                            {"value": "mp", "label": "Materials Project"},
                            {"value": "icsd", "label": "ICSD"},
                            {"value": "none", "label": "None of these", "exclusive": True},
                        ],
                    },
                    {"id": "A5", "type": "yes_no", "label": "Abroad?"},
                    {
                        "id": "A6",
                        "type": "yes_no",
                        "label": "Checked?",
                        "required": False,
                        "required_if": {"question": "A5", "equals": True},
                    },
                    {"id": "A7", "type": "number", "label": "Hours", "min": 0, "max": 100000, "unit": "hours"},
                    {"id": "A8", "type": "number", "label": "Devices", "integer": True, "min": 1, "required": False},
                    {"id": "A9", "type": "date", "label": "Date", "required": False},
                ],
            },
            {
                "id": "B",
                "title": "Declaration",
                "questions": [
                    {"id": "B1", "type": "yes_no", "label": "I confirm", "must_be_true": True},
                    {"id": "B2", "type": "text", "label": "Team", "required": False},
                ],
            },
        ],
    }
)


def parse(form: dict[str, list[str]], stored: dict[str, Any] | None = None, *, check: bool = False, section: str = "A"):
    return parse_section(Q, section, form, stored or {}, check_required=check)


def missing(qid: str) -> str:
    """The message for a required answer left blank: it names the question in words."""
    return f"Answer “{Q.question(qid).label}”"


def test_valid_values_are_typed() -> None:
    result = parse(
        {
            "A1": ["  Stability  "],
            "A2": ["line one\r\nline two\r\n"],
            "A3": ["predict"],
            "A4": ["icsd", "mp", "mp"],
            "A5": ["yes"],
            "A6": ["no"],
            "A7": ["1,250.5"],
            "A8": ["4"],
            "A9": ["2026-03-31"],
        }
    )
    assert result.errors == {}
    assert result.values == {
        "A1": "Stability",
        "A2": "line one\nline two",
        "A3": "predict",
        "A4": ["mp", "icsd"],  # option order, duplicates dropped
        "A5": True,
        "A6": False,
        "A7": 1250.5,
        "A8": 4,
        "A9": "2026-03-31",
    }
    assert isinstance(result.values["A8"], int)


@pytest.mark.parametrize(
    ("field", "raw", "message"),
    [
        ("A1", "x" * 12, "Enter 10 characters or fewer (you entered 12)"),
        ("A3", "predicted", "Select one of the options"),
        ("A5", "maybe", "Select yes or no"),
        ("A7", "lots", "Enter a number"),
        ("A7", "nan", "Enter a number"),
        ("A7", "-1", "Enter a number between 0 and 100000"),
        ("A7", "100001", "Enter a number between 0 and 100000"),
        ("A8", "2.5", "Enter a whole number"),
        ("A8", "0", "Enter a number of 1 or more"),
        ("A9", "31/03/2026", "Enter a date like 2026-03-31"),
        ("A9", "2026-02-30", "Enter a date like 2026-03-31"),
    ],
)
def test_invalid_values_give_clear_messages_and_keep_the_input(field: str, raw: str, message: str) -> None:
    result = parse({field: [raw]})
    assert result.errors == {field: message}
    assert field not in result.values
    assert result.raw[field] == raw


def test_markdown_default_limit_is_20000() -> None:
    result = parse({"A2": ["a" * 20001]})
    assert result.errors == {"A2": "Enter 20,000 characters or fewer (you entered 20,001)"}
    assert parse({"A2": ["a" * 20000]}).errors == {}


def test_unknown_multi_value_and_exclusive_option() -> None:
    assert parse({"A4": ["mp", "oqmd"]}).errors == {"A4": "Select one of the options"}
    assert parse({"A4": ["mp", "none"]}).errors == {"A4": "“None of these” cannot be combined with other options"}


def test_blank_clears_and_absent_leaves_alone() -> None:
    stored = {"A1": "Old", "A2": "Old summary", "A7": 5}
    result = parse({"A1": ["   "], "A7": [""]}, stored)
    assert result.values == {"A1": None, "A7": None}
    assert "A2" not in result.values and "A2" not in result.raw


def test_present_marker_clears_unticked_checkboxes_and_radios() -> None:
    stored = {"A4": ["mp"], "A5": True, "A1": "Kept"}
    without_marker = parse({}, stored)
    assert without_marker.values == {}
    with_marker = parse({"__present__": ["A4 A5", "A1"]}, stored)
    # Text fields are always posted by a browser, so the marker does not clear them.
    assert with_marker.values == {"A4": [], "A5": None}
    assert with_marker.unknown_fields == []


def test_flat_form_values_are_not_split_into_characters() -> None:
    flat = {"A1": "Title", "A4": "mp", "__present__": "A5"}
    result = parse(flat, {"A5": True})  # type: ignore[arg-type]  # a flat dict on purpose: the case under test
    assert result.values == {"A1": "Title", "A4": ["mp"], "A5": None}


def test_unknown_fields_are_listed_not_stored() -> None:
    result = parse({"A1": ["T"], "B2": ["someone"], "csrf_token": ["x"]})
    assert result.values == {"A1": "T"}
    assert result.unknown_fields == ["B2", "csrf_token"]


def test_hidden_question_values_are_ignored() -> None:
    # A3a only shows for A3 == "other".
    result = parse({"A3": ["predict"], "A3a": ["described anyway"]})
    assert result.values == {"A3": "predict"}
    assert result.ignored_hidden == ["A3a"]
    blank_hidden = parse({"A3": ["predict"], "A3a": [""]})
    assert blank_hidden.ignored_hidden == []


def test_hidden_question_invalid_value_is_not_an_error() -> None:
    result = parse({"A3": ["predict"], "A3a": ["x" * 1000]})
    assert result.errors == {}


def test_visibility_uses_the_new_answers_of_the_same_post() -> None:
    result = parse({"A3": ["other"], "A3a": ["Active learning"]}, {"A3": "predict"})
    assert result.values == {"A3": "other", "A3a": "Active learning"}
    assert result.ignored_hidden == []


def test_required_check_uses_merged_answers() -> None:
    stored = {"A1": "Stored", "A3": "other", "A7": 3}
    result = parse({"A5": ["yes"]}, stored, check=True)
    # A3a is shown (A3 other) and blank; A6 becomes required because A5 is now yes.
    assert result.errors == {"A3a": missing("A3a"), "A6": missing("A6")}
    assert parse({"A5": ["no"]}, stored, check=True).errors == {"A3a": missing("A3a")}


def test_required_check_keeps_the_parse_error() -> None:
    result = parse({"A7": ["abc"]}, {}, check=True)
    assert result.errors["A7"] == "Enter a number"
    assert result.errors["A1"] == missing("A1")
    assert "A2" not in result.errors  # optional


def test_required_check_off_for_autosave() -> None:
    assert parse({"A1": ["T"]}, {}, check=False).errors == {}


def test_declaration_must_be_yes() -> None:
    assert parse({"B1": ["no"]}, section="B").errors == {"B1": "You must confirm the declaration to submit"}
    assert parse({"B1": ["yes"]}, section="B").values == {"B1": True}
    assert parse({}, section="B", check=True).errors == {"B1": missing("B1")}


def test_unknown_section() -> None:
    with pytest.raises(KeyError):
        parse({}, section="Z")


def test_required_ids() -> None:
    assert required_ids(Q, {}) == {"A1", "A3", "A5", "A7", "B1"}
    assert required_ids(Q, {"A3": "other", "A5": True}) == {"A1", "A3", "A3a", "A5", "A6", "A7", "B1"}


def complete_a() -> dict[str, Any]:
    return {"A1": "T", "A3": "predict", "A5": False, "A7": 2.0}


@pytest.mark.parametrize(
    ("answers", "invalid", "expected"),
    [
        ({}, set(), "not_started"),
        ({"A3a": "hidden answer"}, set(), "not_started"),
        ({"A1": "T"}, set(), "in_progress"),
        (complete_a(), set(), "completed"),
        ({**complete_a(), "A5": True}, set(), "in_progress"),  # A6 now required
        (complete_a(), {"A7"}, "needs_attention"),
        ({}, {"A1"}, "needs_attention"),
        (complete_a(), {"B1"}, "completed"),
    ],
)
def test_section_status(answers: dict[str, Any], invalid: set[str], expected: str) -> None:
    assert section_status(Q, "A", answers, invalid) == expected


@pytest.mark.parametrize(
    ("qid", "value", "expected"),
    [
        ("A3", "other", "Other"),
        ("A4", ["mp", "icsd"], "Materials Project; ICSD"),
        ("A5", True, "Yes"),
        ("A5", False, "No"),
        ("A9", "2026-03-31", "31 March 2026"),
        ("A9", dt.date(2026, 1, 5), "5 January 2026"),
        ("A7", 1250.5, "1,250.5 hours"),
        ("A7", 48.0, "48 hours"),
        ("A8", 12000, "12,000"),
        ("A1", "Title", "Title"),
        ("A1", None, ""),
        ("A4", [], ""),
    ],
)
def test_display_value(qid: str, value: Any, expected: str) -> None:
    assert display_value(Q.question(qid), value) == expected


def test_questionnaire_is_frozen() -> None:
    q: Questionnaire = Q
    with pytest.raises(ValidationError):
        q.question("A1").label = "changed"  # type: ignore[misc]  # changing a frozen model is the case under test

"""Loading and validating questionnaire files: every error comes back with its path."""
from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.questionnaires import loader
from app.questionnaires.loader import (
    QUESTIONNAIRE_ROOT,
    QuestionnaireError,
    get_questionnaire,
    latest_version,
    load_questionnaire,
    validate_data,
    validate_file,
)

BASE: dict[str, Any] = {
    "key": "demo",
    "version": 1,
    "title": "Demo",
    "sections": [
        {
            "id": "A",
            "title": "First",
            "questions": [
                {"id": "A1", "type": "yes_no", "label": "Partners abroad?"},
                {"id": "A2", "type": "text", "label": "Which?", "show_if": {"question": "A1", "equals": True}},
                {
                    "id": "A3",
                    "type": "choice",
                    "label": "Role",
                    "options": [{"value": "predict", "label": "Predict"}, {"value": "generate", "label": "Generate"}],
                },
            ],
        },
        {
            "id": "B",
            "title": "Second",
            "questions": [
                {
                    "id": "B1",
                    "type": "multi",
                    "label": "Sources",
                    "options": [{"value": "mp", "label": "Materials Project"}, {"value": "icsd", "label": "ICSD"}],
                },
                {"id": "B2", "type": "number", "label": "Hours", "min": 0, "max": 10},
            ],
        },
    ],
}


def data(**changes: Any) -> dict[str, Any]:
    result = copy.deepcopy(BASE)
    result.update(changes)
    return result


def write(tmp_path: Path, content: Any, name: str = "v1.yaml") -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False))
    return path


def test_valid_file_has_no_errors_and_loads_with_its_hash(tmp_path: Path) -> None:
    path = write(tmp_path, BASE)
    assert validate_file(path) == []
    q = load_questionnaire(path)
    assert q.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert [question.id for question in q.questions] == ["A1", "A2", "A3", "B1", "B2"]
    assert q.question("B2").max == 10
    assert q.section("B").title == "Second"
    with pytest.raises(KeyError):
        q.question("Z9")


def test_yaml_syntax_error_reports_line(tmp_path: Path) -> None:
    path = write(tmp_path, "key: demo\nversion: 1\nsections: [\n  - id: A\n")
    errors = validate_file(path)
    assert len(errors) == 1
    assert "YAML syntax error" in errors[0]
    assert errors[0].startswith("line ")


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    errors = validate_file(tmp_path / "v9.yaml")
    assert errors and "cannot read file" in errors[0]


def test_duplicate_yaml_key_is_an_error(tmp_path: Path) -> None:
    text = yaml.safe_dump(BASE, sort_keys=False) + "title: Again\n"
    errors = validate_file(write(tmp_path, text))
    assert any("duplicate key 'title'" in error for error in errors)


def test_yes_and_no_stay_text_in_option_values(tmp_path: Path) -> None:
    # YAML 1.1 would turn an unquoted `no` into False and break the option silently.
    text = yaml.safe_dump(BASE, sort_keys=False).replace("value: generate", "value: no")
    q = load_questionnaire(write(tmp_path, text))
    assert q.question("A3").options[1].value == "no"


def test_schema_errors_are_converted_to_paths() -> None:
    broken = data()
    broken["sections"][1]["questions"][1]["type"] = "slider"
    del broken["sections"][0]["questions"][2]["options"][1]["label"]
    broken["sections"][0]["questions"][0]["colour"] = "red"
    errors = validate_data(broken)
    assert any(e.startswith("sections[1].questions[1].type: Input should be") for e in errors)
    assert "sections[0].questions[2].options[1].label: every option needs a label" in errors
    assert "sections[0].questions[0].colour: unknown field (check the spelling)" in errors


def test_schema_messages_are_readable() -> None:
    broken = data()
    questions = broken["sections"][0]["questions"]
    questions[1]["show_if"] = {"question": "A1", "equals": [1, 2]}
    questions[0]["id"] = "a1"
    questions[2]["risk_rules"] = [{"when": {"question": "A3", "answered": True}, "risk": {"money": "M"}, "reason": "r"}]
    errors = validate_data(broken)
    assert errors == [
        "sections[0].questions[0].id: question ids look like A1, B10 or D2a",
        "sections[0].questions[1].show_if.equals: should be text, true/false or a number",
        "sections[0].questions[2].risk_rules[0].risk.money: unknown name: Input should be 'data', 'dual_use', "
        "'environment', 'people' or 'openness'",
    ]


def test_blank_option_label_is_an_error() -> None:
    broken = data()
    broken["sections"][0]["questions"][2]["options"][0]["label"] = "   "
    errors = validate_data(broken)
    assert errors == ["sections[0].questions[2].options[0].label: every option needs a label"]


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ({"id": "A9", "type": "choice", "label": "x"}, "a choice question needs options"),
        ({"id": "A9", "type": "text", "label": "x", "min": 1}, "only apply to number questions"),
        ({"id": "A9", "type": "number", "label": "x", "min": 5, "max": 1}, "'min' (5) is greater than 'max' (1)"),
        ({"id": "A9", "type": "text", "label": "x", "must_be_true": True}, "only applies to yes_no"),
        (
            {"id": "A9", "type": "choice", "label": "x", "options": [{"value": "a", "label": "A"}] * 2},
            "duplicate option values: a",
        ),
        ({"id": "A9", "type": "text", "label": "x", "show_if": {"question": "A1"}}, "exactly one of"),
        (
            {"id": "A9", "type": "text", "label": "x", "show_if": {"all": [], "question": "A1"}},
            "use exactly one of 'all', 'any', 'not'",
        ),
    ],
)
def test_question_shape_errors(question: dict[str, Any], message: str) -> None:
    broken = data()
    broken["sections"][0]["questions"].append(question)
    errors = validate_data(broken)
    assert len(errors) == 1, errors
    assert errors[0].startswith("sections[0].questions[3]")
    assert message in errors[0]


def test_duplicate_question_and_section_ids() -> None:
    broken = data()
    broken["sections"][1]["questions"][1]["id"] = "A2"
    broken["sections"].append({"id": "B", "title": "Again", "questions": [{"id": "C1", "type": "text", "label": "x"}]})
    errors = validate_data(broken)
    assert ("sections[1].questions[1].id: duplicate question id 'A2' (already used by sections[0].questions[1])"
            in errors)
    assert "sections[2].id: duplicate section id 'B' (already used by sections[1])" in errors


def test_unknown_question_in_any_condition_is_reported_with_its_path() -> None:
    broken = data()
    questions = broken["sections"][1]["questions"]
    questions[0]["show_if"] = {"question": "C99", "equals": True}
    questions[1]["required_if"] = {"any": [{"question": "A1", "equals": True},
                                           {"not": {"question": "Q7", "answered": True}}]}
    questions[1]["risk_rules"] = [{"when": {"question": "X1", "in": ["a"]}, "risk": {"data": "M"}, "reason": "r"}]
    errors = validate_data(broken)
    assert errors == [
        "sections[1].questions[0].show_if.question: unknown question 'C99'",
        "sections[1].questions[1].required_if.any[1].not.question: unknown question 'Q7'",
        "sections[1].questions[1].risk_rules[0].when.question: unknown question 'X1'",
    ]


def test_unknown_option_values_in_conditions() -> None:
    broken = data()
    questions = broken["sections"][1]["questions"]
    questions[1]["show_if"] = {"all": [{"question": "A3", "equals": "predicted"},
                                       {"question": "B1", "in": ["mp", "csd"]}]}
    errors = validate_data(broken)
    assert errors == [
        "sections[1].questions[1].show_if.all[0].equals: 'predicted' is not an option of question A3 "
        "(options: predict, generate)",
        "sections[1].questions[1].show_if.all[1].in[1]: 'csd' is not an option of question B1 (options: mp, icsd)",
    ]


def test_condition_value_must_fit_the_question_type() -> None:
    broken = data()
    broken["sections"][0]["questions"][1]["show_if"] = {"question": "A1", "equals": "yes"}
    broken["sections"][1]["questions"][0]["show_if"] = {"question": "B2", "equals": "ten"}
    errors = validate_data(broken)
    assert len(errors) == 2
    assert "question A1 is yes/no: compare with true or false" in errors[0]
    assert "question B2 is a number" in errors[1]


def test_two_question_cycle() -> None:
    broken = data()
    broken["sections"][0]["questions"][0]["show_if"] = {"question": "A2", "answered": True}
    errors = validate_data(broken)
    assert errors == ["sections[0].questions[0].show_if: condition cycle A1 -> A2 -> A1"]


def test_longer_cycle_and_self_reference() -> None:
    broken = data()
    questions = broken["sections"][0]["questions"] + broken["sections"][1]["questions"]
    questions[2]["show_if"] = {"not": {"question": "B2", "answered": True}}  # A3 <- B2
    questions[4]["show_if"] = {"any": [{"question": "B1", "equals": "mp"}]}  # B2 <- B1
    questions[3]["show_if"] = {"question": "A3", "equals": "generate"}  # B1 <- A3
    questions[0]["show_if"] = {"question": "A1", "equals": True}  # A1 <- A1
    errors = validate_data(broken)
    assert "sections[0].questions[0].show_if: condition cycle A1 -> A1" in errors
    assert "sections[0].questions[2].show_if: condition cycle A3 -> B2 -> B1 -> A3" in errors
    assert len(errors) == 2


def test_forward_reference_without_cycle_is_fine() -> None:
    ok = data()
    ok["sections"][0]["questions"][0]["show_if"] = {"question": "B1", "in": ["icsd"]}
    assert validate_data(ok) == []


def test_version_must_match_file_name(tmp_path: Path) -> None:
    errors = validate_file(write(tmp_path, BASE, name="v2.yaml"))
    assert errors == ["version: file name v2.yaml says version 2 but the file says 1"]


def test_load_raises_with_every_error(tmp_path: Path) -> None:
    broken = data()
    broken["sections"][0]["questions"][1]["show_if"] = {"question": "C99", "equals": True}
    broken["sections"][1]["questions"][0]["id"] = "A1"
    with pytest.raises(QuestionnaireError) as excinfo:
        load_questionnaire(write(tmp_path, broken))
    assert len(excinfo.value.errors) == 2
    assert "unknown question 'C99'" in str(excinfo.value)


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    assert validate_file(write(tmp_path, "- just\n- a list\n")) == [
        "(top level): expected a mapping with key, version, title and sections"
    ]


def test_get_questionnaire_is_cached_and_latest_version_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "demo"
    folder.mkdir()
    write(folder, BASE, "v1.yaml")
    write(folder, data(version=2, title="Demo 2"), "v2.yaml")
    (folder / "v2.yaml.bak").write_text("not a version")
    monkeypatch.setattr(loader, "QUESTIONNAIRE_ROOT", tmp_path)
    get_questionnaire.cache_clear()
    try:
        assert latest_version("demo") == 2
        first = get_questionnaire("demo", 2)
        assert first.title == "Demo 2"
        assert get_questionnaire("demo", 2) is first
        with pytest.raises(FileNotFoundError):
            get_questionnaire("demo", 3)
        with pytest.raises(FileNotFoundError):
            get_questionnaire("../demo", 1)
        with pytest.raises(FileNotFoundError):
            latest_version("absent")
    finally:
        get_questionnaire.cache_clear()


def test_get_questionnaire_checks_folder_matches_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "other"
    folder.mkdir()
    write(folder, BASE, "v1.yaml")
    monkeypatch.setattr(loader, "QUESTIONNAIRE_ROOT", tmp_path)
    get_questionnaire.cache_clear()
    try:
        with pytest.raises(QuestionnaireError, match="declares key 'demo'"):
            get_questionnaire("other", 1)
    finally:
        get_questionnaire.cache_clear()


def test_root_is_the_project_questionnaires_folder() -> None:
    assert Path(__file__).resolve().parents[2] / "questionnaires" == QUESTIONNAIRE_ROOT
    assert (QUESTIONNAIRE_ROOT / "ml-materials-ethics" / "v1.yaml").is_file()


def test_new_drafts_start_on_the_current_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "demo"
    folder.mkdir()
    write(folder, BASE, "v1.yaml")
    write(folder, data(version=2, title="Demo 2"), "v2.yaml")
    monkeypatch.setattr(loader, "QUESTIONNAIRE_ROOT", tmp_path)
    assert loader.current_version("demo") == 2
    (folder / "current.yaml").write_text("current: 1\n")
    assert loader.current_version("demo") == 1
    (folder / "current.yaml").write_text("current: 3\n")
    with pytest.raises(loader.QuestionnaireError, match="'current' must name a released version"):
        loader.current_version("demo")


def test_new_drafts_start_on_version_2_and_version_1_stays_released() -> None:
    assert loader.current_version("ml-materials-ethics") == 2
    assert loader.get_questionnaire("ml-materials-ethics", 1).version == 1
    assert latest_version("ml-materials-ethics") == 2

"""`flask questionnaire score ANSWERS.json` through the real CLI: what it prints for good answers, and a clear
message naming the question, with exit code 2, for bad ones."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.questionnaires.loader import QUESTIONNAIRE_ROOT
from tests.questionnaires.test_routing_cases import UNCLASSIFIED_AEROSPACE, benign


def run(app, tmp_path: Path, answers: Any, *options: str) -> Any:
    path = tmp_path / "answers.json"
    path.write_text(answers if isinstance(answers, str) else json.dumps(answers))
    return app.test_cli_runner().invoke(args=["questionnaire", "score", str(path), *options])


def test_json_report_of_an_unclassified_aerospace_project(app, tmp_path: Path) -> None:
    result = run(app, tmp_path, benign(**UNCLASSIFIED_AEROSPACE, C12=["export_check"]), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["questionnaire"] == "ml-materials-ethics v2"
    assert report["policy"] == "default v1"
    assert report["categories"]["dual_use"] == {"points": 2, "tier": "Medium", "hard_trigger": False}
    assert report["categories"]["data"] == {"points": 0, "tier": "Low", "hard_trigger": False}
    assert (report["overall"], report["route"], report["reviewers_required"], report["chair_required"]) == (
        "Medium", "standard", 2, True)
    assert report["signoffs"] == ["export_control"]
    assert report["extra_reviewers"] == []
    assert report["blocking"] == []
    assert [(r["question_id"], r["category"], r["level"], r["points"]) for r in report["reasons"]] == [
        ("C1", "dual_use", "M", 1), ("C6", "dual_use", "M", 1)]
    assert report["reasons"][1]["text"] == ("C6: No export-control self-classification although the work touches "
                                            "a controlled or sensitive area")


def test_text_report_lists_advice_and_blocking_issues(app, tmp_path: Path) -> None:
    result = run(app, tmp_path, benign(C8=True, E5=None))
    assert result.exit_code == 0, result.output
    assert "Overall: Low; route: expedited (1 reviewer(s), chair not needed)" in result.output
    assert "Blocking: C8: A team member needs an ATAS certificate" in result.output
    assert "Advice: E5: Benefits, supply chains and community involvement not described" in result.output


def test_version_1_scores_with_its_own_rules(app, tmp_path: Path) -> None:
    answers = {"C1": ["aerospace"], "C6": False, "C7": False}
    result = run(app, tmp_path, answers, "--questionnaire", "ml-materials-ethics/1", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    # v1: aerospace M + unclassified H = 4 points, Medium, standard route and no sign-off (the issue's case 2).
    assert report["categories"]["dual_use"]["points"] == 4
    assert (report["route"], report["signoffs"], report["policy"]) == ("standard", [], None)


def test_another_policy_file(app, tmp_path: Path) -> None:
    policy = tmp_path / "strict.yaml"
    policy.write_text((QUESTIONNAIRE_ROOT / "policy" / "default.yaml").read_text()
                      .replace("thresholds: {Medium: 2, High: 5}", "thresholds: {Medium: 1, High: 2}"))
    result = run(app, tmp_path, benign(**UNCLASSIFIED_AEROSPACE), "--policy", str(policy), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["route"] == "full_committee"


def test_help_documents_the_answers_format(app) -> None:
    result = app.test_cli_runner().invoke(args=["questionnaire", "score", "--help"])
    assert result.exit_code == 0
    for words in ("question id -> answer", "assessment.json", '["option_value", ...]', "true or false",
                  "--questionnaire ID/VERSION", "--policy FILE", "exit code is 2"):
        assert words in result.output


@pytest.mark.parametrize(("answers", "options", "message"), [
    ({"C1": ["uranium"]}, (), "C1: 'uranium' is not an option (options: energetic,"),
    ({"C8": "yes"}, (), "C8: expected true or false, got 'yes'"),
    ({"C1": "aerospace"}, (), "C1: expected a list of options, got 'aerospace'"),
    ({"C3": True}, (), "C3: no such question in ml-materials-ethics v2"),
    ({"Z99": 1}, ("--questionnaire", "ml-materials-ethics/1"), "Z99: no such question in ml-materials-ethics v1"),
    ("[1, 2]", (), "expected an object mapping question ids to answers"),
    ("{not json", (), "not JSON"),
    ({}, ("--questionnaire", "ml-materials-ethics/9"), "--questionnaire: no questionnaire ml-materials-ethics "
                                                       "version 9"),
    ({}, ("--questionnaire", "ml-materials-ethics/two"), "--questionnaire: give ID/VERSION"),
])
def test_bad_input_is_named_and_exits_2(app, tmp_path: Path, answers: Any, options: tuple[str, ...],
                                        message: str) -> None:
    result = run(app, tmp_path, answers, *options)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_broken_policy_file_exits_2(app, tmp_path: Path) -> None:
    policy = tmp_path / "broken.yaml"
    policy.write_text("key: broken\nversion: 1\n")
    result = run(app, tmp_path, {}, "--policy", str(policy))
    assert result.exit_code == 2
    assert "--policy" in result.output and "title: required field missing" in result.output

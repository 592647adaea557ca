"""`flask questionnaire validate FILE` through the real CLI."""
from pathlib import Path

from app.questionnaires.loader import QUESTIONNAIRE_ROOT

BROKEN = """
key: broken
version: 1
title: Broken
sections:
  - id: A
    title: First
    questions:
      - id: A1
        type: choice
        label: Pick one
        options:
          - value: x
            label: ""
      - id: A1
        type: yes_no
        label: Duplicate
        show_if: {question: Z9, equals: true}
      - id: A2
        type: yes_no
        label: Loops with A3
        show_if: {question: A3, equals: true}
      - id: A3
        type: yes_no
        label: Loops with A2
        show_if: {question: A2, equals: true}
"""


def test_the_released_questionnaire_is_valid(app):
    result = app.test_cli_runner().invoke(
        args=["questionnaire", "validate", str(QUESTIONNAIRE_ROOT / "ml-materials-ethics" / "v1.yaml")]
    )
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_a_broken_file_lists_every_error_with_its_path(app, tmp_path: Path):
    path = tmp_path / "broken" / "v1.yaml"
    path.parent.mkdir()
    path.write_text(BROKEN)
    result = app.test_cli_runner().invoke(args=["questionnaire", "validate", str(path)])
    assert result.exit_code == 1
    assert "sections[0].questions[0].options[0].label" in result.output
    path.write_text(BROKEN.replace('label: ""', "label: X"))
    result = app.test_cli_runner().invoke(args=["questionnaire", "validate", str(path)])
    assert result.exit_code == 1
    output = result.output
    assert "duplicate" in output.lower() and "A1" in output
    assert "Z9" in output
    assert "cycle" in output.lower()


def test_the_institution_policy_is_valid(app):
    result = app.test_cli_runner().invoke(
        args=["questionnaire", "validate", str(QUESTIONNAIRE_ROOT / "policy" / "default.yaml")]
    )
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_a_broken_policy_names_the_problem(app, tmp_path: Path):
    path = tmp_path / "policy" / "strict.yaml"
    path.parent.mkdir()
    text = (QUESTIONNAIRE_ROOT / "policy" / "default.yaml").read_text()
    path.write_text(text.replace("tiers: [Low, Medium, High]", "tiers: [Low, High, Medium]"))
    result = app.test_cli_runner().invoke(args=["questionnaire", "validate", str(path)])
    assert result.exit_code == 1
    assert "thresholds must rise with the tier order" in result.output


def test_the_v1_to_v2_mapping_is_valid(app):
    result = app.test_cli_runner().invoke(
        args=["questionnaire", "validate", str(QUESTIONNAIRE_ROOT / "ml-materials-ethics" / "v1-to-v2.yaml")]
    )
    assert result.exit_code == 0, result.output


def test_a_mapping_that_misses_a_changed_question_names_it(app, tmp_path: Path):
    folder = tmp_path / "ml-materials-ethics"
    folder.mkdir()
    source = QUESTIONNAIRE_ROOT / "ml-materials-ethics"
    for name in ("v1.yaml", "v2.yaml"):
        (folder / name).write_bytes((source / name).read_bytes())
    mapping = (source / "v1-to-v2.yaml").read_text()
    broken = mapping.replace("  C1: >-", "  C9: >-").replace("dropped:\n  C3:", "dropped:\n  C2:")
    (folder / "v1-to-v2.yaml").write_text(broken)
    result = app.test_cli_runner().invoke(args=["questionnaire", "validate", str(folder / "v1-to-v2.yaml")])
    assert result.exit_code == 1
    assert "C1: options differ in v2; list it under changed" in result.output
    assert "dropped.C2: v2 still asks it; list it under changed, or drop it" in result.output
    assert "C3: not in v2; list it under dropped" in result.output

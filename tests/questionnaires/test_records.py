"""Records questions (a table filled row by row): the schema's checks at load, ORCID iDs with their check
character, parsing posted rows, conditions and risk rules over a column, the score command, and the row diff."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.questionnaires import get_questionnaire, records
from app.questionnaires.answers import answer_view, display_value, is_required_error, parse_section
from app.questionnaires.conditions import evaluate, is_blank, visible_question_ids
from app.questionnaires.loader import QuestionnaireError, questionnaire_from_data
from app.questionnaires.schema import Condition
from app.questionnaires.scoring import score
from tests.questionnaires.test_routing_cases import benign

V2 = get_questionnaire("ml-materials-ethics", 2)
TEAM = V2.question("G2")
SOURCES = V2.question("B1b")


# --- ORCID iDs ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, stored", [
    ("0000-0002-1825-0097", "0000-0002-1825-0097"),
    ("https://orcid.org/0000-0001-5109-3700", "0000-0001-5109-3700"),
    ("orcid.org/0000-0002-1694-233X", "0000-0002-1694-233X"),
    ("0000-0002-1694-233x", "0000-0002-1694-233X"),
    (" 0000000218250097 ", "0000-0002-1825-0097"),
])
def test_a_valid_orcid_is_stored_bare(typed: str, stored: str) -> None:
    assert records.parse_orcid(typed) == stored


@pytest.mark.parametrize("typed", ["0000-0002-1825-0098", "0000-0001-5109-370X", "0000-0002-1694-2331"])
def test_an_orcid_whose_check_character_is_wrong_says_so(typed: str) -> None:
    with pytest.raises(ValueError) as caught:
        records.parse_orcid(typed)
    assert str(caught.value) == ("Enter an ORCID iD like 0000-0002-1825-0097; "
                                 "the last character does not match the others")


@pytest.mark.parametrize("typed", ["12", "0000-0002-1825", "https://example.org/0000-0002-1825-0097",
                                   "A000-0002-1825-0097"])
def test_something_that_is_not_an_orcid_asks_for_one(typed: str) -> None:
    with pytest.raises(ValueError, match=r"^Enter an ORCID iD like 0000-0002-1825-0097$"):
        records.parse_orcid(typed)


def test_the_check_character_follows_iso_7064_mod_11_2() -> None:
    assert records.orcid_check_character("000000021825009") == "7"
    assert records.orcid_check_character("000000021694233") == "X"


# --- parsing posted rows -----------------------------------------------------------------------------------

def _post_team(rows: dict[str, str], **extra: list[str]) -> Any:
    form = {name: [value] for name, value in rows.items()}
    form.update(extra)
    form["__present__"] = ["G2"]
    return parse_section(V2, "G", form, {}, check_required=False)


def test_rows_are_stored_as_dicts_without_blank_cells_or_blank_rows() -> None:
    result = _post_team({
        "G2-0-name": " Ada Lovelace ", "G2-0-role": "pi", "G2-0-orcid": "https://orcid.org/0000-0002-1825-0097",
        "G2-1-name": "", "G2-1-role": "", "G2-1-organisation": "",
        "G2-2-name": "Tomasz Nowak", "G2-2-role": "partner", "G2-2-organisation": "Acme Batteries",
    })
    assert result.errors == {}
    assert result.values["G2"] == [
        {"name": "Ada Lovelace", "role": "pi", "orcid": "0000-0002-1825-0097"},
        {"name": "Tomasz Nowak", "role": "partner", "organisation": "Acme Batteries"},
    ]


def test_remove_drops_its_row_and_keeps_the_others() -> None:
    result = _post_team({"G2-0-name": "Ada", "G2-1-name": "Bo", "G2-2-name": "Cy"}, **{"G2-remove": ["1"]})
    assert result.values["G2"] == [{"name": "Ada"}, {"name": "Cy"}]


def test_a_bad_cell_is_an_error_naming_the_row_and_what_was_typed_is_kept() -> None:
    typed = {"G2-0-name": "Ada", "G2-1-name": "Bo", "G2-1-orcid": "0000-0002-1825-0098"}
    result = _post_team(typed)
    assert result.errors["G2"] == ("Team member 2: enter an ORCID iD like 0000-0002-1825-0097; "
                                   "the last character does not match the others")
    assert not is_required_error(result.errors["G2"])
    assert result.raw["G2"][1]["orcid"] == "0000-0002-1825-0098"
    assert "G2" not in result.values


def test_an_unknown_option_and_too_long_text_are_refused() -> None:
    assert _post_team({"G2-0-name": "Ada", "G2-0-role": "emperor"}).errors["G2"] == (
        "Team member 1: select one of the options for role")
    assert _post_team({"G2-0-name": "x" * 201}).errors["G2"] == (
        "Team member 1: enter 200 characters or fewer (you entered 201)")


def test_a_required_cell_left_blank_makes_the_answer_incomplete_not_invalid() -> None:
    form = {"G2-0-name": ["Ada"], "G2-1-role": ["student"], "__present__": ["G2"]}
    result = parse_section(V2, "G", form, {}, check_required=True)
    # Saved as a draft (like a footprint stage missing a field), and "Save and continue" names the row.
    assert result.values["G2"] == [{"name": "Ada"}, {"role": "student"}]
    assert result.errors["G2"] == "Complete team member 2: enter a name"
    assert is_required_error(result.errors["G2"])


def test_a_required_table_with_no_rows_asks_for_an_answer() -> None:
    result = parse_section(V2, "G", {"G2-0-name": [""], "__present__": ["G2"]}, {"G2": [{"name": "Ada"}]},
                           check_required=True)
    assert result.values["G2"] is None
    assert result.errors["G2"] == "Answer “Named team members”"


# --- conditions and risk rules over a column ---------------------------------------------------------------

def test_a_column_condition_holds_when_any_row_matches() -> None:
    answers = {"B1b": [{"source": "ChEMBL", "licence": "cc_by_sa"}, {"source": "MP", "licence": "cc_by"}]}
    assert evaluate(Condition.model_validate({"question": "B1b", "field": "licence", "equals": "cc_by"}), answers)
    assert evaluate(Condition.model_validate({"question": "B1b", "field": "licence", "in": ["cc_by_nc", "cc_by_sa"]}),
                    answers)
    assert not evaluate(Condition.model_validate({"question": "B1b", "field": "licence", "in": ["cc_by_nc"]}),
                        answers)
    assert not evaluate(Condition.model_validate({"question": "B1b", "field": "source", "equals": "cc_by"}), answers)
    assert not evaluate(Condition.model_validate({"question": "B1b", "field": "licence", "equals": "cc_by"}),
                        {"B1b": []})
    assert is_blank([])
    assert evaluate(Condition.model_validate({"question": "B1b", "answered": False}), {"B1b": []})


def test_a_sharealike_or_noncommercial_row_shows_the_terms_check() -> None:
    shown = visible_question_ids(V2, {"B1b": [{"source": "ChEMBL", "licence": "cc_by_sa"}]})
    assert "B1c" in shown
    hidden = visible_question_ids(V2, {"B1b": [{"source": "MP", "licence": "cc_by"}]})
    assert "B1c" not in hidden


def test_licences_raise_the_scores_they_raised_as_options() -> None:
    proprietary = score(V2, benign(B1b=[{"source": "Acme", "licence": "proprietary"}]))
    assert [(r.question_id, r.text) for r in proprietary.categories["openness"].reasons if r.points] == [
        ("B1b", "B1b: Proprietary, subscription or contract terms")]
    unknown = score(V2, benign(B1b=[{"source": "Old CSV", "licence": "unknown"}]))
    assert [r.question_id for r in unknown.categories["data"].reasons if r.points] == ["B1b"]
    plain = score(V2, benign())
    assert not [r for r in plain.categories["openness"].reasons + plain.categories["data"].reasons
                if r.question_id == "B1b"]


def test_a_licensed_row_with_open_release_asks_about_memorisation() -> None:
    answers = benign(B1b=[{"source": "Vendor set", "licence": "proprietary"}], C5="open")
    assert "B3a" in visible_question_ids(V2, answers)
    assert "B3a" not in visible_question_ids(V2, benign(C5="open"))


# --- display ---------------------------------------------------------------------------------------------------

def test_an_answer_is_shown_as_a_table_and_as_one_line() -> None:
    team = [{"name": "Ada Lovelace", "role": "pi", "orcid": "0000-0002-1825-0097"},
            {"name": "Bo Jones", "role": "student", "organisation": "Example University"}]
    view = answer_view(TEAM, team)
    assert view["kind"] == "records"
    assert list(view["columns"].values()) == ["Name", "Role", "Organisation", "ORCID iD"]
    assert view["rows"][0] == {"name": "Ada Lovelace", "role": "Principal investigator", "organisation": "",
                               "orcid": "0000-0002-1825-0097"}
    assert display_value(TEAM, team) == ("Ada Lovelace (Principal investigator, ORCID iD 0000-0002-1825-0097); "
                                         "Bo Jones (Student, Example University)")


def test_two_rounds_are_compared_row_by_row_and_cell_by_cell() -> None:
    old = records.table_rows(TEAM, [{"name": "Ada", "role": "pi"}, {"name": "Bo", "role": "student"}])
    new = records.table_rows(TEAM, [{"name": "Ada", "role": "co_investigator"}, {"name": "Cy", "role": "other"}])
    diff = records.table_diff(old, new, list(records.columns(TEAM)))
    assert [row["status"] for row in diff] == ["changed", "added", "removed"]
    assert diff[0]["cells"][1] == {"text": "Co-investigator", "was": "Principal investigator"}
    assert diff[0]["cells"][0] == {"text": "Ada", "was": None}
    assert diff[2]["cells"][0]["text"] == "Bo"


# --- the definition is checked at load --------------------------------------------------------------------------

def _with_table(fields: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"key": "t", "version": 1, "title": "T", "sections": [{"id": "A", "title": "A", "questions": [
        {"id": "A1", "type": "records", "label": "People", "fields": fields},
        {"id": "A2", "type": "yes_no", "label": "Next", **extra},
    ]}]}


def _load_errors(data: dict[str, Any]) -> list[str]:
    with pytest.raises(QuestionnaireError) as caught:
        questionnaire_from_data(data)
    return caught.value.errors


NAME = {"id": "name", "label": "Name", "type": "text", "required": True}


def test_bad_record_fields_are_load_errors_with_their_path() -> None:
    assert _load_errors(_with_table([NAME, {"id": "born", "label": "Born", "type": "date"}])) == [
        "sections[0].questions[0].fields[1].type: Input should be 'text', 'choice' or 'orcid'"]
    assert _load_errors(_with_table([NAME, {"id": "name", "label": "Again", "type": "text"}])) == [
        "sections[0].questions[0]: duplicate field ids: name"]
    assert _load_errors(_with_table([NAME, {"id": "role", "label": "Role", "type": "choice"}])) == [
        "sections[0].questions[0].fields[1]: column role is a choice and needs options"]
    assert _load_errors(_with_table([])) == ["sections[0].questions[0]: a records question needs fields"]


def test_a_condition_on_a_table_names_one_of_its_columns_and_options() -> None:
    role = {"id": "role", "label": "Role", "type": "choice", "options": [{"value": "pi", "label": "PI"}]}
    errors = _load_errors(_with_table([NAME, role], show_if={"question": "A1", "field": "rank", "equals": "pi"}))
    assert errors == ["sections[0].questions[1].show_if.field: 'rank' is not a field of question A1 "
                      "(fields: name, role)"]
    errors = _load_errors(_with_table([NAME, role], show_if={"question": "A1", "field": "role", "equals": "boss"}))
    assert errors == ["sections[0].questions[1].show_if.equals: 'boss' is not an option of A1's field role "
                      "(options: pi)"]
    errors = _load_errors(_with_table([NAME, role], show_if={"question": "A1", "equals": "pi"}))
    assert errors == ["sections[0].questions[1].show_if.field: question A1 is a table (records): name the column "
                      "it tests with 'field'"]
    assert questionnaire_from_data(_with_table([NAME, role], show_if={"question": "A1", "field": "role",
                                                                     "in": ["pi"]}))


def test_validate_reports_a_bad_table(app, tmp_path: Path) -> None:
    path = tmp_path / "t" / "v1.yaml"
    path.parent.mkdir()
    data = _with_table([NAME, {"id": "role", "label": "Role", "type": "choice"},
                        {"id": "id", "label": "iD", "type": "isbn"}])
    path.write_text(json.dumps(data))
    result = app.test_cli_runner().invoke(args=["questionnaire", "validate", str(path)])
    assert result.exit_code == 1
    assert "sections[0].questions[0].fields[2].type: Input should be 'text', 'choice' or 'orcid'" in result.output
    assert "sections[0].questions[0].fields[1]: column role is a choice and needs options" in result.output


# --- the score command ------------------------------------------------------------------------------------------

def _score(app, tmp_path: Path, answers: Any, *options: str) -> Any:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers))
    return app.test_cli_runner().invoke(args=["questionnaire", "score", str(path), *options])


def test_score_takes_records_as_a_list_of_row_objects(app, tmp_path: Path) -> None:
    answers = benign(A3=["industry"], A3a="Acme", B1c=True,
                     B1b=[{"source": "ChEMBL", "licence": "cc_by_nc"}],
                     G2=[{"name": "Ada Lovelace", "role": "pi", "orcid": "0000-0002-1825-0097"}])
    result = _score(app, tmp_path, answers, "--json")
    assert result.exit_code == 0, result.output
    assert [(a["question_id"], a["text"]) for a in json.loads(result.output)["advice"]] == [
        ("B1c", "NonCommercial-licensed data in an industry-funded project — reviewers check the partner's use")]


def test_score_refuses_a_record_it_cannot_hold_naming_the_question(app, tmp_path: Path) -> None:
    result = _score(app, tmp_path, benign(G2=[{"name": "Ada", "orcid": "0000-0002-1825-0098"}]))
    assert result.exit_code == 2
    assert "G2: row 1: orcid: Enter an ORCID iD like 0000-0002-1825-0097; the last character" in result.output
    result = _score(app, tmp_path, benign(B1b=["cc_by"]))
    assert result.exit_code == 2
    assert "B1b: expected a list of rows, one object of source, licence each" in result.output
    result = _score(app, tmp_path, benign(B1b=[{"source": "MP", "licence": "cc_by", "url": "x"}]))
    assert "B1b: row 1: unknown field 'url' (fields: source, licence)" in result.output


def test_score_help_documents_records(app) -> None:
    result = app.test_cli_runner().invoke(args=["questionnaire", "score", "--help"])
    assert "records" in result.output
    assert '"orcid": "0000-0002-1825-0097"' in result.output

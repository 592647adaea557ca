"""Scoring at the edges of its rules, version 1 and by an institution policy: the footprint thresholds exactly
met, several stages questions, safeguard rules that do not apply, caps that are only reached, rules that call
for a reviewer or read a hidden question, the wording of reasons and advice, and every kind of answer that
cannot be scored. Each expectation is read off the rule it checks (the policy is tests/questionnaires/
test_policy_scoring.py's, written out there), never off the code's tables.

Mutants of app/questionnaires/scoring.py these tests leave alive, each judged equivalent:
- RiskProfile.to_dict with mode=None, "XXjsonXX" or "JSON": every field is already a JSON type (text, numbers,
  booleans, lists and dicts keyed by text), so pydantic's Python and JSON dumps are the same.
- `reasons += ...` becoming `reasons = ...` for a blank answer in _question_reasons: the list is still empty there.
- getattr(option, "label", value) losing its default in _mitigated: a counted safeguard is a ticked answer, and
  check_answers has refused any answer that is not one of the question's options, so the option always exists.
"""
from __future__ import annotations

from typing import Any

import pytest

from app.questionnaires import footprint
from app.questionnaires.loader import get_questionnaire, questionnaire_from_data
from app.questionnaires.policy import Policy
from app.questionnaires.scoring import AnswerError, PolicyRiskProfile, blocking_issues, score
from tests.questionnaires.test_policy_scoring import POLICY, POLICY_DATA, Q, option
from tests.questionnaires.test_routing_cases import benign


def stage(runs: int) -> dict[str, Any]:
    # 4 x A100 80GB PCIe for 48 h on the GB grid: about 21 kg CO2e and 92 kWh a run (footprint.md, example 1).
    return {"name": "training", "hardware": "a100_pcie_80gb", "power_w": None, "count": 4, "hours": 48,
            "memory_gb": 64, "usage": 1, "platform": "local_server", "pue": None, "location": "GB", "runs": runs}


SMALL, MEDIUM, LARGE = [stage(1)], [stage(10)], [stage(50)]

EDGES = questionnaire_from_data({
    "key": "edges", "version": 1, "title": "Edges",
    "sections": [
        {"id": "B", "title": "B", "questions": [
            {"id": "B1", "type": "markdown", "label": "Licence", "required": False,
             "risk_if_blank": {"openness": "M"}},
            {"id": "B2", "type": "yes_no", "label": "Personal data?", "required": False},
            {"id": "B3", "type": "yes_no", "label": "Special category?", "required": False,
             "show_if": {"question": "B2", "equals": True}},
            {"id": "B4", "type": "yes_no", "label": "Shared?", "required": False,
             "risk_rules": [{"when": {"question": "B3", "equals": True}, "risk": {"people": "H"},
                             "reviewer": "data_steward", "reason": "Special-category data is shared"}]},
            {"id": "B5", "type": "choice", "label": "Raw files", "required": False,
             "options": [{"value": "kept", "label": "Note: keep the raw files", "risk": {"data": "L"}},
                         option("deleted")]},
            {"id": "B6", "type": "hardware", "label": "Listed hardware", "required": False,
             "options": [option("a100"), option("h100")]},
            {"id": "B7", "type": "hardware", "label": "Other hardware", "required": False},
            {"id": "B8", "type": "number", "label": "Runs", "required": False},
            {"id": "B9", "type": "date", "label": "Start", "required": False},
            {"id": "B10", "type": "text", "label": "Title", "required": False},
            {"id": "B11", "type": "choice", "label": "Kind", "required": False,
             "options": [option("x"), option("y")]},
        ]},
        {"id": "F", "title": "Footprint", "calculator": "footprint", "questions": [
            {"id": "F0", "type": "text", "label": "Cluster", "required": False},
            {"id": "F1", "type": "footprint_stages", "label": "Training", "required": False},
            {"id": "F2", "type": "footprint_stages", "label": "Screening", "required": False},
        ]},
    ],
})


def by_policy(answers: dict[str, Any], policy: Policy = POLICY) -> PolicyRiskProfile:
    profile = score(EDGES, answers, policy)
    assert isinstance(profile, PolicyRiskProfile)
    return profile


def figures(stages: list[dict[str, Any]]) -> tuple[float, float]:
    statement = footprint.statement_for_answer(stages)
    assert statement is not None
    return statement["co2e_kg"], statement["energy_kwh"]


def with_footprint(medium_kg: float, high_kg: float, high_kwh: float) -> Policy:
    return Policy.model_validate({**POLICY_DATA, "footprint": {"medium_kg": medium_kg, "high_kg": high_kg,
                                                               "high_kwh": high_kwh}})


def environment(profile: PolicyRiskProfile) -> list[tuple[str, str, int]]:
    return [(r.question_id, r.level, r.points) for r in profile.categories["environment"].reasons]


# --- the footprint by the institution's thresholds -----------------------------------------------------------

def test_a_footprint_above_the_high_limit_is_high_and_one_between_the_limits_medium() -> None:
    # The test policy: Medium from 100 kg, High above 1 t or 10 MWh; a tier adds its threshold's points (2, 5).
    assert environment(by_policy({"F1": LARGE})) == [("F1", "H", 5)]
    assert environment(by_policy({"F1": MEDIUM})) == [("F1", "M", 2)]
    assert environment(by_policy({"F1": SMALL})) == []
    high = by_policy({"F1": LARGE}).categories["environment"].reasons[0].text
    assert high.startswith("F1: estimated footprint ") and high.endswith(
        "(High: above 1000 kg CO2e or 10000 kWh, institution thresholds)")


def test_a_footprint_exactly_at_the_high_limits_is_only_medium() -> None:
    kg, kwh = figures(LARGE)
    # "High above high_kg": exactly high_kg is not above it, nor is exactly high_kwh.
    assert environment(by_policy({"F1": LARGE}, with_footprint(kg / 2, kg, kwh * 2))) == [("F1", "M", 2)]
    assert environment(by_policy({"F1": LARGE}, with_footprint(kg / 2, kg * 2, kwh))) == [("F1", "M", 2)]
    assert environment(by_policy({"F1": LARGE}, with_footprint(kg / 2, kg * 2, kwh * 0.99))) == [("F1", "H", 5)]


def test_a_footprint_exactly_at_the_medium_limit_is_medium() -> None:
    kg, kwh = figures(MEDIUM)
    assert environment(by_policy({"F1": MEDIUM}, with_footprint(kg, kg * 2, kwh * 2))) == [("F1", "M", 2)]
    assert environment(by_policy({"F1": MEDIUM}, with_footprint(kg * 1.01, kg * 2, kwh * 2))) == []


def test_every_stages_question_of_the_section_is_tiered() -> None:
    # A question of another kind, an unanswered stages question and a small footprint come before the large one.
    assert environment(by_policy({"F0": "Our cluster", "F1": SMALL, "F2": LARGE})) == [("F2", "H", 5)]
    assert environment(by_policy({"F2": LARGE})) == [("F2", "H", 5)]
    assert environment(by_policy({"F1": MEDIUM, "F2": LARGE})) == [("F1", "M", 2), ("F2", "H", 5)]


def test_version_1_words_the_footprint_reason_by_its_tier() -> None:
    # Version 1: a Low footprint is a 0-point reason, a High one a hard trigger.
    low = score(EDGES, {"F1": SMALL}).categories["environment"].reasons
    assert [(r.level, r.points) for r in low] == [("L", 0)]
    assert low[0].text.startswith("F1: estimated footprint ") and low[0].text.endswith("(Low: below 100 kg CO2e)")
    medium = score(EDGES, {"F1": MEDIUM}).categories["environment"].reasons[0]
    assert medium.text.endswith("(Medium: 100 kg to 1 t CO2e)")
    high = score(EDGES, {"F1": LARGE}).categories["environment"].reasons[0]
    assert high.text.endswith("(High: above 1 t CO2e or 10 MWh) — hard trigger")


def test_a_hidden_stages_question_has_no_footprint() -> None:
    hidden = questionnaire_from_data({
        "key": "hidden-stages", "version": 1, "title": "Hidden stages",
        "sections": [{"id": "D", "title": "D", "calculator": "footprint", "questions": [
            {"id": "D0", "type": "yes_no", "label": "Any computing?"},
            {"id": "D1", "type": "footprint_stages", "label": "Stages", "required": False,
             "show_if": {"question": "D0", "equals": True}},
        ]}],
    })
    assert score(hidden, {"D0": True, "D1": LARGE}).categories["environment"].tier == "High"
    assert score(hidden, {"D0": False, "D1": LARGE}).categories["environment"].reasons == []
    by_the_policy = score(hidden, {"D0": False, "D1": LARGE}, POLICY)
    assert by_the_policy.categories["environment"].reasons == []


# --- reasons, advice, reviewers -----------------------------------------------------------------------------

def test_a_blank_answer_without_its_own_reason_is_left_blank() -> None:
    assert [r.text for r in score(EDGES, {}).categories["openness"].reasons] == ["B1: left blank"]
    assert [r.text for r in by_policy({}).categories["openness"].reasons] == ["B1: left blank"]


def test_only_a_hard_trigger_says_so_in_its_reason() -> None:
    assert [r.text for r in score(Q, {"A1": ["forbidden"]}, POLICY).categories["data"].reasons] == [
        "A1: Forbidden — hard trigger"]
    assert [r.text for r in score(Q, {"A1": ["worse"]}, POLICY).categories["data"].reasons] == ["A1: Worse"]


def test_advice_keeps_the_whole_of_a_label_with_a_colon() -> None:
    profile = by_policy({"B5": "kept"})
    assert [(a.question_id, a.text) for a in profile.advice] == [("B5", "Note: keep the raw files")]


def test_a_rule_asks_for_a_reviewer_whatever_the_tier() -> None:
    profile = by_policy({"B2": True, "B3": True, "B4": True})
    assert profile.extra_reviewers == ["data_steward"]
    assert (profile.categories["people"].points, profile.route) == (3, "standard")


def test_a_rule_reads_a_hidden_question_as_unanswered() -> None:
    # B3 is asked only with personal data (B2); its answer left behind when B2 is "no" counts for nothing.
    profile = by_policy({"B2": False, "B3": True, "B4": True})
    assert profile.extra_reviewers == []
    assert profile.categories["people"].points == 0


def test_a_category_at_its_cap_is_not_adjusted() -> None:
    profile = score(Q, {"A1": ["messy", "worse"]}, POLICY)
    assert (profile.categories["data"].points, profile.categories["data"].tier) == (4, "Medium")
    assert profile.adjustments == []


# --- safeguards ---------------------------------------------------------------------------------------------

SAFEGUARDS = ["gate", "screen", "licence"]


def with_mitigations(*mitigations: dict[str, Any]) -> Policy:
    return Policy.model_validate({**POLICY_DATA, "mitigations": list(mitigations)})


def test_a_safeguard_rule_for_another_category_does_not_stop_the_next_rule() -> None:
    policy = with_mitigations(
        {"category": "dual_use", "question": "A5", "options": SAFEGUARDS, "at_least": 2},
        {"category": "data", "question": "A5", "options": SAFEGUARDS, "at_least": 2})
    profile = score(Q, {"A1": ["messy", "worse"], "A5": ["gate", "screen"]}, policy)
    assert profile.categories["data"].tier == "Low"
    assert [(a.category, a.before, a.after) for a in profile.adjustments] == [("data", "Medium", "Low")]


def test_a_safeguard_rule_not_met_does_not_stop_the_next_rule() -> None:
    policy = with_mitigations(
        {"category": "dual_use", "question": "A5", "options": SAFEGUARDS, "at_least": 3, "lower_by": 2},
        {"category": "dual_use", "question": "A5", "options": SAFEGUARDS, "at_least": 2})
    profile = score(Q, {"A2": ["alloy", "chip"], "A5": ["gate", "screen"]}, policy)
    assert profile.categories["dual_use"].tier == "Low"
    assert [a.text for a in profile.adjustments] == [
        "2 safeguards (gate, screen); 2 or more lower the tier by 1"]


def test_every_safeguard_rule_met_by_a_hard_trigger_is_printed_as_not_lowering_it() -> None:
    policy = with_mitigations(
        {"category": "dual_use", "question": "A5", "options": SAFEGUARDS, "at_least": 3, "lower_by": 2},
        {"category": "dual_use", "question": "A5", "options": SAFEGUARDS, "at_least": 2})
    profile = score(Q, {"A2": ["bang"], "A5": SAFEGUARDS}, policy)
    assert profile.categories["dual_use"].tier == "High"
    assert [(a.before, a.after, a.text) for a in profile.adjustments] == [
        ("High", "High", "3 safeguards (gate, screen, licence); 3 or more lower the tier by 2, but a hard trigger "
                         "keeps High"),
        ("High", "High", "3 safeguards (gate, screen, licence); 2 or more lower the tier by 1, but a hard trigger "
                         "keeps High"),
    ]


# --- answers that cannot be scored ----------------------------------------------------------------------------

@pytest.mark.parametrize(("answers", "message"), [
    ({"B6": "tpu9"}, "'tpu9' is not an option (options: a100, h100)"),
    ({"B11": ["x"]}, "['x'] is not an option (options: x, y)"),
    ({"B8": "12"}, "expected a number, got '12'"),
    ({"B8": True}, "expected a number, got True"),
    ({"B9": 20261001}, "expected text, got 20261001"),
    ({"B10": 5}, "expected text, got 5"),
    ({"F1": {"hardware": "a100_pcie_80gb"}}, "expected a list of compute stages, got {'hardware': 'a100_pcie_80gb'}"),
])
def test_an_answer_its_question_cannot_have_is_named(answers: dict[str, Any], message: str) -> None:
    for policy in (None, POLICY):
        with pytest.raises(AnswerError) as caught:
            score(EDGES, answers, policy)
        assert (caught.value.question_id, caught.value.message) == (next(iter(answers)), message)


@pytest.mark.parametrize("answers", [
    {"B6": "h100"}, {"B7": "A home-built rig"}, {"B8": 12}, {"B8": 1.5}, {"B9": "2026-10-01"}, {"B10": "Title"},
    {"B11": "y"}, {"F1": SMALL},
])
def test_an_answer_of_the_right_kind_scores(answers: dict[str, Any]) -> None:
    assert score(EDGES, answers, POLICY).overall in ("Low", "Medium", "High")


# --- blocking issues ------------------------------------------------------------------------------------------

def test_blocking_issues_name_the_question_and_say_how_to_resolve_it() -> None:
    v2 = get_questionnaire("ml-materials-ethics", 2)
    assert blocking_issues(v2, benign()) == {}
    issues = blocking_issues(v2, benign(C8=True))
    assert list(issues) == ["C8"]
    assert issues["C8"].startswith("A team member needs an ATAS certificate and has none. Resolve it with HR")


def test_version_1_has_no_blocking_issues() -> None:
    v1 = get_questionnaire("ml-materials-ethics", 1)
    assert v1.policy is None
    assert blocking_issues(v1, {"C8": True}) == {}

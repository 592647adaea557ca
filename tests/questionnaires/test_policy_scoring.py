"""Scoring by an institution policy, on a small synthetic questionnaire: tier order, routes and their chair
flag, caps, safeguards and the hard-trigger floor, advice, sign-offs, extra reviewers, blocking issues, and
answers that cannot be scored. The policy is written out here so each expectation can be read off it."""
from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from app.questionnaires.loader import get_policy, questionnaire_from_data
from app.questionnaires.policy import Policy
from app.questionnaires.scoring import AnswerError, score

POLICY_DATA: dict[str, Any] = {
    "key": "test",
    "version": 3,
    "title": "Test policy",
    "points": {"L": 0, "M": 1, "H": 3, "H!": 3},
    "tiers": ["Low", "Medium", "High"],
    "thresholds": {"Medium": 2, "High": 5},
    "routes": {
        "Low": {"name": "expedited", "label": "Expedited review", "reviewers": 1, "chair": False},
        "Medium": {"name": "standard", "label": "Standard review", "reviewers": 2, "chair": True},
        "High": {"name": "full_committee", "label": "Full committee review", "reviewers": 2, "chair": True},
    },
    "roles": {
        "export_control": {"label": "Export control", "kind": "signoff"},
        "data_steward": {"label": "Data steward", "kind": "reviewer"},
        "sustainability_reviewer": {"label": "Sustainability", "kind": "reviewer", "available": False},
    },
    "categories": {
        "data": {"cap": "Medium", "reviewers": [{"role": "data_steward", "at_tier": "Medium"}]},
        "dual_use": {"signoffs": [{"role": "export_control", "at_tier": "High"}]},
        "people": {"route_at_most": "Medium",
                   "reviewers": [{"role": "sustainability_reviewer", "at_tier": "High"}],
                   "requires_answer": [{"question": "A6", "at_tier": "High", "message": "Say how"}]},
    },
    "mitigations": [{"category": "dual_use", "question": "A5", "options": ["gate", "screen", "licence"],
                     "at_least": 2}],
    "footprint": {"medium_kg": 100, "high_kg": 1000, "high_kwh": 10000},
}
POLICY = Policy.model_validate(POLICY_DATA)


def option(value: str, risk: dict[str, str] | None = None) -> dict[str, Any]:
    return {"value": value, "label": value.capitalize(), **({"risk": risk} if risk else {})}


Q = questionnaire_from_data({
    "key": "policy-test",
    "version": 1,
    "title": "Policy test",
    "sections": [{"id": "A", "title": "A", "questions": [
        {"id": "A1", "type": "multi", "label": "Data problems", "required": False, "options": [
            option("messy", {"data": "M"}), option("worse", {"data": "H"}), option("awful", {"data": "H"}),
            option("forbidden", {"data": "H!"}), option("harmless", {"data": "L"})]},
        {"id": "A2", "type": "multi", "label": "Areas", "required": False, "options": [
            option("bang", {"dual_use": "H!"}), option("alloy", {"dual_use": "M"}),
            option("chip", {"dual_use": "M"})]},
        {"id": "A3", "type": "yes_no", "label": "Controlled area, unclassified?", "required": False,
         "risk_rules": [{"when": {"question": "A3", "equals": True}, "signoff": "export_control",
                         "reason": "Controlled area without a classification"}]},
        {"id": "A4", "type": "yes_no", "label": "Missing certificate?", "required": False,
         "risk_rules": [{"when": {"question": "A4", "equals": True}, "block": True,
                         "reason": "Resolve the certificate with HR before submitting"},
                        {"when": {"question": "A4", "equals": False}, "advice": True,
                         "reason": "Keep the certificates on file"}]},
        {"id": "A5", "type": "multi", "label": "Safeguards", "required": False, "options": [
            option("gate"), option("screen"), option("licence"), option("other")]},
        {"id": "A6", "type": "markdown", "label": "Measures", "required": False},
        {"id": "A7", "type": "multi", "label": "People", "required": False, "options": [
            option("some", {"people": "M"}), option("many", {"people": "H!"})]},
    ]}],
})


def test_a_high_category_after_a_medium_one_routes_to_full_committee() -> None:
    # data (Medium) is listed before dual_use (High): the route must follow the higher tier, not the last one.
    profile = score(Q, {"A1": ["messy", "worse"], "A2": ["bang"]}, POLICY)
    assert profile.categories["data"].tier == "Medium"
    assert profile.categories["dual_use"].tier == "High"
    assert (profile.overall, profile.route) == ("High", "full_committee")


def test_a_medium_category_after_a_high_one_still_routes_to_full_committee() -> None:
    profile = score(Q, {"A2": ["bang"], "A7": ["some", "some"]}, POLICY)
    assert (profile.overall, profile.route) == ("High", "full_committee")


@pytest.mark.parametrize(("answers", "route", "reviewers", "chair"), [
    ({}, "expedited", 1, False),
    ({"A2": ["alloy", "chip"]}, "standard", 2, True),
    ({"A2": ["bang"]}, "full_committee", 2, True),
])
def test_each_route_with_its_reviewers_and_chair(answers: dict[str, Any], route: str, reviewers: int,
                                                 chair: bool) -> None:
    profile = score(Q, answers, POLICY)
    assert (profile.route, profile.reviewers_required, profile.chair_required) == (route, reviewers, chair)


def test_tiers_follow_the_policy_thresholds() -> None:
    assert score(Q, {"A2": ["alloy"]}, POLICY).categories["dual_use"].tier == "Low"
    assert score(Q, {"A2": ["alloy", "chip"]}, POLICY).categories["dual_use"].tier == "Medium"
    assert score(Q, {"A1": ["worse", "awful"]}, POLICY).categories["data"].points == 6


def test_a_capped_category_stops_at_the_cap_and_says_so() -> None:
    profile = score(Q, {"A1": ["worse", "awful"]}, POLICY)
    assert profile.categories["data"].tier == "Medium"
    assert profile.route == "standard"
    assert [(a.category, a.before, a.after) for a in profile.adjustments] == [("data", "High", "Medium")]
    assert profile.extra_reviewers == ["data_steward"]


def test_a_hard_trigger_is_not_capped() -> None:
    profile = score(Q, {"A1": ["forbidden"]}, POLICY)
    assert profile.categories["data"].tier == "High"
    assert profile.route == "full_committee"


def test_safeguards_lower_a_tier_by_one_with_the_rule_printed() -> None:
    unmitigated = score(Q, {"A2": ["alloy", "chip"], "A5": ["gate", "other"]}, POLICY)
    assert unmitigated.categories["dual_use"].tier == "Medium"
    profile = score(Q, {"A2": ["alloy", "chip"], "A5": ["gate", "screen"]}, POLICY)
    assert profile.categories["dual_use"].tier == "Low"
    assert profile.route == "expedited"
    assert [(a.category, a.before, a.after) for a in profile.adjustments] == [("dual_use", "Medium", "Low")]
    assert "2 safeguards (gate, screen); 2 or more lower the tier by 1" in profile.adjustments[0].text


def test_safeguards_never_lower_a_hard_trigger() -> None:
    profile = score(Q, {"A2": ["bang"], "A5": ["gate", "screen", "licence"]}, POLICY)
    assert profile.categories["dual_use"].tier == "High"
    assert profile.route == "full_committee"
    assert profile.signoffs == ["export_control"]
    assert "a hard trigger keeps High" in profile.adjustments[0].text


def test_a_signoff_rule_applies_whatever_the_tier() -> None:
    profile = score(Q, {"A3": True}, POLICY)
    assert profile.route == "expedited"
    assert profile.signoffs == ["export_control"]
    assert profile.security_signoff is True


def test_a_blocking_rule_is_not_risk() -> None:
    profile = score(Q, {"A4": True}, POLICY)
    assert [(b.question_id, b.text) for b in profile.blocking] == [
        ("A4", "Resolve the certificate with HR before submitting")]
    assert profile.route == "expedited"
    assert all(result.points == 0 for result in profile.categories.values())


def test_zero_point_reasons_and_advice_rules_are_advice() -> None:
    profile = score(Q, {"A1": ["harmless"], "A4": False}, POLICY)
    assert [(a.question_id, a.text) for a in profile.advice] == [
        ("A1", "Harmless"), ("A4", "Keep the certificates on file")]
    assert profile.categories["data"].reasons == []


def test_a_category_that_may_not_route_past_medium_alone() -> None:
    profile = score(Q, {"A7": ["many"], "A6": "We will"}, POLICY)
    assert profile.categories["people"].tier == "High"
    assert (profile.overall, profile.route) == ("Medium", "standard")
    # The reviewer role exists but the institution has nobody in it: not asked for.
    assert profile.extra_reviewers == []
    assert profile.blocking == []


def test_a_required_answer_blocks_until_given() -> None:
    profile = score(Q, {"A7": ["many"]}, POLICY)
    assert [(b.question_id, b.text) for b in profile.blocking] == [("A6", "Say how")]


def test_the_profile_records_the_policy() -> None:
    assert score(Q, {}, POLICY).to_dict()["policy"] == "test v3"


@pytest.mark.parametrize(("answers", "question", "message"), [
    ({"A2": ["uranium"]}, "A2", "'uranium' is not an option (options: bang, alloy, chip)"),
    ({"A2": "bang"}, "A2", "expected a list of options, got 'bang'"),
    ({"A3": "yes"}, "A3", "expected true or false, got 'yes'"),
    ({"A6": 12}, "A6", "expected text, got 12"),
])
def test_an_answer_the_question_cannot_have_is_a_clear_error(answers: dict[str, Any], question: str,
                                                             message: str) -> None:
    with pytest.raises(AnswerError) as caught:
        score(Q, answers, POLICY)
    assert (caught.value.question_id, caught.value.message) == (question, message)


def _policy_with(**changes: Any) -> dict[str, Any]:
    return {**POLICY_DATA, **changes}


@pytest.mark.parametrize(("changes", "message"), [
    ({"tiers": ["Low", "High", "Medium"]}, "thresholds must rise with the tier order"),
    ({"tiers": ["Low", "Medium", "Medium"]}, "tiers must list Low, Medium, High once each"),
    ({"thresholds": {"Medium": 5, "High": 5}}, "thresholds must rise with the tier order"),
    ({"routes": {"Low": POLICY_DATA["routes"]["Low"]}}, "routes: give a route for each of"),
    ({"categories": {"data": {"reviewers": [{"role": "export_control", "at_tier": "Medium"}]}}},
     "'export_control' is not a reviewer role"),
    ({"categories": {"data": {"signoffs": [{"role": "nobody", "at_tier": "Medium"}]}}}, "unknown role 'nobody'"),
])
def test_an_inconsistent_policy_is_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Policy.model_validate(_policy_with(**changes))


def test_the_default_policy_loads() -> None:
    policy = get_policy("default")
    assert policy.tiers == ["Low", "Medium", "High"]
    assert policy.categories["environment"].route_at_most == "Medium"
    assert policy.categories["data"].cap == "Medium"

"""The risk model on a small synthetic questionnaire: points, tiers, hard triggers, routes."""
from __future__ import annotations

import json
from typing import Any

import pytest

from app.questionnaires.loader import questionnaire_from_data
from app.questionnaires.scoring import ROUTES, AnswerError, category_tier, score


def option(value: str, risk: dict[str, str] | None = None) -> dict[str, Any]:
    return {"value": value, "label": value.capitalize(), **({"risk": risk} if risk else {})}


Q = questionnaire_from_data(
    {
        "key": "risk",
        "version": 1,
        "title": "Risk",
        "sections": [
            {
                "id": "A",
                "title": "A",
                "questions": [
                    {
                        "id": "A1",
                        "type": "multi",
                        "label": "Areas",
                        "options": [
                            option("bang", {"dual_use": "H!"}),
                            option("alloy", {"dual_use": "M"}),
                            option("chip", {"dual_use": "M"}),
                            option("metal", {"dual_use": "M", "openness": "M"}),
                            option("fuel", {"dual_use": "M"}),
                            option("none", {"dual_use": "L"}),
                        ],
                    },
                    {
                        "id": "A2",
                        "type": "yes_no",
                        "label": "Invertible?",
                        "risk_rules": [
                            {
                                "when": {"all": [{"question": "A2", "equals": True},
                                                 {"question": "A1", "in": ["bang"]}]},
                                "risk": {"dual_use": "H"},
                                "reason": "Invertible in a military area",
                            },
                            {
                                "when": {
                                    "all": [{"question": "A2", "equals": True},
                                            {"not": {"question": "A1", "in": ["bang"]}}]
                                },
                                "risk": {"dual_use": "M"},
                                "reason": "Invertible",
                            },
                        ],
                    },
                    {
                        "id": "A3",
                        "type": "markdown",
                        "label": "Provenance",
                        "required": False,
                        "risk_if_blank": {"data": "M"},
                        "risk_if_blank_reason": "No provenance",
                    },
                    {"id": "A4", "type": "yes_no", "label": "Personal data?"},
                    {
                        "id": "A5",
                        "type": "choice",
                        "label": "Kind",
                        "show_if": {"question": "A4", "equals": True},
                        "options": [option("names", {"people": "H"}), option("anon")],
                    },
                    {
                        "id": "A6",
                        "type": "text",
                        "label": "Detail",
                        "required": False,
                        "show_if": {"question": "A5", "equals": "names"},
                        "risk_if_blank": {"people": "M"},
                    },
                ],
            }
        ],
    }
)


@pytest.mark.parametrize(
    ("points", "hard", "tier"),
    [(0, False, "Low"), (1, False, "Low"), (2, False, "Medium"), (4, False, "Medium"), (5, False, "High"),
     (0, True, "High"), (3, True, "High")],
)
def test_category_tier(points: int, hard: bool, tier: str) -> None:
    assert category_tier(points, hard) == tier


def test_minimal_answers_are_low_and_expedited() -> None:
    profile = score(Q, {"A1": ["none"], "A2": False, "A3": "Versions recorded", "A4": False})
    assert profile.overall == "Low"
    assert profile.route == "expedited"
    assert profile.reviewers_required == 1
    assert not profile.security_signoff
    assert profile.categories["dual_use"].points == 0
    assert [r.text for r in profile.categories["dual_use"].reasons] == ["A1: None"]
    assert set(profile.categories) == {"data", "dual_use", "environment", "people", "openness"}


def test_points_add_up_across_answers_and_categories() -> None:
    profile = score(Q, {"A1": ["alloy", "metal"], "A2": True, "A3": "ok", "A4": False})
    dual = profile.categories["dual_use"]
    assert dual.points == 3 and dual.tier == "Medium" and not dual.hard_trigger
    assert profile.categories["openness"].points == 1
    assert profile.overall == "Medium"
    assert profile.route == "standard"
    assert profile.reviewers_required == 2
    assert profile.chair_required


def test_five_points_is_high_without_a_hard_trigger() -> None:
    four = score(Q, {"A1": ["alloy", "chip", "metal"], "A2": True, "A3": "ok", "A4": False})
    assert (four.categories["dual_use"].points, four.categories["dual_use"].tier) == (4, "Medium")
    five = score(Q, {"A1": ["alloy", "chip", "metal", "fuel"], "A2": True, "A3": "ok", "A4": False})
    dual = five.categories["dual_use"]
    assert (dual.points, dual.tier, dual.hard_trigger) == (5, "High", False)
    assert five.route == "full_committee"
    assert five.security_signoff


def test_blank_answer_of_a_visible_question_adds_its_risk() -> None:
    profile = score(Q, {"A1": ["none"], "A2": False, "A3": "ok", "A4": True, "A5": "names"})
    people = profile.categories["people"]
    assert [(r.question_id, r.level) for r in people.reasons] == [("A5", "H"), ("A6", "M")]
    assert (people.points, people.tier) == (4, "Medium")


def test_hard_trigger_makes_the_category_high_and_needs_signoff() -> None:
    profile = score(Q, {"A1": ["bang"], "A2": True, "A3": "ok", "A4": False})
    dual = profile.categories["dual_use"]
    assert dual.hard_trigger and dual.tier == "High" and dual.points == 6
    assert [(r.level, r.text) for r in dual.reasons] == [
        ("H!", "A1: Bang — hard trigger"),
        ("H", "A2: Invertible in a military area"),
    ]
    assert profile.overall == "High"
    assert profile.route == "full_committee"
    assert profile.security_signoff


def test_high_outside_dual_use_needs_no_security_signoff() -> None:
    data_high = questionnaire_from_data(
        {
            "key": "d",
            "version": 1,
            "title": "D",
            "sections": [
                {
                    "id": "A",
                    "title": "A",
                    "questions": [
                        {"id": "A1", "type": "choice", "label": "x", "options": [option("bad", {"data": "H!"})]}
                    ],
                }
            ],
        }
    )
    profile = score(data_high, {"A1": "bad"})
    assert profile.overall == "High" and profile.route == "full_committee"
    assert not profile.security_signoff


def test_blank_risk_only_for_visible_questions() -> None:
    blank = score(Q, {"A1": ["none"], "A2": False, "A4": False})
    assert [(r.question_id, r.text) for r in blank.categories["data"].reasons] == [("A3", "A3: No provenance")]
    # A6 is hidden (A4 no), so its blank answer scores nothing.
    assert blank.categories["people"].reasons == []


def test_hidden_answers_do_not_score() -> None:
    # A5 "names" would be people H, but A4 "no" hides A5 (and with it A6).
    profile = score(Q, {"A1": ["none"], "A2": False, "A3": "ok", "A4": False, "A5": "names"})
    assert profile.categories["people"].points == 0


def test_rules_see_hidden_questions_as_unanswered() -> None:
    hidden_area = questionnaire_from_data(
        {
            "key": "h",
            "version": 1,
            "title": "H",
            "sections": [
                {
                    "id": "A",
                    "title": "A",
                    "questions": [
                        {"id": "A1", "type": "yes_no", "label": "Gate"},
                        {"id": "A2", "type": "yes_no", "label": "Hidden",
                         "show_if": {"question": "A1", "equals": True}},
                        {
                            "id": "A3",
                            "type": "yes_no",
                            "label": "Rule",
                            "risk_rules": [
                                {"when": {"question": "A2", "equals": True}, "risk": {"people": "H"}, "reason": "r"}
                            ],
                        },
                    ],
                }
            ],
        }
    )
    assert score(hidden_area, {"A1": True, "A2": True, "A3": False}).categories["people"].points == 3
    assert score(hidden_area, {"A1": False, "A2": True, "A3": False}).categories["people"].points == 0


def test_profile_serialises_to_json() -> None:
    profile = score(Q, {"A1": ["bang"], "A2": True, "A4": False})
    data = json.loads(json.dumps(profile.to_dict()))
    assert data["overall"] == "High"
    assert data["categories"]["dual_use"]["reasons"][0] == {
        "question_id": "A1",
        "category": "dual_use",
        "level": "H!",
        "points": 3,
        "text": "A1: Bang — hard trigger",
    }
    assert data["categories"]["data"]["tier"] == "Low"


def test_routes_table() -> None:
    assert {tier: (r.name, r.reviewers) for tier, r in ROUTES.items()} == {
        "Low": ("expedited", 1),
        "Medium": ("standard", 2),
        "High": ("full_committee", 2),
    }


ORDERED = questionnaire_from_data({
    "key": "order", "version": 1, "title": "Order",
    "sections": [{"id": "A", "title": "A", "questions": [
        {"id": "A1", "type": "multi", "label": "Data", "required": False,
         "options": [option("gap", {"data": "M"}), option("hole", {"data": "M"}), option("bad", {"data": "H!"})]},
        {"id": "A2", "type": "multi", "label": "Openness", "required": False,
         "options": [option("shut", {"openness": "M"}), option("closed", {"openness": "M"}),
                     option("secret", {"openness": "H!"})]},
    ]}],
})


def test_a_high_category_after_a_medium_one_decides_the_route() -> None:
    # data (Medium) comes before openness (High) in the category order: the higher tier must still win.
    profile = score(ORDERED, {"A1": ["gap", "hole"], "A2": ["secret"]})
    assert (profile.categories["data"].tier, profile.categories["openness"].tier) == ("Medium", "High")
    assert (profile.overall, profile.route) == ("High", "full_committee")
    reverse = score(ORDERED, {"A1": ["bad"], "A2": ["shut", "closed"]})
    assert (reverse.overall, reverse.route) == ("High", "full_committee")


@pytest.mark.parametrize(("answers", "route", "reviewers", "chair"), [
    ({}, "expedited", 1, False),
    ({"A1": ["gap", "hole"]}, "standard", 2, True),
    ({"A1": ["bad"]}, "full_committee", 2, True),
])
def test_each_v1_route_with_its_reviewers_and_chair(answers: dict[str, Any], route: str, reviewers: int,
                                                    chair: bool) -> None:
    profile = score(ORDERED, answers)
    assert (profile.route, profile.reviewers_required, profile.chair_required) == (route, reviewers, chair)


def test_an_answer_that_is_not_an_option_is_a_clear_error() -> None:
    with pytest.raises(AnswerError, match=r"A1: 'uranium' is not an option \(options: gap, hole, bad\)"):
        score(ORDERED, {"A1": ["uranium"]})

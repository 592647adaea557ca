"""The risk model: answers -> points per category -> tiers -> review route.

Points: Low 0, Medium 1, High 3; "H!" is a hard trigger (3 points and the category is High whatever
the total). A category is High at 5 points or more, Medium at 2-4, Low below. The overall tier is the
highest category tier and chooses the route. Only visible, non-blank answers score; risk rules see
hidden questions as unanswered.

A section with a calculator adds the calculator's reasons: `calculator: footprint` scores the environmental
impact statement of the section's stages (footprint.TIER_RISK: its tier alone sets the environment tier).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from app.questionnaires import footprint
from app.questionnaires.conditions import evaluate, is_blank, visible_question_ids
from app.questionnaires.schema import CATEGORIES, STAGES_TYPE, Category, Level, Question, Questionnaire, Section

Tier = Literal["Low", "Medium", "High"]
RouteName = Literal["expedited", "standard", "full_committee"]

POINTS: dict[Level, int] = {"L": 0, "M": 1, "H": 3, "H!": 3}
HIGH_AT = 5
MEDIUM_AT = 2
_TIER_RANK: dict[Tier, int] = {"Low": 0, "Medium": 1, "High": 2}


class Route(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: RouteName
    label: str
    reviewers: int
    chair: bool


ROUTES: dict[Tier, Route] = {
    "Low": Route(name="expedited", label="Expedited review", reviewers=1, chair=False),
    "Medium": Route(name="standard", label="Standard review", reviewers=2, chair=True),
    "High": Route(name="full_committee", label="Full committee review", reviewers=2, chair=True),
}


class Reason(BaseModel):
    question_id: str
    category: Category
    level: Level
    points: int
    text: str


class CategoryResult(BaseModel):
    points: int = 0
    tier: Tier = "Low"
    hard_trigger: bool = False
    reasons: list[Reason] = []


class RiskProfile(BaseModel):
    categories: dict[Category, CategoryResult]
    overall: Tier
    route: RouteName
    reviewers_required: int
    chair_required: bool
    security_signoff: bool

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def category_tier(points: int, hard_trigger: bool) -> Tier:
    if hard_trigger or points >= HIGH_AT:
        return "High"
    if points >= MEDIUM_AT:
        return "Medium"
    return "Low"


def _reasons(qid: str, risk: Mapping[Category, Level], text: str) -> list[Reason]:
    return [
        Reason(
            question_id=qid,
            category=category,
            level=level,
            points=POINTS[level],
            text=f"{qid}: {text}" + (" — hard trigger" if level == "H!" else ""),
        )
        for category, level in risk.items()
    ]


def _question_reasons(question: Question, effective: Mapping[str, Any]) -> list[Reason]:
    value = effective.get(question.id)
    reasons: list[Reason] = []
    if is_blank(value):
        if question.risk_if_blank:
            text = question.risk_if_blank_reason or "left blank"
            reasons += _reasons(question.id, question.risk_if_blank, text)
    elif question.options:
        chosen = value if isinstance(value, list) else [value]
        for item in chosen:
            option = question.option(str(item))
            if option is not None and option.risk:
                reasons += _reasons(question.id, option.risk, option.label)
    for rule in question.risk_rules:
        if evaluate(rule.when, effective):
            reasons += _reasons(question.id, rule.risk, rule.reason)
    return reasons


def _calculator_reasons(section: Section, visible: set[str], effective: Mapping[str, Any]) -> list[Reason]:
    if section.calculator != "footprint":
        return []
    stage_ids = [qu.id for qu in section.questions if qu.type == STAGES_TYPE and qu.id in visible]
    return [
        Reason(question_id=qid, category=category, level=level, points=points,
               text=f"{qid}: {text}" + (" — hard trigger" if level == "H!" else ""))
        for qid, category, level, points, text in footprint.risk_reasons(stage_ids, effective)
    ]


def score(q: Questionnaire, answers: Mapping[str, Any]) -> RiskProfile:
    visible = visible_question_ids(q, answers)
    effective = {qid: value for qid, value in answers.items() if qid in visible and not is_blank(value)}
    by_category: dict[Category, list[Reason]] = {category: [] for category in CATEGORIES}
    for question in q.questions:
        if question.id in visible:
            for reason in _question_reasons(question, effective):
                by_category[reason.category].append(reason)
    for section in q.sections:
        for reason in _calculator_reasons(section, visible, effective):
            by_category[reason.category].append(reason)

    categories: dict[Category, CategoryResult] = {}
    for category, reasons in by_category.items():
        points = sum(reason.points for reason in reasons)
        hard = any(reason.level == "H!" for reason in reasons)
        categories[category] = CategoryResult(
            points=points, tier=category_tier(points, hard), hard_trigger=hard, reasons=reasons
        )

    overall: Tier = max((result.tier for result in categories.values()), key=_TIER_RANK.__getitem__)
    route = ROUTES[overall]
    return RiskProfile(
        categories=categories,
        overall=overall,
        route=route.name,
        reviewers_required=route.reviewers,
        chair_required=route.chair,
        security_signoff=categories["dual_use"].tier == "High",
    )

"""The risk model: answers -> points per category -> tiers -> review route.

Points: Low 0, Medium 1, High 3; "H!" is a hard trigger (3 points and the category is High whatever
the total). A category is High at 5 points or more, Medium at 2-4, Low below. The overall tier is the
highest category tier and chooses the route. Only visible, non-blank answers score; risk rules see
hidden questions as unanswered.

A section with a calculator adds the calculator's reasons: `calculator: footprint` scores the environmental
impact statement of the section's stages (footprint.TIER_RISK: its tier alone sets the environment tier).

That is version 1, kept exactly as released. A questionnaire that names an institution policy (`policy:
default`, questionnaires/policy/) is scored by `score_with_policy`: the points, thresholds, tier order, caps,
route table, extra reviewer roles, sign-offs, safeguards and footprint thresholds come from the policy;
rules can also ask for a sign-off or a reviewer whatever the tier, give advice (shown apart from risk), or
block submission with a message.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from app.questionnaires import footprint, records
from app.questionnaires.conditions import evaluate, is_blank, visible_question_ids
from app.questionnaires.loader import get_policy
from app.questionnaires.policy import Policy, RouteName, Tier
from app.questionnaires.schema import (
    CATEGORIES,
    OPTION_TYPES,
    RECORDS_TYPE,
    STAGES_TYPE,
    Category,
    Level,
    Question,
    Questionnaire,
    Section,
)

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
            if option is not None:
                reasons += _reasons(question.id, option.risk, option.label)
    for rule in question.risk_rules:
        if evaluate(rule.when, effective):
            reasons += _reasons(question.id, rule.risk, rule.reason)
    return reasons


def _calculator_reasons(section: Section, effective: Mapping[str, Any]) -> list[Reason]:
    """The footprint statement's reasons; `effective` holds only visible answers, so a hidden stages question
    has none."""
    if section.calculator != "footprint":
        return []
    stage_ids = [qu.id for qu in section.questions if qu.type == STAGES_TYPE]
    return [
        Reason(question_id=qid, category=category, level=level, points=points,
               text=f"{qid}: {text}" + (" — hard trigger" if level == "H!" else ""))
        for qid, category, level, points, text in footprint.risk_reasons(stage_ids, effective)
    ]


def score(q: Questionnaire, answers: Mapping[str, Any], policy: Policy | None = None) -> RiskProfile:
    """The risk profile of the answers. A questionnaire that names an institution policy (or an explicit
    `policy`) is scored by it (`score_with_policy`); version 1 keeps the rules it was released with.

    Raises AnswerError, naming the question, for an answer its question cannot have."""
    check_answers(q, answers)
    if policy is None and q.policy is not None:
        policy = get_policy(q.policy)
    if policy is not None:
        return score_with_policy(q, answers, policy)
    return _score_v1(q, answers)


def _score_v1(q: Questionnaire, answers: Mapping[str, Any]) -> RiskProfile:
    visible = visible_question_ids(q, answers)
    effective = {qid: value for qid, value in answers.items() if qid in visible and not is_blank(value)}
    by_category: dict[Category, list[Reason]] = {category: [] for category in CATEGORIES}
    for question in q.questions:
        if question.id in visible:
            for reason in _question_reasons(question, effective):
                by_category[reason.category].append(reason)
    for section in q.sections:
        for reason in _calculator_reasons(section, effective):
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


# --- answers that cannot be scored ------------------------------------------------------------------------

class AnswerError(ValueError):
    """An answer its question cannot have (not one of its options, the wrong kind of value)."""

    def __init__(self, question_id: str, message: str) -> None:
        self.question_id = question_id
        self.message = message
        super().__init__(f"{question_id}: {message}")


def _answer_problem(question: Question, value: Any) -> str | None:
    kind = question.type
    if kind in OPTION_TYPES or kind == "hardware" and question.options:
        items = value if kind == "multi" and isinstance(value, list) else [value]
        if kind == "multi" and not isinstance(value, list):
            return f"expected a list of options, got {value!r}"
        known = ", ".join(option.value for option in question.options)
        for item in items:
            if not isinstance(item, str) or question.option(item) is None:
                return f"{item!r} is not an option (options: {known})"
    elif kind == "yes_no" and not isinstance(value, bool):
        return f"expected true or false, got {value!r}"
    elif kind == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        return f"expected a number, got {value!r}"
    elif kind in ("text", "markdown", "date") and not isinstance(value, str):
        return f"expected text, got {value!r}"
    elif kind == STAGES_TYPE and not isinstance(value, list):
        return f"expected a list of compute stages, got {value!r}"
    elif kind == RECORDS_TYPE:
        return records.answer_problem(question, value)
    return None


def check_answers(q: Questionnaire, answers: Mapping[str, Any]) -> None:
    """Raise AnswerError for the first answer of a known question that its question cannot have."""
    for qid, value in answers.items():
        if q.has_question(qid) and not is_blank(value):
            problem = _answer_problem(q.question(qid), value)
            if problem:
                raise AnswerError(qid, problem)


# --- scoring by an institution policy -------------------------------------------------------------------

class Finding(BaseModel):
    """Something the answers call for besides points: advice for reviewers, or an issue blocking submission."""

    question_id: str
    text: str


class Adjustment(BaseModel):
    """A tier changed by a policy rule (cap or safeguards), with the rule printed for the applicant."""

    category: Category
    before: Tier
    after: Tier
    text: str


class PolicyRiskProfile(RiskProfile):
    """The profile of a questionnaire scored by an institution policy.

    `overall` is the tier that routes: each category counts at most its `route_at_most`, so the highest
    category tier can be above it (environment High alone routes to standard review)."""

    policy: str
    route_label: str
    signoffs: list[str]
    extra_reviewers: list[str]
    advice: list[Finding]
    blocking: list[Finding]
    adjustments: list[Adjustment]


def _policy_reasons(policy: Policy, qid: str, risk: Mapping[Category, Level], text: str) -> list[Reason]:
    return [
        Reason(question_id=qid, category=category, level=level, points=policy.points[level],
               text=f"{qid}: {text}" + (" — hard trigger" if level == "H!" else ""))
        for category, level in risk.items()
    ]


class _Collected:
    def __init__(self) -> None:
        self.reasons: list[Reason] = []
        # Roles in the order first called for, each once.
        self.signoffs: list[str] = []
        self.reviewers: list[str] = []
        self.advice: list[Finding] = []
        self.blocking: list[Finding] = []


def _call_for(roles: list[str], role: str) -> None:
    if role not in roles:
        roles.append(role)


def _collect_question(policy: Policy, question: Question, effective: Mapping[str, Any], found: _Collected) -> None:
    value = effective.get(question.id)
    if is_blank(value):
        if question.risk_if_blank:
            text = question.risk_if_blank_reason or "left blank"
            found.reasons += _policy_reasons(policy, question.id, question.risk_if_blank, text)
    elif question.options:
        for item in value if isinstance(value, list) else [value]:
            option = question.option(str(item))
            if option is not None:
                found.reasons += _policy_reasons(policy, question.id, option.risk, option.label)
    for rule in question.risk_rules:
        if not evaluate(rule.when, effective):
            continue
        found.reasons += _policy_reasons(policy, question.id, rule.risk, rule.reason)
        if rule.signoff:
            _call_for(found.signoffs, rule.signoff)
        if rule.reviewer:
            _call_for(found.reviewers, rule.reviewer)
        if rule.advice:
            found.advice.append(Finding(question_id=question.id, text=rule.reason))
        if rule.block:
            found.blocking.append(Finding(question_id=question.id, text=rule.reason))


def _zero_points_to_advice(policy: Policy, found: _Collected) -> None:
    """Reasons worth nothing are advice, kept in the order of the questions with the advice rules."""
    if not policy.zero_points_are_advice:
        return
    for reason in [r for r in found.reasons if r.points == 0]:
        found.advice.append(Finding(question_id=reason.question_id,
                                    text=reason.text.removeprefix(f"{reason.question_id}: ")))
    found.reasons = [r for r in found.reasons if r.points != 0]


def _footprint_reasons(policy: Policy, section: Section, effective: Mapping[str, Any]) -> list[Reason]:
    """The footprint statement tiered by the institution's thresholds (not the calculator's defaults).

    `effective` holds only the answers of visible questions, so a hidden stages question has no statement."""
    if section.calculator != "footprint":
        return []
    limits = policy.footprint
    reasons = []
    for question in section.questions:
        if question.type != STAGES_TYPE:
            continue
        result = footprint.statement_for_answer(effective.get(question.id))
        if result is None:
            continue
        kg, kwh = result["co2e_kg"], result["energy_kwh"]
        tier: Literal["High", "Medium"]
        if kg > limits.high_kg or kwh > limits.high_kwh:
            tier, rule = "High", f"above {limits.high_kg:g} kg CO2e or {limits.high_kwh:g} kWh"
        elif kg >= limits.medium_kg:
            tier, rule = "Medium", f"{limits.medium_kg:g} kg to {limits.high_kg:g} kg CO2e"
        else:
            # A small footprint is neither risk nor advice; the statement itself is shown with the answers.
            continue
        level: Level = "H" if tier == "High" else "M"
        text = (f"{question.id}: estimated footprint {footprint.format_carbon(kg)}, "
                f"{footprint.format_energy(kwh)} ({tier}: {rule}, institution thresholds)")
        reasons.append(Reason(question_id=question.id, category="environment", level=level,
                              points=policy.thresholds[tier], text=text))
    return reasons


def _mitigated(policy: Policy, category: Category, tier: Tier, hard: bool,
               effective: Mapping[str, Any], q: Questionnaire) -> tuple[Tier, list[Adjustment]]:
    adjustments = []
    for mitigation in policy.mitigations:
        if mitigation.category != category:
            continue
        ticked = effective.get(mitigation.question) or []
        counted = [option for option in mitigation.options if option in ticked]
        if len(counted) < mitigation.at_least:
            continue
        question = q.question(mitigation.question)
        labels = ", ".join(getattr(question.option(value), "label", value).lower() for value in counted)
        rule = (f"{len(counted)} safeguards ({labels}); {mitigation.at_least} or more lower the tier by "
                f"{mitigation.lower_by}")
        if hard:
            adjustments.append(Adjustment(category=category, before=tier, after=tier,
                                          text=f"{rule}, but a hard trigger keeps {tier}"))
            continue
        lowered = policy.lower(tier, mitigation.lower_by)
        if lowered != tier:
            adjustments.append(Adjustment(category=category, before=tier, after=lowered, text=rule))
            tier = lowered
    return tier, adjustments


def _category(policy: Policy, q: Questionnaire, category: Category, reasons: list[Reason],
              effective: Mapping[str, Any]) -> tuple[CategoryResult, list[Adjustment]]:
    points = sum(reason.points for reason in reasons)
    hard = any(reason.level == "H!" for reason in reasons)
    tier = policy.tier_for(points, hard)
    adjustments: list[Adjustment] = []
    cap = policy.categories[category].cap if category in policy.categories else None
    if cap is not None and not hard and policy.rank(tier) > policy.rank(cap):
        adjustments.append(Adjustment(category=category, before=tier, after=cap,
                                      text=f"capped at {cap} by the institution policy"))
        tier = cap
    tier, mitigations = _mitigated(policy, category, tier, hard, effective, q)
    return CategoryResult(points=points, tier=tier, hard_trigger=hard, reasons=reasons), adjustments + mitigations


def _requirements(policy: Policy, category: Category, tier: Tier, effective: Mapping[str, Any],
                  found: _Collected) -> Tier:
    """Record what the category's tier calls for (answers, sign-offs, reviewers); return the tier it routes at."""
    spec = policy.categories.get(category)
    if spec is None:
        return tier
    for needed in spec.requires_answer:
        if policy.rank(tier) >= policy.rank(needed.at_tier) and needed.question not in effective:
            found.blocking.append(Finding(question_id=needed.question, text=needed.message))
    for signoff in spec.signoffs:
        if policy.rank(tier) >= policy.rank(signoff.at_tier):
            _call_for(found.signoffs, signoff.role)
    for reviewer in spec.reviewers:
        if policy.rank(tier) >= policy.rank(reviewer.at_tier):
            _call_for(found.reviewers, reviewer.role)
    return policy.lowest(tier, spec.route_at_most) if spec.route_at_most is not None else tier


def score_with_policy(q: Questionnaire, answers: Mapping[str, Any], policy: Policy) -> PolicyRiskProfile:
    """Points and tiers per category, then caps and safeguards, then the route, sign-offs, extra reviewers,
    advice and blocking issues, all as the institution policy says."""
    visible = visible_question_ids(q, answers)
    effective = {qid: value for qid, value in answers.items() if qid in visible and not is_blank(value)}
    found = _Collected()
    for question in q.questions:
        if question.id in visible:
            _collect_question(policy, question, effective, found)
            _zero_points_to_advice(policy, found)
    for section in q.sections:
        found.reasons += _footprint_reasons(policy, section, effective)
        _zero_points_to_advice(policy, found)

    by_category: dict[Category, list[Reason]] = {category: [] for category in CATEGORIES}
    for reason in found.reasons:
        by_category[reason.category].append(reason)

    categories: dict[Category, CategoryResult] = {}
    adjustments: list[Adjustment] = []
    routing: list[Tier] = []
    for category, reasons in by_category.items():
        result, changed = _category(policy, q, category, reasons, effective)
        categories[category] = result
        adjustments += changed
        routing.append(_requirements(policy, category, result.tier, effective, found))

    overall = policy.highest(routing)
    route = policy.routes[overall]
    signoffs = [role for role in found.signoffs if policy.roles[role].available]
    reviewers = [role for role in found.reviewers if policy.roles[role].available]
    return PolicyRiskProfile(
        categories=categories,
        overall=overall,
        route=route.name,
        reviewers_required=route.reviewers,
        chair_required=route.chair,
        security_signoff="export_control" in signoffs,
        policy=f"{policy.key} v{policy.version}",
        route_label=route.label,
        signoffs=signoffs,
        extra_reviewers=reviewers,
        advice=found.advice,
        blocking=list({(f.question_id, f.text): f for f in found.blocking}.values()),
        adjustments=adjustments,
    )


def blocking_issues(q: Questionnaire, answers: Mapping[str, Any]) -> dict[str, str]:
    """Question id -> the issue that stops submission until it is resolved (none under version 1's rules)."""
    profile = score(q, answers)
    if not isinstance(profile, PolicyRiskProfile):
        return {}
    return {finding.question_id: finding.text for finding in profile.blocking}


"""Pydantic schema of an institution policy file (questionnaires/policy/<name>.yaml).

The questionnaire says what each answer means (points, hard triggers, sign-offs, advice, blocking issues);
the policy says what the institution does with that: points per level, the tier thresholds and their order,
caps per category, which category never routes past which tier on its own, the route table, the extra
reviewer roles and sign-offs each category calls for, the safeguards that lower a tier, and the footprint
thresholds. A questionnaire names its policy (`policy: default`); v1 names none and keeps the rules it was
released with (scoring.score_v1).
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.questionnaires.schema import Category, Level

Tier = Literal["Low", "Medium", "High"]
RouteName = Literal["expedited", "standard", "full_committee"]
TIERS: tuple[Tier, ...] = ("Low", "Medium", "High")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RouteSpec(_Model):
    name: RouteName
    label: str = Field(min_length=1)
    reviewers: int = Field(ge=1)
    chair: bool


class RoleSpec(_Model):
    """A reviewer role or sign-off the institution may ask for; `available: false` when it has nobody in it."""

    label: str = Field(min_length=1)
    kind: Literal["reviewer", "signoff"]
    available: bool = True


class AtTier(_Model):
    role: str = Field(min_length=1)
    at_tier: Tier


class RequiredAnswer(_Model):
    """A question that must be answered before submission once the category reaches a tier."""

    question: str = Field(min_length=1)
    at_tier: Tier
    message: str = Field(min_length=1)


class CategoryPolicy(_Model):
    # The tier the category's points can reach at most; a hard trigger still makes it High.
    cap: Tier | None = None
    # The category on its own never routes past this tier (its own tier is still shown as computed).
    route_at_most: Tier | None = None
    reviewers: list[AtTier] = []
    signoffs: list[AtTier] = []
    requires_answer: list[RequiredAnswer] = []


class Mitigation(_Model):
    """Ticking at least `at_least` of `options` in `question` lowers `category` by `lower_by` tiers.

    Like the mitigation deduction of Canada's Algorithmic Impact Assessment, the rule is printed with the
    result; a hard trigger's floor (High) is never lowered.
    """

    category: Category
    question: str = Field(min_length=1)
    options: list[str] = Field(min_length=1)
    at_least: int = Field(ge=1)
    lower_by: int = Field(default=1, ge=1, le=2)


class FootprintPolicy(_Model):
    """Environment tier of the footprint statement: High above high_kg CO2e or high_kwh; Medium from medium_kg.

    The statement adds the points of its tier (the policy's threshold), so a High footprint makes the
    environment category High without being a hard trigger: it is not capped or routed as one."""

    medium_kg: float = Field(gt=0)
    high_kg: float = Field(gt=0)
    high_kwh: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> FootprintPolicy:
        if self.medium_kg >= self.high_kg:
            raise ValueError("medium_kg must be below high_kg")
        return self


class Policy(_Model):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    version: int = Field(ge=1)
    title: str = Field(min_length=1)
    points: dict[Level, int]
    # Lowest first: the rank of a tier is its position here.
    tiers: list[Tier]
    # Points at which a category reaches a tier (the lowest tier needs none).
    thresholds: dict[Tier, int]
    routes: dict[Tier, RouteSpec]
    roles: dict[str, RoleSpec] = {}
    categories: dict[Category, CategoryPolicy] = {}
    mitigations: list[Mitigation] = []
    footprint: FootprintPolicy
    # Reasons worth 0 points are advice for reviewers, shown apart from risk.
    zero_points_are_advice: bool = True

    @model_validator(mode="after")
    def _tiers_consistent(self) -> Policy:
        if sorted(self.tiers) != sorted(TIERS) or len(self.tiers) != len(TIERS):
            raise ValueError(f"tiers must list {', '.join(TIERS)} once each, lowest first")
        missing_points = [level for level in ("L", "M", "H", "H!") if level not in self.points]
        if missing_points:
            raise ValueError(f"points: missing {', '.join(missing_points)}")
        if set(self.thresholds) != set(self.tiers[1:]):
            raise ValueError(f"thresholds: give the points of {', '.join(self.tiers[1:])}")
        steps = [self.thresholds[tier] for tier in self.tiers[1:]]
        # With thresholds rising along the order, a tier listed out of place is caught here.
        if any(low >= high for low, high in zip(steps, steps[1:], strict=False)) or steps[0] < 1:
            raise ValueError("thresholds must rise with the tier order (a higher tier needs more points)")
        if set(self.routes) != set(TIERS):
            raise ValueError(f"routes: give a route for each of {', '.join(TIERS)}")
        return self

    @model_validator(mode="after")
    def _roles_known(self) -> Policy:
        for category, spec in self.categories.items():
            for field, wanted in (("reviewers", "reviewer"), ("signoffs", "signoff")):
                for entry in getattr(spec, field):
                    role = self.roles.get(entry.role)
                    if role is None:
                        raise ValueError(f"categories.{category}.{field}: unknown role '{entry.role}'")
                    if role.kind != wanted:
                        raise ValueError(f"categories.{category}.{field}: '{entry.role}' is not a {wanted} role")
        return self

    def rank(self, tier: Tier) -> int:
        return self.tiers.index(tier)

    def lower(self, tier: Tier, steps: int) -> Tier:
        return self.tiers[max(self.rank(tier) - steps, 0)]

    def highest(self, tiers: list[Tier]) -> Tier:
        """The highest of the tiers (scoring gives one per category, so there is always at least one)."""
        return max(tiers, key=self.rank)

    def lowest(self, first: Tier, second: Tier) -> Tier:
        return min(first, second, key=self.rank)

    def tier_for(self, points: int, hard_trigger: bool) -> Tier:
        if hard_trigger:
            return self.tiers[-1]
        reached = self.tiers[0]
        for tier in self.tiers[1:]:
            if points >= self.thresholds[tier]:
                reached = tier
        return reached

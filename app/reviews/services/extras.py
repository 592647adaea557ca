"""The extra reviewers an application needs: the roles the institution policy asks for when it scores a round
(the risk profile's `extra_reviewers`, e.g. a sustainability reviewer when the footprint is High), each with the
reasons read from the categories' tiers, and which of them nobody has been assigned for yet."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.core.permissions import ROLES
from app.questionnaires.loader import QuestionnaireError, QuestionnaireNotFound, get_policy
from app.questionnaires.policy import Policy
from app.questionnaires.schema import CATEGORY_LABELS
from app.reviews.models import COI_DECLARED, EXTRA_REVIEW_KINDS
from app.reviews.services.records import active_assignments
from app.submissions.models import Submission

_KIND_OF_ROLE = {role: kind for kind, role in EXTRA_REVIEW_KINDS.items()}
# How a reason names its category, where the category's label would not read well in a sentence.
_CATEGORY_WORDS = {"environment": "the footprint"}
_UNEXPLAINED = "the institution policy asks for one"


@dataclass(frozen=True)
class ExtraNeed:
    """One extra reviewer the policy asks for: the assignment kind and account role, the policy's label for the
    role, and why ("the footprint is High")."""

    kind: str
    role: str
    label: str
    reasons: tuple[str, ...]

    @property
    def message(self) -> str:
        return f"Needs a {self.label[0].lower()}{self.label[1:]}: {'; '.join(self.reasons)}"


def extra_reviewers_needed(submission: Submission) -> list[ExtraNeed]:
    """The extra reviewers the current round's scoring asks for (none for a questionnaire scored without a
    policy), in the order it names them."""
    profile: dict[str, Any] = submission.risk_profile or {}
    roles = [role for role in profile.get("extra_reviewers") or [] if role in _KIND_OF_ROLE]
    policy = _policy_of(profile) if roles else None
    return [ExtraNeed(_KIND_OF_ROLE[role], role, _label(policy, role), _reasons(policy, profile, role))
            for role in roles]


def missing_extra_reviewers(submission: Submission) -> list[ExtraNeed]:
    """The needed extra reviewers nobody has been assigned for in the current round (a recusal leaves the need
    open until someone else is assigned)."""
    assigned = {a.kind for a in active_assignments(submission) if a.coi_status != COI_DECLARED}
    return [need for need in extra_reviewers_needed(submission) if need.kind not in assigned]


def _policy_of(profile: dict[str, Any]) -> Policy | None:
    """The policy the round was scored with ("default v1"), as it stands now: a role's label and rules."""
    try:
        return get_policy(str(profile.get("policy") or "").split(" ")[0])
    except (QuestionnaireError, QuestionnaireNotFound):
        return None


def _label(policy: Policy | None, role: str) -> str:
    return policy.roles[role].label if policy is not None and role in policy.roles else ROLES[role]


def _reasons(policy: Policy | None, profile: dict[str, Any], role: str) -> tuple[str, ...]:
    """The categories whose tier called for the role; a role a question's own rule asks for has no tier."""
    if policy is None:
        return (_UNEXPLAINED,)
    tiers = {category: result.get("tier") for category, result in (profile.get("categories") or {}).items()}
    reasons = []
    for category, spec in policy.categories.items():
        tier = tiers.get(category)
        if tier in policy.tiers and any(rule.role == role and policy.rank(tier) >= policy.rank(rule.at_tier)
                                        for rule in spec.reviewers):
            reasons.append(f"{_CATEGORY_WORDS.get(category, CATEGORY_LABELS[category])} is {tier}")
    return tuple(reasons) or (_UNEXPLAINED,)

"""The application's life cycle as one state machine.

    draft -> submitted -> in_review -> changes_requested -> (resubmitted) in_review, round + 1
                                    -> approved | approved_with_conditions -> (conditions met) approved
                                    -> rejected
    approved | approved_with_conditions -> (the day after the approval's valid-until date) expired
    withdrawn from any open state once submitted; a draft never submitted is deleted by its owner instead.

Services ask this module whether an action is allowed in the current state; the same tables back the
database CHECK constraints, so the rules live in one place.
"""
from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    APPROVED_WITH_CONDITIONS = "approved_with_conditions"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


STATE_LABELS = {
    State.DRAFT: "Draft",
    State.SUBMITTED: "Waiting for triage",
    State.IN_REVIEW: "In review",
    State.CHANGES_REQUESTED: "Changes requested",
    State.APPROVED: "Approved",
    State.APPROVED_WITH_CONDITIONS: "Approved with conditions",
    State.REJECTED: "Rejected",
    State.WITHDRAWN: "Withdrawn",
    State.EXPIRED: "Approval expired",
}

# A chair's decision on a round; each is the action "decide:<outcome>" in TRANSITIONS.
OUTCOMES = {
    "approved": "Approved",
    "approved_with_conditions": "Approved with conditions",
    "changes_requested": "Revise and resubmit",
    "rejected": "Rejected",
}
# An approval with conditions once the research office has confirmed every condition met: what the assessment
# issued then, and its archive entry, say.
ALL_CONDITIONS_MET = "Approved (all conditions met)"
ROUTES = {"expedited": "Expedited review", "standard": "Standard review", "full_committee": "Full committee"}
# Routes from the lightest to the most thorough: a resubmission may raise an application's route, never lower it.
ROUTE_RANK = {route: rank for rank, route in enumerate(ROUTES)}
# Reviewers a route needs before review can start; the full committee also has the chair.
REVIEWERS_REQUIRED = {"expedited": 1, "standard": 2, "full_committee": 2}
# Days the reviewers have on each route, from the day they are asked (the due date the coordinator may change).
REVIEW_DAYS = {"expedited": 10, "standard": 21, "full_committee": 28}

EDITABLE_STATES = frozenset({State.DRAFT, State.CHANGES_REQUESTED})
OPEN_STATES = frozenset(
    {State.DRAFT, State.SUBMITTED, State.IN_REVIEW, State.CHANGES_REQUESTED, State.APPROVED_WITH_CONDITIONS}
)
DECIDED_STATES = frozenset({State.APPROVED, State.APPROVED_WITH_CONDITIONS, State.REJECTED})
# An approval in force: it has a valid-until date, the team is reminded before it, and it expires after it.
APPROVAL_IN_FORCE_STATES = frozenset({State.APPROVED, State.APPROVED_WITH_CONDITIONS})
# A decision moves the application out of review, and a resubmission starts a new round, so in any other state
# the current round has none (withdrawn: perhaps, if it was withdrawn after "changes requested"; expired: the
# approval the current round was given).
DECISION_STATES = DECIDED_STATES | {State.CHANGES_REQUESTED, State.WITHDRAWN, State.EXPIRED}

# (action, from state) -> to state. Anything not listed is refused.
TRANSITIONS: dict[tuple[str, State], State] = {
    ("submit", State.DRAFT): State.SUBMITTED,
    ("submit", State.CHANGES_REQUESTED): State.IN_REVIEW,
    ("start_review", State.SUBMITTED): State.IN_REVIEW,
    ("decide:approved", State.IN_REVIEW): State.APPROVED,
    ("decide:approved_with_conditions", State.IN_REVIEW): State.APPROVED_WITH_CONDITIONS,
    ("decide:changes_requested", State.IN_REVIEW): State.CHANGES_REQUESTED,
    ("decide:rejected", State.IN_REVIEW): State.REJECTED,
    ("conditions_met", State.APPROVED_WITH_CONDITIONS): State.APPROVED,
    # Run by the daily job (`flask reviews send-reminders`), never by a person.
    **{("expire", state): State.EXPIRED for state in APPROVAL_IN_FORCE_STATES},
    # A draft is the team's alone: there is no review to end, so it is deleted ("delete" below), not withdrawn.
    **{("withdraw", state): State.WITHDRAWN for state in OPEN_STATES - {State.DRAFT}},
}

# Actions that change records but not the state, and the states they are allowed in.
ACTIVITIES: dict[str, frozenset[State]] = {
    "edit": EDITABLE_STATES,
    "delete": frozenset({State.DRAFT}),
    "assign": frozenset({State.SUBMITTED, State.IN_REVIEW}),
    "override_route": frozenset({State.SUBMITTED, State.IN_REVIEW}),
    "declare_interest": frozenset({State.SUBMITTED, State.IN_REVIEW}),
    "review_comment": frozenset({State.IN_REVIEW}),
    "applicant_reply": frozenset({State.CHANGES_REQUESTED, State.IN_REVIEW, State.APPROVED_WITH_CONDITIONS}),
    "recommend": frozenset({State.IN_REVIEW}),
    "report_condition": frozenset({State.APPROVED_WITH_CONDITIONS}),
    "confirm_condition": frozenset({State.APPROVED_WITH_CONDITIONS}),
    "send_back_condition": frozenset({State.APPROVED_WITH_CONDITIONS}),
}

ACTION_DESCRIPTIONS = {
    "submit": "submitted",
    "move": "moved to a newer questionnaire",
    "start_review": "sent to review",
    "conditions_met": "marked as meeting its conditions",
    "expire": "marked as expired",
    "withdraw": "withdrawn",
    "edit": "changed",
    "delete": "deleted",
    "assign": "given new reviewers",
    "override_route": "re-routed",
    "declare_interest": "given a conflict-of-interest declaration",
    "review_comment": "commented on by reviewers",
    "applicant_reply": "given replies",
    "recommend": "given a recommendation",
    "report_condition": "reported as meeting a condition",
    "confirm_condition": "given a condition confirmation",
    "send_back_condition": "sent a condition back",
}


class TransitionError(Exception):
    """An action that the application's current state does not allow (shown as a 409 page)."""

    def __init__(self, action: str, state: str):
        self.action = action
        self.state = state
        label = STATE_LABELS[State(state)].lower()
        what = "decided" if action.startswith("decide:") else ACTION_DESCRIPTIONS.get(action, action)
        super().__init__(f"This application is {label}, so it cannot be {what} now.")


def can(action: str, state: str) -> bool:
    current = State(state)
    if action in ACTIVITIES:
        return current in ACTIVITIES[action]
    return (action, current) in TRANSITIONS


def may_have_decision(state: str) -> bool:
    """Whether the current round can have a decision: when not, pages need not look for one."""
    return State(state) in DECISION_STATES


def require(action: str, state: str) -> None:
    if not can(action, state):
        raise TransitionError(action, state)


def next_state(action: str, state: str) -> State:
    try:
        return TRANSITIONS[(action, State(state))]
    except KeyError:
        raise TransitionError(action, state) from None


"""The application's life cycle as one state machine.

Routes and services ask this module whether an action is allowed in the current state; the same
lists back the database CHECK constraints, so the rules live in one place.
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


STATE_LABELS = {
    State.DRAFT: "Draft",
    State.SUBMITTED: "Submitted",
    State.IN_REVIEW: "In review",
    State.CHANGES_REQUESTED: "Changes requested",
    State.APPROVED: "Approved",
    State.APPROVED_WITH_CONDITIONS: "Approved with conditions",
    State.REJECTED: "Rejected",
    State.WITHDRAWN: "Withdrawn",
}

ROUTES = {"expedited": "Expedited review", "standard": "Standard review", "full_committee": "Full committee"}

EDITABLE_STATES = frozenset({State.DRAFT, State.CHANGES_REQUESTED})
OPEN_STATES = frozenset(
    {State.DRAFT, State.SUBMITTED, State.IN_REVIEW, State.CHANGES_REQUESTED, State.APPROVED_WITH_CONDITIONS}
)

# action -> (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[State], State]] = {
    "submit": (frozenset({State.DRAFT, State.CHANGES_REQUESTED}), State.SUBMITTED),
    "withdraw": (OPEN_STATES - {State.APPROVED_WITH_CONDITIONS}, State.WITHDRAWN),
}


class TransitionError(Exception):
    """An action that the application's current state does not allow (shown as a 409 page)."""

    def __init__(self, action: str, state: str):
        self.action = action
        self.state = state
        label = STATE_LABELS.get(State(state), state)
        super().__init__(f"This application is {label.lower()}, so it cannot be {ACTION_PAST.get(action, action)} now.")


ACTION_PAST = {"submit": "submitted", "withdraw": "withdrawn"}


def can(action: str, state: str) -> bool:
    sources, _target = TRANSITIONS[action]
    return State(state) in sources


def next_state(action: str, state: str) -> State:
    sources, target = TRANSITIONS[action]
    if State(state) not in sources:
        raise TransitionError(action, state)
    return target


def sql_in(values) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"

"""The application's life cycle (app/submissions/workflow.py) checked against the rules written out by hand: where
each action leads from each state, where each activity is allowed, what a refusal says, and which states can
have a decision. These are the fast tests `make mutation` runs against the workflow's mutants."""
from __future__ import annotations

import pytest

from app.submissions import workflow

# Written out by hand from the life cycle (the module's docstring), independently of workflow.TRANSITIONS, so a
# change to the table must be deliberate: action -> {from state: to state}.
EXPECTED_TRANSITIONS = {
    "submit": {"draft": "submitted", "changes_requested": "in_review"},
    "start_review": {"submitted": "in_review"},
    "decide:approved": {"in_review": "approved"},
    "decide:approved_with_conditions": {"in_review": "approved_with_conditions"},
    "decide:changes_requested": {"in_review": "changes_requested"},
    "decide:rejected": {"in_review": "rejected"},
    "conditions_met": {"approved_with_conditions": "approved"},
    "withdraw": {state: "withdrawn"
                 for state in ("submitted", "in_review", "changes_requested", "approved_with_conditions")},
    # The daily job's, the day after an approval's valid-until date.
    "expire": {"approved": "expired", "approved_with_conditions": "expired"},
}
# The actions that change records but not the state, and the states each is allowed in.
EXPECTED_ACTIVITIES = {
    "edit": {"draft", "changes_requested"},
    "delete": {"draft"},
    "assign": {"submitted", "in_review"},
    "override_route": {"submitted", "in_review"},
    "declare_interest": {"submitted", "in_review"},
    "review_comment": {"in_review"},
    "applicant_reply": {"changes_requested", "in_review", "approved_with_conditions"},
    "recommend": {"in_review"},
    "report_condition": {"approved_with_conditions"},
    "confirm_condition": {"approved_with_conditions"},
    "send_back_condition": {"approved_with_conditions"},
}
ALL_STATES = ["draft", "submitted", "in_review", "changes_requested", "approved", "approved_with_conditions",
              "rejected", "withdrawn", "expired"]


def test_the_states_are_the_nine_of_the_life_cycle():
    assert sorted(s.value for s in workflow.State) == sorted(ALL_STATES)


@pytest.mark.parametrize("action", sorted(EXPECTED_TRANSITIONS))
@pytest.mark.parametrize("current", ALL_STATES)
def test_every_transition_leads_where_the_life_cycle_says_or_is_refused(action, current):
    target = EXPECTED_TRANSITIONS[action].get(current)
    assert workflow.can(action, current) is (target is not None)
    if target is not None:
        assert workflow.next_state(action, current) == target
        workflow.require(action, current)
    else:
        with pytest.raises(workflow.TransitionError) as refused:
            workflow.next_state(action, current)
        assert (refused.value.action, refused.value.state) == (action, current)
        with pytest.raises(workflow.TransitionError):
            workflow.require(action, current)


@pytest.mark.parametrize("activity", sorted(EXPECTED_ACTIVITIES))
@pytest.mark.parametrize("current", ALL_STATES)
def test_every_activity_is_allowed_only_in_its_states(activity, current):
    allowed = current in EXPECTED_ACTIVITIES[activity]
    assert workflow.can(activity, current) is allowed
    if allowed:
        workflow.require(activity, current)
    else:
        with pytest.raises(workflow.TransitionError) as refused:
            workflow.require(activity, current)
        assert (refused.value.action, refused.value.state) == (activity, current)


def test_an_activity_changes_no_state():
    # "edit" is allowed in a draft, but it is not a transition: there is no state it leads to.
    with pytest.raises(workflow.TransitionError):
        workflow.next_state("edit", "draft")


def test_an_unknown_action_is_refused_in_every_state():
    assert not any(workflow.can("publish", current) for current in ALL_STATES)


@pytest.mark.parametrize(("action", "current", "message"), [
    ("withdraw", "draft", "This application is draft, so it cannot be withdrawn now."),
    ("decide:approved", "submitted", "This application is waiting for triage, so it cannot be decided now."),
    ("decide:rejected", "approved", "This application is approved, so it cannot be decided now."),
    ("submit", "in_review", "This application is in review, so it cannot be submitted now."),
    ("edit", "approved_with_conditions",
     "This application is approved with conditions, so it cannot be changed now."),
    ("conditions_met", "rejected", "This application is rejected, so it cannot be marked as meeting its "
                                   "conditions now."),
    # An action without a description is named as it is.
    ("expire", "rejected", "This application is rejected, so it cannot be marked as expired now."),
    ("submit", "expired", "This application is approval expired, so it cannot be submitted now."),
    ("publish", "withdrawn", "This application is withdrawn, so it cannot be publish now."),
])
def test_a_refusal_says_the_state_and_what_cannot_be_done(action, current, message):
    with pytest.raises(workflow.TransitionError) as refused:
        workflow.require(action, current)
    assert str(refused.value) == message


@pytest.mark.parametrize("current", ALL_STATES)
def test_pages_look_for_a_decision_in_every_state_one_can_exist(current):
    # A round has a decision once the chair has decided it (approved, with conditions, changes requested,
    # rejected); it keeps it when its conditions are met, and may keep it when withdrawn after "changes
    # requested", and an expired approval is the decision the round was given. A draft, a submission waiting for
    # triage and a round in review have none.
    after_decision = {"approved", "approved_with_conditions", "changes_requested", "rejected", "withdrawn",
                      "expired"}
    assert workflow.may_have_decision(current) is (current in after_decision)

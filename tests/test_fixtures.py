"""The suite's own fixtures do what tests rely on: login_as signs in with exactly the roles asked for, and
application_in reaches every state it offers through the real routes."""
from __future__ import annotations

import pytest

from app.submissions.workflow import STATE_LABELS, State
from tests.helpers import BUILDABLE_STATES, is_signed_in, page_text, state, user_row


def test_login_as_signs_in_with_exactly_the_roles_asked_for(app, login_as):
    chair = login_as("chair", "reviewer")
    applicant = login_as()
    assert is_signed_in(chair.client) and is_signed_in(applicant.client)
    # Everyone is an applicant; the roles asked for come on top.
    assert user_row(app, chair.user.email)["roles"] == {"applicant", "chair", "reviewer"}
    assert user_row(app, applicant.user.email)["roles"] == {"applicant"}
    assert chair.client.get("/review/chair").status_code == 200
    assert applicant.client.get("/review/chair").status_code == 403


@pytest.mark.parametrize("wanted", BUILDABLE_STATES)
def test_application_in_reaches_each_state_through_the_routes(app, application_in, wanted):
    application = application_in(wanted)
    assert state(app, application.id) == wanted
    task_list = page_text(application.owner.client.get(f"/applications/{application.id}"))
    assert STATE_LABELS[State(wanted)] in task_list


def test_application_in_refuses_a_state_it_cannot_build(application_in):
    with pytest.raises(ValueError, match="not 'resubmitted'"):
        application_in("resubmitted")

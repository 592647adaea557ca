"""Review rules that hold across rounds, roles and states: drafts, rounds, signatures, recusal, the route."""
from __future__ import annotations

from app.reviews.permissions import UnderReview, can_read_review, can_triage
from tests.helpers import create_application, person, unsaved_application, unsaved_user


def test_a_draft_withdrawn_before_submission_is_not_the_committees(app, make_client):
    coordinator, admin = person(app, make_client, "coordinator"), person(app, make_client, "admin")
    owner = person(app, make_client)
    draft_id = create_application(owner.client, "Never submitted")
    assert owner.client.post(f"/applications/{draft_id}/withdraw", data={"reason": ""}).status_code == 302
    for staff in (coordinator, admin):
        assert staff.client.get(f"/review/applications/{draft_id}/triage").status_code == 403
        assert staff.client.post(f"/review/applications/{draft_id}/route",
                                 data={"route": "standard", "reason": "r"}).status_code == 403
    withdrawn = unsaved_application(unsaved_user(), state="withdrawn", round_number=0)  # never submitted
    assert not can_triage(unsaved_user("coordinator"), withdrawn)
    assert not can_read_review(unsaved_user("chair"), UnderReview(withdrawn, lambda _: []))

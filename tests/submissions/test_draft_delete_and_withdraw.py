"""A draft never submitted is deleted by its owner; Withdraw is offered, and worded, only once submitted; the
message after a submission says what happens next (a resubmission goes straight back to review)."""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.submissions.models import Answer, Submission, SubmissionMember
from tests.helpers import (
    audit_events,
    create_application,
    fill_application,
    join_team,
    page_text,
    person,
    post_section,
)


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_owner_deletes_a_draft_after_confirming(app, make_client):
    owner = person(app, make_client)
    submission_id = create_application(owner.client, "A draft to throw away")
    post_section(owner.client, submission_id, "A", {"A2": "Some words"}, button="save")
    owner.client.post(f"/applications/{submission_id}/team", data={"email": "friend@example.ac.uk", "role": "viewer"})

    task_list = page_text(owner.client.get(f"/applications/{submission_id}"))
    assert "Delete this draft" in task_list
    assert "Withdraw" not in task_list
    confirm = owner.client.get(f"/applications/{submission_id}/delete")
    assert confirm.status_code == 200
    assert "never submitted" in page_text(confirm) and "cannot be undone" in page_text(confirm)
    # Without the form's token nothing happens.
    assert owner.client.post(f"/applications/{submission_id}/delete", csrf=False).status_code == 400
    assert _count(app, Submission, Submission.id == submission_id) == 1

    done = owner.client.post(f"/applications/{submission_id}/delete", follow_redirects=True)
    assert done.status_code == 200
    assert "The draft “A draft to throw away” has been deleted." in page_text(done)
    assert "A draft to throw away" not in page_text(owner.client.get("/")).replace(
        "The draft “A draft to throw away” has been deleted.", "")
    assert _count(app, Submission, Submission.id == submission_id) == 0
    assert _count(app, Answer, Answer.submission_id == submission_id) == 0
    assert _count(app, SubmissionMember, SubmissionMember.submission_id == submission_id) == 0
    [event] = audit_events(app, "submission.deleted")
    assert event["object_id"] == str(submission_id) and event["actor_id"] == owner.user.id
    assert event["data"]["title"] == "A draft to throw away"
    assert event["data"]["members"] == ["friend@example.ac.uk"]
    assert owner.client.get(f"/applications/{submission_id}").status_code == 404


def test_only_the_owner_deletes_and_only_a_draft(app, make_client):
    owner, editor = person(app, make_client), person(app, make_client)
    submission_id = create_application(owner.client)
    join_team(app, owner.client, editor.client, submission_id, editor.user.email)
    assert "Delete this draft" not in page_text(editor.client.get(f"/applications/{submission_id}"))
    assert editor.client.post(f"/applications/{submission_id}/delete").status_code == 403
    fill_application(owner.client, submission_id)
    assert owner.client.post(f"/applications/{submission_id}/submit").status_code == 302
    refused = owner.client.post(f"/applications/{submission_id}/delete")
    assert refused.status_code == 409
    assert "so it cannot be deleted now" in page_text(refused)
    assert _count(app, Submission, Submission.id == submission_id) == 1
    assert audit_events(app, "submission.deleted") == []


def test_withdraw_is_offered_only_once_submitted_and_says_what_it_does(app, make_client):
    owner = person(app, make_client)
    submission_id = create_application(owner.client)
    assert owner.client.get(f"/applications/{submission_id}/withdraw").status_code == 409
    refused = owner.client.post(f"/applications/{submission_id}/withdraw", data={"reason": ""})
    assert refused.status_code == 409
    assert "This application is draft, so it cannot be withdrawn now." in page_text(refused)

    fill_application(owner.client, submission_id)
    submitted = owner.client.post(f"/applications/{submission_id}/submit", follow_redirects=True)
    text = page_text(submitted)
    assert "The research office checks it and assigns reviewers; you will get an email when the review starts." \
        in text
    assert "Withdraw application" in text and "Delete this draft" not in text
    page = page_text(owner.client.get(f"/applications/{submission_id}/withdraw"))
    assert "Withdrawing stops the committee's review" in page
    assert "ends the review" not in page


def test_a_resubmission_says_it_is_back_in_review_at_once(app, make_client):
    from tests.helpers import decide, in_review, medium_risk_answers, recommend

    submission_id, owner, c = in_review(app, make_client, medium_risk_answers())
    for reviewer in (c.reviewer1, c.reviewer2):
        assert recommend(app, submission_id, reviewer, "changes_requested", "Provenance.").status_code == 302
    assert decide(c, submission_id, "changes_requested").status_code == 302
    owner.client.get("/")  # shows (and so clears) the first submission's message
    response = owner.client.post(f"/applications/{submission_id}/submit", follow_redirects=True)
    text = page_text(response)
    assert "It is back in review now" in text
    assert "round 2" in text.lower()
    assert "when the review starts" not in text

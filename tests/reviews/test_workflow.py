"""The review workflow through the real routes and database."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from app.core.audit import AuditEvent
from app.core.mail import OutboxMessage
from app.extensions import db
from app.reviews.models import Assignment, Comment, Condition, Decision
from app.submissions.models import Round, Submission
from tests.helpers import (
    assign,
    assignment_id,
    comment,
    committee,
    decide,
    declare_none,
    high_risk_answers,
    in_review,
    medium_risk_answers,
    page_text,
    person,
    post_section,
    recommend,
    sign_off,
    state,
    submitted,
)


def _mails_to(app, email):
    with app.app_context():
        return db.session.scalars(select(OutboxMessage.subject).where(OutboxMessage.recipient == email)).all()


def _count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_low_risk_is_expedited_and_needs_one_reviewer(app, make_client):
    c = committee(app, make_client)
    submission_id, _owner = submitted(app, make_client)
    queue = page_text(c.coordinator.client.get("/review/queue"))
    assert "Expedited review" in queue and "Waiting for triage" in queue
    start = c.coordinator.client.post(f"/review/applications/{submission_id}/start", follow_redirects=True)
    assert "needs 1 reviewer" in page_text(start)
    assert state(app, submission_id) == "submitted"
    assign(c, submission_id, c.reviewer1)
    c.coordinator.client.post(f"/review/applications/{submission_id}/start")
    assert state(app, submission_id) == "in_review"


def test_medium_risk_is_standard_and_needs_two_reviewers(app, make_client):
    c = committee(app, make_client)
    submission_id, _owner = submitted(app, make_client, medium_risk_answers())
    with app.app_context():
        assert db.session.get(Submission, submission_id).route == "standard"
    # ICSD data asks for a data steward this committee has nobody for: the office confirms starting without.
    start = {"confirm_without_extras": "yes"}
    assign(c, submission_id, c.reviewer1)
    c.coordinator.client.post(f"/review/applications/{submission_id}/start", data=start)
    assert state(app, submission_id) == "submitted"
    assign(c, submission_id, c.reviewer2)
    c.coordinator.client.post(f"/review/applications/{submission_id}/start", data=start)
    assert state(app, submission_id) == "in_review"


def test_dual_use_high_needs_security_signoff_before_approval(app, make_client):
    c = committee(app, make_client)
    submission_id, _owner = submitted(app, make_client, high_risk_answers())
    assign(c, submission_id, c.reviewer1)
    assign(c, submission_id, c.reviewer2)
    page = c.coordinator.client.post(f"/review/applications/{submission_id}/start", follow_redirects=True)
    assert "security officer" in page_text(page)
    assert state(app, submission_id) == "submitted"
    assert assign(c, submission_id, c.security, kind="security").status_code == 302
    c.coordinator.client.post(f"/review/applications/{submission_id}/start")
    assert state(app, submission_id) == "in_review"
    for reviewer in (c.reviewer1, c.reviewer2, c.security):
        declare_none(app, submission_id, reviewer)
    recommend(app, submission_id, c.reviewer1)
    recommend(app, submission_id, c.reviewer2)
    refused = decide(c, submission_id, "approved")
    assert refused.status_code == 422
    assert "security officer must sign off" in page_text(refused)
    assert state(app, submission_id) == "in_review"
    assert sign_off(app, submission_id, c.security, classification="not_listed", control_entry="",
                    basis="Export control checked: below the thresholds of 1C011.").status_code == 302
    assert decide(c, submission_id, "approved").status_code == 302
    assert state(app, submission_id) == "approved"


def test_coordinator_overrides_route_with_recorded_reason(app, make_client):
    c = committee(app, make_client)
    submission_id, _owner = submitted(app, make_client)
    missing = c.coordinator.client.post(f"/review/applications/{submission_id}/route",
                                        data={"route": "full_committee", "reason": ""})
    assert missing.status_code == 422 and "Give the reason" in page_text(missing)
    ok = c.coordinator.client.post(f"/review/applications/{submission_id}/route",
                                   data={"route": "full_committee", "reason": "Novel autonomous lab"})
    assert ok.status_code == 302
    with app.app_context():
        submission = db.session.get(Submission, submission_id)
        assert submission.route == "full_committee"
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "route.overridden"))
        assert event.data["reason"] == "Novel autonomous lab" and event.data["from"] == "expedited"


def test_conflict_of_interest_recuses_and_tells_the_coordinator(app, make_client):
    c = committee(app, make_client)
    submission_id, _owner = submitted(app, make_client)
    assign(c, submission_id, c.reviewer1)
    aid = assignment_id(app, submission_id, c.reviewer1)
    # Answers are hidden until the declaration.
    assert c.reviewer1.client.get(f"/review/applications/{submission_id}").status_code == 403
    empty = c.reviewer1.client.post(f"/review/assignments/{aid}", data={"has_conflict": "yes", "statement": ""})
    assert "Describe the conflict" in page_text(empty)
    c.reviewer1.client.post(f"/review/assignments/{aid}",
                            data={"has_conflict": "yes", "statement": "I co-supervise the PI's student."})
    with app.app_context():
        assignment = db.session.get(Assignment, aid)
        assert assignment.coi_status == "declared" and assignment.active is False
    assert c.reviewer1.client.get(f"/review/applications/{submission_id}").status_code == 403
    assert any("Reassign" in s for s in _mails_to(app, c.coordinator.user.email))
    again = assign(c, submission_id, c.reviewer1)
    assert again.status_code == 422 and "conflict of interest" in page_text(again)


def test_no_one_reviews_their_own_application(app, make_client):
    c = committee(app, make_client)
    # The applicant is also a reviewer and chair.
    owner = person(app, make_client, "reviewer", "chair")
    from tests.helpers import create_application, fill_application
    submission_id = create_application(owner.client)
    fill_application(owner.client, submission_id)
    owner.client.post(f"/applications/{submission_id}/submit")
    triage = c.coordinator.client.get(f"/review/applications/{submission_id}/triage").get_data(as_text=True)
    assert f'value="{owner.user.id}"' not in triage
    refused = c.coordinator.client.post(f"/review/applications/{submission_id}/assign",
                                        data={"reviewer_id": owner.user.id})
    assert refused.status_code == 422
    assert _count(app, Assignment, Assignment.reviewer_id == owner.user.id) == 0
    assert owner.client.get(f"/review/applications/{submission_id}").status_code == 403
    assert owner.client.get(f"/review/applications/{submission_id}/decide").status_code == 403


def test_comment_visibility_and_threads(app, make_client):
    submission_id, owner, c = in_review(app, make_client)
    r1 = c.reviewer1.client
    r1.post(f"/review/applications/{submission_id}/comments",
            data={"body": "Please give the **DOI** of the dataset.", "question_id": "B4", "visibility": "applicant"})
    r1.post(f"/review/applications/{submission_id}/comments",
            data={"body": "SECRET committee note about the PI", "question_id": "B4", "visibility": "committee"})
    committee_page = c.reviewer2.client.get(f"/review/applications/{submission_id}").get_data(as_text=True)
    assert "<strong>DOI</strong>" in committee_page and "SECRET committee note" in committee_page
    # Not released to the applicant before the decision.
    assert "DOI" not in page_text(owner.client.get(f"/applications/{submission_id}/feedback"))
    recommend(app, submission_id, c.reviewer1, "changes_requested", "Provenance incomplete.")
    recommend(app, submission_id, c.reviewer2, "changes_requested", "Agree.")
    assert decide(c, submission_id, "changes_requested").status_code == 302
    feedback = owner.client.get(f"/applications/{submission_id}/feedback")
    text = page_text(feedback)
    assert "DOI" in text and "SECRET committee note" not in text
    assert "SECRET" not in feedback.get_data(as_text=True)
    with app.app_context():
        root = db.session.scalar(select(Comment).where(Comment.visibility == "applicant"))
        committee_root = db.session.scalar(select(Comment).where(Comment.visibility == "committee"))
    # The applicant answers the thread addressed to them, but cannot reply into the committee thread.
    answer = owner.client.post(f"/applications/{submission_id}/feedback/reply",
                               data={"parent_id": root.id, "body": "DOI: 10.1234/abcd"})
    assert answer.status_code == 302
    sneaky = owner.client.post(f"/applications/{submission_id}/feedback/reply",
                               data={"parent_id": committee_root.id, "body": "peek"})
    assert sneaky.status_code == 403
    empty = owner.client.post(f"/applications/{submission_id}/feedback/reply", data={"parent_id": root.id, "body": ""})
    assert empty.status_code == 422 and "Write your answer" in page_text(empty)
    assert "10.1234/abcd" in page_text(c.reviewer1.client.get(f"/review/applications/{submission_id}"))


def test_reviewer_resolves_a_thread(app, make_client):
    submission_id, _owner, c = in_review(app, make_client)
    comment_id = comment(app, c.reviewer1, submission_id, "B2", "Check B2")
    assert c.reviewer1.client.post(f"/review/comments/{comment_id}/resolve").status_code == 302
    with app.app_context():
        assert db.session.get(Comment, comment_id).resolved_at is not None


def test_comment_on_unknown_question_or_empty_is_refused(app, make_client):
    submission_id, _owner, c = in_review(app, make_client)
    bad = c.reviewer1.client.post(f"/review/applications/{submission_id}/comments",
                                  data={"body": "x", "question_id": "Z99", "visibility": "committee"})
    assert bad.status_code == 422 and "does not exist" in page_text(bad)
    empty = c.reviewer1.client.post(f"/review/applications/{submission_id}/comments",
                                    data={"body": "  ", "question_id": "B2", "visibility": "committee"})
    assert empty.status_code == 422
    assert _count(app, Comment) == 0


def test_decision_needs_the_chairs_password_and_records_the_signature(app, make_client):
    submission_id, _owner, c = in_review(app, make_client)
    recommend(app, submission_id, c.reviewer1)
    recommend(app, submission_id, c.reviewer2)
    wrong = decide(c, submission_id, "approved", password="not my password at all")
    assert wrong.status_code == 422 and "password was not right" in page_text(wrong)
    assert 'value="not my password' not in wrong.get_data(as_text=True)
    assert _count(app, Decision) == 0
    assert decide(c, submission_id, "approved").status_code == 302
    with app.app_context():
        decision = db.session.scalar(select(Decision))
        assert decision.signature_name == c.chair.user.name
        assert decision.signature_meaning == "Approved — chair"
        assert decision.decided_at is not None
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "decision.signature_failed")) == 1


def test_decision_waits_for_the_required_recommendations(app, make_client):
    submission_id, _owner, c = in_review(app, make_client, medium_risk_answers())
    recommend(app, submission_id, c.reviewer1)
    early = decide(c, submission_id, "approved")
    assert early.status_code == 422
    assert "1 of the 2 required reviewer recommendations are in" in page_text(early)
    assert state(app, submission_id) == "in_review"
    recommend(app, submission_id, c.reviewer2)
    assert decide(c, submission_id, "approved").status_code == 302
    assert state(app, submission_id) == "approved"


def test_double_clicks_have_one_effect(app, make_client):
    c = committee(app, make_client)
    submission_id, _owner = submitted(app, make_client, medium_risk_answers())
    assign(c, submission_id, c.reviewer1)
    assign(c, submission_id, c.reviewer1)
    assign(c, submission_id, c.reviewer2)
    assert _count(app, Assignment, Assignment.submission_id == submission_id) == 2
    for _ in range(2):
        c.coordinator.client.post(f"/review/applications/{submission_id}/start", data={"confirm_without_extras": "yes"})
    assert _count(app, AuditEvent, AuditEvent.action == "review.started") == 1
    for reviewer in (c.reviewer1, c.reviewer2):
        declare_none(app, submission_id, reviewer)
        declare_none(app, submission_id, reviewer)
        recommend(app, submission_id, reviewer)
        recommend(app, submission_id, reviewer)
    assert _count(app, AuditEvent, AuditEvent.action == "conflict.none_declared") == 2
    assert _count(app, AuditEvent, AuditEvent.action == "recommendation.recorded") == 2
    first = decide(c, submission_id, "approved")
    second = decide(c, submission_id, "approved")
    assert first.status_code == 302
    assert second.status_code in (302, 409)
    assert _count(app, Decision) == 1
    assert _count(app, AuditEvent, AuditEvent.action == "decision.recorded") == 1


def test_out_of_order_actions_get_a_409_page(app, make_client):
    c = committee(app, make_client)
    submission_id, _owner = submitted(app, make_client)
    page = c.chair.client.get(f"/review/applications/{submission_id}/decide")
    assert page.status_code == 409
    assert "cannot be decided now" in page_text(page)
    assign(c, submission_id, c.reviewer1)
    c.coordinator.client.post(f"/review/applications/{submission_id}/start")
    declare_none(app, submission_id, c.reviewer1)
    recommend(app, submission_id, c.reviewer1)
    decide(c, submission_id, "rejected")
    late = recommend(app, submission_id, c.reviewer1, "approve", "Changed my mind")
    assert late.status_code == 409
    assert c.coordinator.client.post(f"/review/applications/{submission_id}/route",
                                     data={"route": "standard", "reason": "x"}).status_code == 409


def test_revision_round_with_diff_and_carried_threads(app, make_client):
    submission_id, owner, c = in_review(app, make_client, medium_risk_answers())
    c.reviewer1.client.post(f"/review/applications/{submission_id}/comments",
                            data={"body": "Which version of ICSD?", "question_id": "B4", "visibility": "applicant"})
    recommend(app, submission_id, c.reviewer1, "changes_requested", "Provenance.")
    recommend(app, submission_id, c.reviewer2, "changes_requested", "Provenance.")
    decide(c, submission_id, "changes_requested")
    assert state(app, submission_id) == "changes_requested"
    assert "Decision on round 1: Revise and resubmit" in page_text(
        c.chair.client.get(f"/review/applications/{submission_id}"))
    # Editable again, and a new answer is saved.
    revised = dict(medium_risk_answers()["B"],
                   B4="ICSD release 2026.1, exported on 2026-09-30 under the institutional licence.")
    response = post_section(owner.client, submission_id, "B", revised, button="save")
    assert response.status_code == 302
    assert owner.client.post(f"/applications/{submission_id}/submit").status_code == 302
    with app.app_context():
        submission = db.session.get(Submission, submission_id)
        assert submission.state == "in_review" and submission.round_number == 2
        rounds = select(func.count()).select_from(Round).where(Round.submission_id == submission_id)
        assert db.session.scalar(rounds) == 2
        carried = db.session.scalars(select(Assignment).where(Assignment.submission_id == submission_id,
                                                              Assignment.round_number == 2)).all()
        assert {a.reviewer_id for a in carried} == {c.reviewer1.user.id, c.reviewer2.user.id}
        assert all(a.coi_status == "none" and a.recommendation is None for a in carried)
    assert any("Resubmitted" in s for s in _mails_to(app, c.reviewer1.user.email))
    # Round 2 is undecided: the page shows no decision, not round 1's.
    round_two = page_text(c.chair.client.get(f"/review/applications/{submission_id}"))
    assert "Round 2 submitted" in round_two and "Decision on round" not in round_two
    diff = c.reviewer1.client.get(f"/review/applications/{submission_id}/diff")
    assert diff.status_code == 200
    html = diff.get_data(as_text=True)
    text = page_text(diff)
    assert "1 question changed" in text
    assert "ICSD release 2026.1" in text and "Materials Project database" in text
    # The changed question comes first, with the earlier thread beside it.
    first_row = html.index("<tbody>")
    assert html.index("B4.", first_row) < html.index("A1.", first_row)
    assert "Which version of ICSD?" in text


def test_conditions_are_tracked_until_the_last_confirmation_approves(app, make_client):
    submission_id, owner, c = in_review(app, make_client)
    recommend(app, submission_id, c.reviewer1, "approve_with_conditions", "Fine with conditions.")
    missing = decide(c, submission_id, "approved_with_conditions", conditions="")
    assert missing.status_code == 422 and "at least one condition" in page_text(missing)
    decide(c, submission_id, "approved_with_conditions",
           conditions="Deposit the dataset in NOMAD\nReport energy use in the paper")
    assert state(app, submission_id) == "approved_with_conditions"
    with app.app_context():
        ids = db.session.scalars(select(Condition.id).order_by(Condition.id)).all()
    feedback = page_text(owner.client.get(f"/applications/{submission_id}/feedback"))
    assert "Deposit the dataset in NOMAD" in feedback
    refused = c.coordinator.client.post(f"/review/conditions/{ids[0]}/confirm", follow_redirects=True)
    assert "not reported this condition" in page_text(refused)
    for cid in ids:
        owner.client.post(f"/applications/{submission_id}/conditions/{cid}/report", data={"note": "Done"})
    c.coordinator.client.post(f"/review/conditions/{ids[0]}/confirm")
    assert state(app, submission_id) == "approved_with_conditions"
    c.coordinator.client.post(f"/review/conditions/{ids[1]}/confirm")
    assert state(app, submission_id) == "approved"
    assert _count(app, AuditEvent, AuditEvent.action == "conditions.all_met") == 1


def test_mail_goes_to_the_right_people_only(app, make_client):
    c = committee(app, make_client)
    bystander = person(app, make_client, "reviewer")
    submission_id, owner = submitted(app, make_client)
    assert any("New application to triage" in s for s in _mails_to(app, c.coordinator.user.email))
    assign(c, submission_id, c.reviewer1)
    assert any("Review request" in s for s in _mails_to(app, c.reviewer1.user.email))
    assert _mails_to(app, bystander.user.email) == []
    assert _mails_to(app, c.reviewer2.user.email) == []
    c.coordinator.client.post(f"/review/applications/{submission_id}/start")
    declare_none(app, submission_id, c.reviewer1)
    recommend(app, submission_id, c.reviewer1)
    assert any("Ready for decision" in s for s in _mails_to(app, c.chair.user.email))
    decide(c, submission_id, "approved")
    assert any("Decision on" in s for s in _mails_to(app, owner.user.email))
    assert not any("Decision on" in s for s in _mails_to(app, c.reviewer1.user.email))
    assert _mails_to(app, bystander.user.email) == []


def test_reminders_for_due_and_overdue_reviews_once_a_day(app, make_client):
    c = committee(app, make_client)
    submission_id, _owner = submitted(app, make_client)
    c.coordinator.client.post(f"/review/applications/{submission_id}/assign",
                              data={"reviewer_id": c.reviewer1.user.id,
                                    "due_on": (date.today() - timedelta(days=1)).isoformat()})
    runner = app.test_cli_runner()
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0 and "1 reminder" in result.output
    assert any(s.startswith("Overdue") for s in _mails_to(app, c.reviewer1.user.email))
    assert "0 reminder" in runner.invoke(args=["send-reminders"]).output


def test_daily_digest_collects_mail(app, make_client):
    c = committee(app, make_client)
    with app.app_context():
        from app.auth.models import User
        db.session.get(User, c.reviewer1.user.id).mail_digest = True
        db.session.commit()
    first, _ = submitted(app, make_client)
    second, _ = submitted(app, make_client)
    assign(c, first, c.reviewer1)
    assign(c, second, c.reviewer1)
    with app.app_context():
        statuses = db.session.scalars(select(OutboxMessage.status).where(
            OutboxMessage.recipient == c.reviewer1.user.email)).all()
    assert statuses == ["held", "held"]
    result = app.test_cli_runner().invoke(args=["send-digests"])
    assert "1 digest" in result.output
    with app.app_context():
        digest = db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == c.reviewer1.user.email,
                                                               OutboxMessage.status == "logged"))
        assert "2 updates" in digest.subject and digest.body.count("Review request") == 2


def test_history_page_lists_every_event_for_the_committee_only(app, make_client):
    submission_id, owner, c = in_review(app, make_client)
    history = c.coordinator.client.get(f"/review/applications/{submission_id}/history")
    text = page_text(history)
    for action in ("started the application", "submitted the application", "to review as reviewer",
                   "started the review"):
        assert action in text
    assert owner.client.get(f"/review/applications/{submission_id}/history").status_code == 403


def test_withdrawal_from_review(app, make_client):
    submission_id, owner, c = in_review(app, make_client)
    withdrawn = owner.client.post(f"/applications/{submission_id}/withdraw", data={"reason": "Funding ended"})
    assert withdrawn.status_code == 302
    assert state(app, submission_id) == "withdrawn"
    comment = c.reviewer1.client.post(f"/review/applications/{submission_id}/comments",
                                      data={"body": "x", "question_id": "B2", "visibility": "committee"})
    assert comment.status_code == 409


def test_user_chooses_digest_on_the_account_page(app, make_client):
    reviewer = person(app, make_client, "reviewer")
    assert reviewer.client.post("/account/mail", data={"mail_digest": "yes"}).status_code == 302
    with app.app_context():
        from app.auth.models import User
        assert db.session.get(User, reviewer.user.id).mail_digest is True
    assert reviewer.client.post("/account/mail", data={"mail_digest": "maybe"}).status_code == 400
    assert reviewer.client.post("/account/mail", data={"mail_digest": "no"}, csrf=False).status_code == 400

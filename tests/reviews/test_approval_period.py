"""The approval period: the chair's valid-until date (the project's end by default, capped by APPROVAL_MAX_YEARS;
refused beside the field when it cannot be), the team's reminders 60, 30 and 7 days before it, each once, and
the expiry after it, which the team, the committee, the archive and the public verification page all show.
Dates are the service's `today`, passed in: no test waits for a day to pass."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.documents.models import Document
from app.extensions import db
from app.reviews import services
from app.reviews.models import Decision
from app.submissions.models import Round, Submission
from tests.helpers import (
    accept_invitation,
    application_in_state,
    assessment_text,
    audit_events,
    decide,
    input_value,
    mails,
    page_text,
    person,
    recommend,
    sent,
    state,
)

TODAY = date.today()


def _long(day: date) -> str:
    return f"{day:%-d %B %Y}"


def _ready_for_decision(app, make_client, *, start: date | None = None, end: date | None = None):
    """An application in review with both recommendations in; its round answers the project's start and end
    (questions A6 and A7) as given, as a questionnaire v2 round does, and neither when not given, as a v1 round."""
    application = application_in_state(app, make_client, "in_review")
    for reviewer in (application.committee.reviewer1, application.committee.reviewer2):
        assert recommend(app, application.id, reviewer).status_code == 302
    with app.app_context():
        answered = db.session.scalar(select(Round).where(Round.submission_id == application.id))
        answers = {qid: value for qid, value in answered.answers.items() if qid not in ("A6", "A7")}
        answered.answers = {**answers, **({"A6": start.isoformat()} if start else {}),
                            **({"A7": end.isoformat()} if end else {})}
        db.session.commit()
    return application


def _valid_until(app, submission_id: int) -> tuple[date | None, date | None]:
    with app.app_context():
        decision = db.session.scalar(select(Decision).where(Decision.submission_id == submission_id))
        return db.session.get(Submission, submission_id).valid_until, decision.valid_until if decision else None


def test_the_approval_runs_to_the_project_end_offered_on_the_decision_page(app, make_client):
    end = TODAY + timedelta(days=500)
    application = _ready_for_decision(app, make_client, start=TODAY, end=end)
    chair = application.committee.chair
    page = chair.client.get(f"/review/applications/{application.id}/decide")
    assert input_value(page.get_data(as_text=True), "valid_until") == end.isoformat()
    assert f"The project ends on {_long(end)} (question A7)" in page_text(page)
    # Left as offered (an empty field takes the project's end too).
    assert decide(application.committee, application.id, "approved", valid_until="").status_code == 302
    assert _valid_until(app, application.id) == (end, end)
    [event] = audit_events(app, "decision.recorded")
    assert event["data"]["valid_until"] == end.isoformat()
    [mail] = [m for m in mails(app, application.owner.user.email) if m["subject"].startswith("Decision on")]
    assert f"The approval is valid until {_long(end)}." in mail["body"]
    task_list = page_text(application.owner.client.get(f"/applications/{application.id}"))
    assert f"Approval valid until {_long(end)}" in task_list
    history = page_text(chair.client.get(f"/review/applications/{application.id}/history"))
    assert f"decided Approved (round 1), valid until {_long(end)}" in history


def test_the_offer_is_capped_by_the_institution_and_a_later_date_refused(app, make_client):
    app.config["APPROVAL_MAX_YEARS"] = 2
    latest = TODAY.replace(year=TODAY.year + 2) if (TODAY.month, TODAY.day) != (2, 29) else date(TODAY.year + 2, 2, 28)
    application = _ready_for_decision(app, make_client, start=TODAY, end=TODAY + timedelta(days=5 * 365))
    page = application.committee.chair.client.get(f"/review/applications/{application.id}/decide")
    assert input_value(page.get_data(as_text=True), "valid_until") == latest.isoformat()
    assert "later than the longest approval allowed" in page_text(page)
    refused = decide(application.committee, application.id, "approved",
                     valid_until=(latest + timedelta(days=1)).isoformat())
    assert refused.status_code == 422
    assert f"An approval lasts at most 2 years: choose {_long(latest)} or earlier." in page_text(refused)
    assert state(app, application.id) == "in_review"
    assert decide(application.committee, application.id, "approved", valid_until="").status_code == 302
    assert _valid_until(app, application.id) == (latest, latest)


def test_refused_dates_are_named_beside_the_field_and_nothing_typed_is_lost(app, make_client):
    start = TODAY + timedelta(days=90)
    application = _ready_for_decision(app, make_client, start=start, end=start - timedelta(days=1))
    chair = application.committee.chair
    url = f"/review/applications/{application.id}/decide"

    def refused(valid_until: str, message: str) -> None:
        response = chair.client.post(url, data={
            "outcome": "approved_with_conditions", "summary": "Reasons kept as typed.",
            "conditions": "Deposit the data in NOMAD", "valid_until": valid_until,
            "password": chair.user.password})
        assert response.status_code == 422, valid_until
        html = response.get_data(as_text=True)
        assert 'id="valid_until-error"' in html and message in page_text(response), valid_until
        assert 'aria-describedby="valid_until-hint valid_until-error"' in html
        assert "Reasons kept as typed." in html and "Deposit the data in NOMAD" in html
        assert input_value(html, "valid_until") == valid_until
        assert state(app, application.id) == "in_review"

    # The end the applicant gave is before the start: the default is refused, as a date typed before it.
    refused("", f"The approval cannot end before the project starts ({_long(start)}, question A6).")
    refused((start - timedelta(days=30)).isoformat(), "cannot end before the project starts")
    refused((TODAY - timedelta(days=1)).isoformat(), f"The approval cannot end in the past: choose {_long(TODAY)}")
    refused("2027-02-30", "Not a valid date value")
    assert audit_events(app, "decision.recorded") == []
    assert chair.client.post(url, data={
        "outcome": "approved_with_conditions", "summary": "Reasons.", "conditions": "Deposit the data in NOMAD",
        "valid_until": (start + timedelta(days=365)).isoformat(), "password": chair.user.password}).status_code == 302
    assert _valid_until(app, application.id) == (start + timedelta(days=365),) * 2


def test_a_round_without_an_end_date_needs_the_chair_to_enter_one(app, make_client):
    application = _ready_for_decision(app, make_client)
    page = page_text(application.committee.chair.client.get(f"/review/applications/{application.id}/decide"))
    assert "This application gives no project end date: enter one." in page
    refused = decide(application.committee, application.id, "approved", valid_until="")
    assert refused.status_code == 422
    assert "Enter the date the approval is valid until: this application gives no project end date." in page_text(
        refused)
    # Other outcomes carry no approval period.
    assert decide(application.committee, application.id, "rejected", valid_until="").status_code == 302
    assert _valid_until(app, application.id) == (None, None)


def _approved_until(app, make_client, valid_until: date):
    application = _ready_for_decision(app, make_client)
    assert decide(application.committee, application.id, "approved",
                  valid_until=valid_until.isoformat()).status_code == 302
    return application


def _reminders(app, application) -> list[str]:
    return [m["subject"] for m in mails(app, application.owner.user.email) if "expires in" in m["subject"]]


def test_the_team_is_reminded_60_30_and_7_days_before_once_each(app, make_client):
    end = TODAY + timedelta(days=200)
    application = _approved_until(app, make_client, end)
    colleague = person(app, make_client)
    owner = application.owner
    assert owner.client.post(f"/applications/{application.id}/team",
                             data={"email": colleague.user.email, "role": "viewer"}).status_code == 302
    accept_invitation(app, colleague.client, application.id, colleague.user.email)

    def run(days_before: int) -> int:
        with app.app_context():
            return services.send_expiry_reminders(end - timedelta(days=days_before))

    assert run(61) == 0
    assert run(60) == 1
    assert run(60) == 0 and run(45) == 0  # once, however often the job runs
    assert run(30) == 1 and run(29) == 0
    assert run(7) == 1 and run(7) == 0 and run(1) == 0 and run(0) == 0
    with app.app_context():
        reference = db.session.get(Submission, application.id).reference
    assert _reminders(app, application) == [f"Approval of {reference} expires in {days} days" for days in (60, 30, 7)]
    [to_colleague] = [m for m in mails(app, colleague.user.email) if "expires in 7 days" in m["subject"]]
    assert f"is valid until {_long(end)}" in to_colleague["body"]
    assert [e["data"]["days_before"] for e in audit_events(app, "approval.expiry_reminder_sent")] == [60, 30, 7]
    history = page_text(application.committee.chair.client.get(f"/review/applications/{application.id}/history"))
    assert f"Crucible reminded the team that the approval ends on {_long(end)} (7 days ahead)" in history


def test_a_job_that_missed_days_sends_only_the_nearest_reminder(app, make_client):
    end = TODAY + timedelta(days=100)
    application = _approved_until(app, make_client, end)
    with app.app_context():
        assert services.send_expiry_reminders(end - timedelta(days=20)) == 1
        assert services.send_expiry_reminders(end - timedelta(days=3)) == 1
    assert [s.split(" expires in ")[1] for s in _reminders(app, application)] == ["20 days", "3 days"]


def test_the_daily_command_mails_the_team_before_expiry(app, make_client):
    application = _approved_until(app, make_client, TODAY + timedelta(days=7))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["send-reminders"])
    assert first.exit_code == 0 and "1 reminder(s) queued." in first.output and "0 approval(s) expired." in first.output
    assert len(_reminders(app, application)) == 1
    assert "0 reminder(s) queued." in runner.invoke(args=["send-reminders"]).output


def test_after_its_last_day_the_approval_expires_and_every_page_says_so(rendering_app, make_client, tmp_path):
    app = rendering_app
    end = TODAY + timedelta(days=400)
    application = _ready_for_decision(app, make_client)
    sent(decide(application.committee, application.id, "approved", valid_until=end.isoformat()))
    lapsed = end + timedelta(days=1)
    with app.app_context():
        assert services.expire_approvals(end) == 0  # the last day is still covered
        reference = db.session.get(Submission, application.id).reference
    assert state(app, application.id) == "approved"
    with app.app_context():
        assert services.expire_approvals(lapsed) == 1
        assert services.expire_approvals(lapsed + timedelta(days=1)) == 0
        assert services.send_expiry_reminders(lapsed) == 0
        uid = db.session.scalar(select(Document.uid).where(Document.submission_id == application.id))
    assert state(app, application.id) == "expired"
    [event] = audit_events(app, "approval.expired")
    assert event["actor_id"] is None and event["data"] == {
        "valid_until": end.isoformat(), "lapsed_on": lapsed.isoformat(), "from": "approved"}
    [mail] = [m for m in mails(app, application.owner.user.email) if m["subject"] == f"Approval expired: {reference}"]
    assert f"was valid until {_long(end)} and expired on {_long(lapsed)}" in mail["body"]

    owner = application.owner.client
    expired = f"Approval expired on {_long(lapsed)}. It was valid until {_long(end)}"
    for url in (f"/applications/{application.id}", f"/applications/{application.id}/check",
                f"/applications/{application.id}/feedback"):
        assert expired in page_text(owner.get(url)), url
    chair = application.committee.chair.client
    assert expired in page_text(chair.get(f"/review/applications/{application.id}"))
    history = page_text(chair.get(f"/review/applications/{application.id}/history"))
    assert f"Crucible marked the approval expired on {_long(lapsed)}: it was valid until {_long(end)}" in history
    queue = page_text(application.committee.coordinator.client.get("/review/queue?state=expired"))
    assert reference in queue and "Approval expired" in queue
    documents = page_text(owner.get(f"/applications/{application.id}/documents"))
    assert f"Approval lapsed on {_long(lapsed)}." in documents and f"Approved (approval lapsed on {_long(lapsed)})" \
        in documents
    # Anyone holding the PDF reads that the approval it gives has lapsed.
    verified = page_text(make_client().get(f"/verify?document={uid}"))
    assert f"Approval lapsed on {_long(lapsed)}. The approval this document gives was valid until {_long(end)}" \
        in verified
    assert f"Approval valid until {_long(end)} (lapsed on {_long(lapsed)})" in verified
    assert f"Approval valid until {_long(end)}" in assessment_text(app, owner, application.id, tmp_path)

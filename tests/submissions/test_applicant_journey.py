"""The applicant's journey through the real app and database: start, fill, check, submit."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from app.core.audit import AuditEvent
from app.core.mail import OutboxMessage
from app.extensions import db
from app.submissions.models import Answer, Round, Submission
from tests.helpers import (
    LOW_RISK_ANSWERS,
    create_application,
    fill_application,
    page_text,
    post_section,
)


def _answer(app, submission_id, qid):
    with app.app_context():
        row = db.session.scalar(select(Answer).where(Answer.submission_id == submission_id, Answer.question_id == qid))
        return None if row is None else (row.value, row.invalid_input, row.invalid_message)


def test_dashboard_requires_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_new_application_shows_task_list_with_every_section_not_started(app, login_as):
    client = login_as().client
    submission_id = create_application(client, "Perovskite screening")
    text = page_text(client.get(f"/applications/{submission_id}"))
    assert "Perovskite screening" in text
    assert "0 of 8 sections completed" in text
    for title in ("Project context", "Data provenance and FAIR data", "Dual use and security", "Environmental cost",
                  "People and society", "Open science", "Declaration"):
        assert title in text
    # Section A already has the title, so it is in progress; the others have not been started.
    assert text.count("Not started") == 7
    assert text.count("In progress") == 1


def test_new_application_needs_a_title(app, login_as):
    client = login_as().client
    response = client.post("/applications/new", data={"title": "  "})
    assert response.status_code == 200
    assert ("Enter the project&#39;s title" in response.get_data(as_text=True)
            or "Enter the project's title" in page_text(response))
    assert "There is a problem" in page_text(response)


def test_completed_section_and_progress(app, login_as):
    client = login_as().client
    submission_id = create_application(client)
    response = post_section(client, submission_id, "A", LOW_RISK_ANSWERS["A"])
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/applications/{submission_id}/sections/B")
    text = page_text(client.get(f"/applications/{submission_id}"))
    assert "1 of 8 sections completed" in text
    assert "Completed" in text


def test_save_as_draft_keeps_partial_answers_in_progress(app, login_as):
    client = login_as().client
    submission_id = create_application(client)
    response = post_section(client, submission_id, "B", {"B2": "yes"}, button="save")
    assert response.status_code == 302
    assert _answer(app, submission_id, "B2") == (True, None, None)
    text = page_text(client.get(f"/applications/{submission_id}"))
    assert "In progress" in text


def test_missing_required_answers_show_summary_and_field_messages(app, login_as):
    client = login_as().client
    submission_id = create_application(client)
    response = post_section(client, submission_id, "B", {"B2": "yes", "B4": "Queried on 1 October"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert 'href="#B1"' in html  # the summary links to the field
    assert 'id="B1-error"' in html
    assert "Answer “" in html and "Answer this question" not in html  # the message names its question
    # What was typed is still on the page, and was saved.
    assert "Queried on 1 October" in html
    assert _answer(app, submission_id, "B4")[0] == "Queried on 1 October"


def test_number_of_wrong_type_is_kept_and_explained(app, login_as):
    client = login_as().client
    submission_id = create_application(client)
    # Section D's numbers are fields of the compute stages (D1-<n>-<field>).
    response = post_section(client, submission_id, "D", {"D1-0-count": "four", "D1-0-hours": "12"}, button="save")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'value="four"' in html
    assert "Enter a number" in html
    value, invalid_input, message = _answer(app, submission_id, "D1")
    assert value is None and invalid_input[0]["count"] == "four" and "number" in message
    assert invalid_input[0]["hours"] == "12"
    # Reloading the page still shows the typed text and the message; the section needs attention.
    reloaded = client.get(f"/applications/{submission_id}/sections/D").get_data(as_text=True)
    assert 'value="four"' in reloaded and "Enter a number" in reloaded
    assert "Needs attention" in page_text(client.get(f"/applications/{submission_id}"))


def test_number_out_of_bounds(app, login_as):
    client = login_as().client
    submission_id = create_application(client)
    response = post_section(client, submission_id, "D", {"D1-0-hardware": "v100", "D1-0-usage": "7"}, button="save")
    assert response.status_code == 200
    assert "Enter a number more than 0 and at most 1" in page_text(response)
    assert _answer(app, submission_id, "D1")[1][0]["usage"] == "7"


def test_text_too_long_is_refused_but_kept(app, login_as):
    client = login_as().client
    submission_id = create_application(client)
    long_title = "x" * 501
    response = post_section(client, submission_id, "A", {"A1": long_title}, button="save")
    assert response.status_code == 200
    assert "or fewer" in page_text(response)
    assert long_title in response.get_data(as_text=True)
    assert _answer(app, submission_id, "A1")[1] == long_title


def test_unknown_option_is_refused(app, login_as):
    client = login_as().client
    submission_id = create_application(client)
    response = post_section(client, submission_id, "A", {"A2": "time_travel"}, button="save")
    assert response.status_code == 200
    assert "Select one of the options" in page_text(response)
    assert _answer(app, submission_id, "A2")[0] is None


def test_bad_date_is_explained(app, login_as):
    client = login_as().client
    submission_id = create_application(client)
    response = post_section(client, submission_id, "A", {"A6": "31/02/2026"}, button="save")
    assert response.status_code == 200
    assert "date" in page_text(response).lower()
    assert _answer(app, submission_id, "A6")[1] == "31/02/2026"


def test_forged_hidden_question_is_not_saved_and_user_is_told(app, login_as):
    client = login_as().client
    submission_id = create_application(client)
    # B10a is only asked when B10 is yes.
    response = post_section(client, submission_id, "B", {"B10": "no", "B10a": "Forged personal-data answer"},
                            button="save")
    assert response.status_code == 302
    followed = client.get(response.headers["Location"])
    assert "was not saved, because the question does not apply" in page_text(followed)
    assert _answer(app, submission_id, "B10a") is None


def test_conditional_question_becomes_required_when_shown(app, login_as):
    client = login_as().client
    submission_id = create_application(client)
    answers = dict(LOW_RISK_ANSWERS["B"], B10="yes")
    response = post_section(client, submission_id, "B", answers)
    assert response.status_code == 200
    assert 'id="B10a-error"' in response.get_data(as_text=True)
    answers["B10a"] = "Author names from papers; DPIA done."
    assert post_section(client, submission_id, "B", answers).status_code == 302


def test_section_page_hides_conditional_questions_until_they_apply(app, login_as):
    client = login_as().client
    submission_id = create_application(client)
    html = client.get(f"/applications/{submission_id}/sections/B").get_data(as_text=True)
    assert re.search(r'id="q-B10a"[^>]*data-show-if="[^"]*B10[^"]*"[^>]* hidden', html)
    post_section(client, submission_id, "B", {"B10": "yes"}, button="save")
    html = client.get(f"/applications/{submission_id}/sections/B").get_data(as_text=True)
    assert not re.search(r'id="q-B10a"[^>]* hidden', html)


def test_help_text_is_markdown_rendered_safely(app, login_as):
    client = login_as().client
    submission_id = create_application(client)
    html = client.get(f"/applications/{submission_id}/sections/C").get_data(as_text=True)
    assert "<p>" in html and "<script>alert" not in html


def test_user_text_is_escaped_everywhere(app, login_as):
    client = login_as().client
    submission_id = create_application(client)
    payload = '<script>alert("x")</script>{{ 7*7 }}'
    post_section(client, submission_id, "A", {"A1b": payload}, button="save")
    for url in (f"/applications/{submission_id}/sections/A", f"/applications/{submission_id}/check"):
        html = client.get(url).get_data(as_text=True)
        assert '<script>alert("x")</script>' not in html
        # The form shows what was typed, escaped; the check page renders A1b as Markdown, and nh3 drops the script.
        assert ("&lt;script&gt;" in html) if url.endswith("/A") else ('alert("x")' not in html)
        assert "{{ 7*7 }}" in html and ">49<" not in html


def test_check_answers_lists_visible_answers_with_change_links_and_risk_profile(app, login_as):
    client = login_as().client
    submission_id = create_application(client)
    fill_application(client, submission_id)
    response = client.get(f"/applications/{submission_id}/check")
    html = response.get_data(as_text=True)
    text = page_text(response)
    assert "Risk profile" in text and "Expedited review" in text
    assert "Materials Project" in text  # an option label, not its value
    assert f'/applications/{submission_id}/sections/B#q-B2' in html
    assert "B10a" not in text  # hidden question not listed
    assert "need attention" not in text


def test_submit_freezes_round_and_gives_reference(app, login_as):
    client = login_as().client
    submission_id = create_application(client)
    fill_application(client, submission_id)
    response = client.post(f"/applications/{submission_id}/submit")
    assert response.status_code == 302
    with app.app_context():
        submission = db.session.get(Submission, submission_id)
        assert submission.state == "submitted"
        assert re.fullmatch(r"ETH-\d{4}-0001", submission.reference)
        assert submission.route == "expedited"
        assert submission.round_number == 1
        round_ = db.session.scalar(select(Round).where(Round.submission_id == submission_id))
        assert round_.number == 1
        assert round_.questionnaire_version.key == "ml-materials-ethics"
        assert round_.questionnaire_version.version == 2
        assert round_.answers["B1"] == ["materials_project"]
        assert "B10a" not in round_.answers
        assert round_.risk_profile["overall"] == "Low"
        assert len(round_.sha256) == 64
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.submission_id == submission_id)).all()
        assert "submission.submitted" in actions
        subjects = db.session.scalars(select(OutboxMessage.subject)).all()
        assert any("submitted" in s for s in subjects)
    assert submission.reference in page_text(client.get("/"))


def test_references_count_up(app, login_as):
    client = login_as().client
    references = []
    for _ in range(2):
        submission_id = create_application(client)
        fill_application(client, submission_id)
        client.post(f"/applications/{submission_id}/submit")
        with app.app_context():
            references.append(db.session.get(Submission, submission_id).reference)
    assert [r[-4:] for r in references] == ["0001", "0002"]


def test_double_submit_creates_one_round(app, login_as):
    client = login_as().client
    submission_id = create_application(client)
    fill_application(client, submission_id)
    first = client.post(f"/applications/{submission_id}/submit")
    second = client.post(f"/applications/{submission_id}/submit")
    assert first.status_code == 302 and second.status_code == 302
    with app.app_context():
        rounds = select(func.count()).select_from(Round).where(Round.submission_id == submission_id)
        assert db.session.scalar(rounds) == 1
        assert db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "submission.submitted")
        ) == 1


def test_incomplete_application_cannot_be_submitted(app, login_as):
    client = login_as().client
    submission_id = create_application(client)
    post_section(client, submission_id, "A", LOW_RISK_ANSWERS["A"])
    response = client.post(f"/applications/{submission_id}/submit", follow_redirects=True)
    assert "answers need attention before you can submit" in page_text(response)
    with app.app_context():
        assert db.session.get(Submission, submission_id).state == "draft"


def test_declaration_must_be_confirmed(app, login_as):
    client = login_as().client
    submission_id = create_application(client)
    answers = {k: dict(v) for k, v in LOW_RISK_ANSWERS.items()}
    answers["G"]["G1"] = "no"
    for section_id, section_answers in answers.items():
        post_section(client, submission_id, section_id, section_answers)
    client.post(f"/applications/{submission_id}/submit")
    with app.app_context():
        assert db.session.get(Submission, submission_id).state == "draft"


def test_submitted_application_is_read_only(app, login_as):
    client = login_as().client
    submission_id = create_application(client)
    fill_application(client, submission_id)
    client.post(f"/applications/{submission_id}/submit")
    response = post_section(client, submission_id, "A", {"A1": "Changed after submission"}, base={}, button="save")
    assert response.status_code == 409
    assert "cannot be changed" in page_text(response)
    autosave = client.post(f"/applications/{submission_id}/sections/A/autosave", data={"A1": "x"},
                           headers={"Accept": "application/json"})
    assert autosave.status_code == 409
    # The section's script shows the reason beside the form, where what was typed stays.
    assert autosave.get_json()["status"] == "locked" and "cannot be changed" in autosave.get_json()["message"]
    resolve = client.post(f"/applications/{submission_id}/sections/A/resolve", data={"A1": "Mine"})
    assert resolve.status_code == 409 and "cannot be changed" in page_text(resolve)
    assert _answer(app, submission_id, "A1")[0] == LOW_RISK_ANSWERS["A"]["A1"]
    get = client.get(f"/applications/{submission_id}/sections/A")
    assert get.status_code == 302 and "/check" in get.headers["Location"]
    assert "Submitted answers" in page_text(client.get(f"/applications/{submission_id}/check"))


def test_high_dual_use_goes_to_full_committee_with_security_signoff(app, login_as):
    client = login_as().client
    submission_id = create_application(client)
    answers = {k: dict(v) for k, v in LOW_RISK_ANSWERS.items()}
    answers["C"].update({"C1": ["energetic"], "C6": "yes", "C6a": "Self-classified under ML8 with the export office.",
                         "C6b": "neither", "C6c": "no", "C6d": "no"})
    fill_application(client, submission_id, answers)
    assert "Full committee" in page_text(client.get(f"/applications/{submission_id}/check"))
    client.post(f"/applications/{submission_id}/submit")
    with app.app_context():
        submission = db.session.get(Submission, submission_id)
        assert submission.route == "full_committee"
        assert submission.overall_tier == "High"
        assert submission.security_signoff_required is True


def test_withdraw_by_owner(app, login_as):
    client = login_as().client
    submission_id = create_application(client)
    fill_application(client, submission_id)
    assert client.post(f"/applications/{submission_id}/submit").status_code == 302
    response = client.post(f"/applications/{submission_id}/withdraw", data={"reason": "Project cancelled"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Submission, submission_id).state == "withdrawn"
    again = client.post(f"/applications/{submission_id}/withdraw", data={"reason": ""})
    assert again.status_code == 409
    assert "This application is withdrawn, so it cannot be withdrawn now." in page_text(again)


def test_csrf_token_is_required(app, login_as):
    client = login_as().client
    submission_id = create_application(client)
    response = client.post(f"/applications/{submission_id}/sections/A", data={"A1": "No token", "save": "1"},
                           csrf=False)
    assert response.status_code == 400
    assert _answer(app, submission_id, "A1")[0] != "No token"
    assert client.post("/applications/new", data={"title": "No token"}, csrf=False).status_code == 400
    assert client.post(f"/applications/{submission_id}/submit", csrf=False).status_code == 400


def test_unknown_section_and_application_are_404(app, login_as):
    client = login_as().client
    submission_id = create_application(client)
    assert client.get(f"/applications/{submission_id}/sections/Z").status_code == 404
    assert client.get("/applications/999999").status_code == 404


def test_every_state_change_is_audited_and_chain_verifies(app, login_as):
    client = login_as().client
    submission_id = create_application(client)
    fill_application(client, submission_id)
    client.post(f"/applications/{submission_id}/submit")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "intact" in result.output
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.submission_id == submission_id)).all()
        assert actions[0] == "submission.created"
        assert actions.count("answers.saved") == 8
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "answers.saved").limit(1))
        event.data = {"section": "tampered"}
        db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "BROKEN" in result.output


def test_check_answers_draws_the_risk_profile_as_a_bar_chart_of_page_text(app, login_as):
    client = login_as().client
    submission_id = create_application(client)
    answers = {k: dict(v) for k, v in LOW_RISK_ANSWERS.items()}
    answers["C"].update({"C1": ["energetic"], "C6": "yes", "C6a": "Self-classified under ML8.", "C6b": "neither",
                         "C6c": "no", "C6d": "no"})
    fill_application(client, submission_id, answers)
    html = client.get(f"/applications/{submission_id}/check").get_data(as_text=True)
    chart = html[html.index('id="risk-chart"'):]
    chart = chart[:chart.index("</figure>")]
    # Labels and values are page text beside the bars, which are drawn for the eye alone.
    assert '<dt class="bar-chart-label">Dual use and security</dt>' in chart and "High (hard trigger)</dd>" in chart
    assert chart.count("<rect") == 5 and chart.count('aria-hidden="true"') == 5


def test_answers_needing_attention_are_listed_in_questionnaire_order(login_as):
    client = login_as().client
    submission_id = create_application(client)
    post_section(client, submission_id, "A", LOW_RISK_ANSWERS["A"])
    html = client.get(f"/applications/{submission_id}/check").get_data(as_text=True)
    problems = re.search(r'id="problems-title".*?</ul>', html, re.S).group(0)
    listed = re.findall(r'href="#answer-([A-Z]\d+\w*)"', problems)
    page_order = list(dict.fromkeys(re.findall(r'id="answer-([A-Z]\d+\w*)"', html)))
    assert len(listed) > 5
    assert listed == [qid for qid in page_order if qid in listed]


def _title_of(html: str, qid: str) -> str:
    """A question's label or legend as a reader hears it: hidden parts left out."""
    block = re.search(rf'<div class="question[^"]*" id="q-{qid}".*?<(?:label|legend)[^>]*>(.*?)</(?:label|legend)>',
                      html, re.S).group(1)
    return re.sub(r"<[^>]+>", "", re.sub(r"<span[^>]*\bhidden\b[^>]*>.*?</span>", "", block, flags=re.S)).strip()


def test_a_question_required_by_another_answer_is_not_labelled_optional(login_as):
    client = login_as().client
    submission_id = create_application(client)
    answers = dict(LOW_RISK_ANSWERS["A"], A4="no")
    post_section(client, submission_id, "A", answers)
    html = client.get(f"/applications/{submission_id}/sections/C").get_data(as_text=True)
    assert _title_of(html, "C10").endswith("(optional)")

    post_section(client, submission_id, "A", {"A4": "yes", "A4a": "A partner at a university abroad."})
    html = client.get(f"/applications/{submission_id}/sections/C").get_data(as_text=True)
    assert _title_of(html, "C10") == "C10. Have you done Trusted Research due diligence on your partners?"
    assert 'data-required-if="' in html  # so that the page's script follows the rule as answers change

    # Left blank, C10 and C11 get an error each that says which question is missing.
    response = post_section(client, submission_id, "C", {"C1": "energetic", "C10": "", "C11": ""})
    text = page_text(response)
    assert "Answer “Have you done Trusted Research due diligence on your partners?”" in text
    assert "Answer “What will you do to reduce the dual-use and security risks?”" in text
    assert "Answer this question" not in text


def test_progress_counts_a_follow_up_under_the_question_that_shows_it(login_as):
    client = login_as().client
    submission_id = create_application(client)

    def progress():
        html = client.get(f"/applications/{submission_id}/sections/A").get_data(as_text=True)
        return tuple(int(n) for n in re.search(
            r"<span data-progress-answered>(\d+)</span> of <span data-progress-total>(\d+)</span>", html).groups())

    answered, total = progress()
    post_section(client, submission_id, "A", {"A2": "other"}, button="save")
    # A2a has appeared and is blank: the total stays, and A2 is not answered until A2a is.
    assert progress() == (answered, total)
    post_section(client, submission_id, "A", {"A2": "other", "A2a": "Symbolic regression."}, button="save")
    assert progress() == (answered + 1, total)

"""The reviewer's page carries one comment form, opened where it is asked for, and a refused comment comes
back open in its place with what was typed and the reason next to the field."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.reviews.models import Comment
from tests.helpers import comment, in_review, page_text


def _forms(html: str) -> list[str]:
    """The comment forms a page shows (not the copies in <template>, which are inert until opened)."""
    visible = re.sub(r"<template.*?</template>", "", html, flags=re.S)
    return re.findall(r'<form method="post" action="[^"]*/comments" class="comment-form.*?</form>', visible, re.S)


def test_one_form_for_the_whole_application_and_a_link_per_question(app, make_client):
    submission_id, _owner, c = in_review(app, make_client)
    html = c.reviewer1.client.get(f"/review/applications/{submission_id}").get_data(as_text=True)
    forms = _forms(html)
    assert len(forms) == 1 and 'name="question_id" value=""' in forms[0]
    assert 'href="?comment=B4#c-B4"' in html and ">Comment on B4</a>" in html
    # What comments.js copies into place, one of each.
    assert html.count('<template id="comment-form-template">') == 1
    assert html.count('<template id="reply-form-template">') == 1
    assert '/static/js/comments.js' in html


def test_the_link_without_javascript_opens_that_questions_form(app, make_client):
    submission_id, _owner, c = in_review(app, make_client)
    html = c.reviewer1.client.get(f"/review/applications/{submission_id}?comment=B4").get_data(as_text=True)
    forms = _forms(html)
    assert len(forms) == 2
    opened = next(form for form in forms if 'value="B4"' in form)
    assert '<label class="form-label small fw-semibold" for="c-B4">Comment on B4</label>' in opened
    question_block = html.split('id="q-B4"', 1)[1].split('class="question py-2"', 1)[0]
    assert 'id="c-B4"' in question_block and 'href="?comment=B4' not in question_block
    # A question the page does not show opens nothing more.
    assert len(_forms(c.reviewer1.client.get(
        f"/review/applications/{submission_id}?comment=Z99").get_data(as_text=True))) == 1


def test_reply_link_opens_a_reply_under_its_thread(app, make_client):
    submission_id, _owner, c = in_review(app, make_client)
    root_id = comment(app, c.reviewer1, submission_id, "B4", "Which release?", visibility="applicant")
    page = c.reviewer2.client.get(f"/review/applications/{submission_id}").get_data(as_text=True)
    assert f'href="?reply={root_id}#c-B4-r{root_id}"' in page
    opened = c.reviewer2.client.get(f"/review/applications/{submission_id}?reply={root_id}").get_data(as_text=True)
    reply = next(form for form in _forms(opened) if f'name="parent_id" value="{root_id}"' in form)
    assert f'id="c-B4-r{root_id}"' in reply and 'name="visibility" value="applicant"' in reply
    answered = c.reviewer2.client.post(f"/review/applications/{submission_id}/comments",
                                       data={"body": "The 2024.1 release.", "question_id": "B4",
                                             "parent_id": str(root_id), "visibility": "applicant"})
    assert answered.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Comment.parent_id).where(Comment.body == "The 2024.1 release.")) == root_id


def test_a_refused_comment_comes_back_open_with_its_text_and_the_reason_by_the_field(app, make_client):
    submission_id, _owner, c = in_review(app, make_client)
    too_long = "Provenance <b>note</b> " + "x" * 10_000
    refused = c.reviewer1.client.post(f"/review/applications/{submission_id}/comments",
                                      data={"body": too_long, "question_id": "B4", "visibility": "committee"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    opened = next(form for form in _forms(html) if 'name="question_id" value="B4"' in form)
    assert "Provenance &lt;b&gt;note&lt;/b&gt; xxx" in opened  # what was typed, escaped, not lost
    assert 'id="c-B4-error"' in opened and "10000 characters or fewer" in opened
    assert 'aria-describedby="c-B4-error c-B4-hint"' in opened and 'aria-invalid="true"' in opened
    assert 'value="committee" checked' in opened
    # The error summary at the top links to the field.
    assert '<a href="#c-B4">Enter 10000 characters or fewer</a>' in html
    with app.app_context():
        assert db.session.scalar(select(Comment.id)) is None


def test_a_comment_refused_on_a_question_not_on_the_page_keeps_its_text_in_the_general_form(app, make_client):
    submission_id, _owner, c = in_review(app, make_client)
    refused = c.reviewer1.client.post(f"/review/applications/{submission_id}/comments",
                                      data={"body": "About nothing", "question_id": "Z99", "visibility": "committee"})
    assert refused.status_code == 422 and "does not exist" in page_text(refused)
    general = next(form for form in _forms(refused.get_data(as_text=True)) if 'value=""' in form)
    assert ">About nothing</textarea>" in general and 'id="c-general-error"' in general


def test_mark_resolved_posts_the_pages_one_resolve_form_to_its_threads_address(app, make_client):
    submission_id, _owner, c = in_review(app, make_client)
    root_id = comment(app, c.reviewer1, submission_id, "B4", "Which release?")
    html = c.reviewer2.client.get(f"/review/applications/{submission_id}").get_data(as_text=True)
    button = re.search(r'<button[^>]*form="resolve-form"[^>]*formaction="([^"]+)"[^>]*>Mark resolved</button>', html)
    assert button and button.group(1) == f"/review/comments/{root_id}/resolve"
    resolve_form = re.search(r'<form id="resolve-form" method="post" hidden>(.*?)</form>', html, re.S)
    token = re.search(r'name="csrf_token" value="([^"]+)"', resolve_form.group(1)).group(1)
    # As a browser sends it: the button's formaction, the form's fields, the page's token (no test-client token).
    assert c.reviewer2.client.post(button.group(1), data={"csrf_token": token}, csrf=False).status_code == 302
    thread = _thread_markup(c.reviewer2.client.get(f"/review/applications/{submission_id}"), root_id)
    assert "Resolved" in thread and "Mark resolved" not in thread
    # The button is the only way in: without the page's token the same post is refused.
    assert c.reviewer1.client.post(button.group(1), csrf=False).status_code == 400


def test_a_thread_shows_at_once_what_changes_in_it(app, make_client):
    submission_id, owner, c = in_review(app, make_client)
    root_id = comment(app, c.reviewer1, submission_id, "B4", "Which release?", visibility="applicant")
    page = f"/review/applications/{submission_id}"
    before = _thread_markup(c.reviewer2.client.get(page), root_id)
    assert c.reviewer1.user.name in before and "Which release?" in before
    with app.app_context():
        from app.auth.models import User
        db.session.get(User, c.reviewer1.user.id).name = "Dr Renamed Reviewer"
        db.session.commit()
    renamed = _thread_markup(c.reviewer2.client.get(page), root_id)
    assert "Dr Renamed Reviewer" in renamed and c.reviewer1.user.name not in renamed
    answered = c.reviewer2.client.post(f"{page}/comments", data={
        "body": "The 2024.1 release, I think.", "question_id": "B4", "parent_id": str(root_id),
        "visibility": "applicant"})
    assert answered.status_code == 302
    assert "The 2024.1 release, I think." in _thread_markup(c.reviewer1.client.get(page), root_id)


def _thread_markup(response, root_id: int) -> str:
    """The thread's article and the controls under it, up to the next question."""
    html = response.get_data(as_text=True)
    return html.split(f'id="comment-{root_id}"', 1)[1].split('class="question py-2"', 1)[0]

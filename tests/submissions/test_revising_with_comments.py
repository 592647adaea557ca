"""Revising is guided (issue 16 item 1): while changes are requested, the task list counts each section's open
comments, the feedback page links each commented question to where it is answered, and the section page draws
each released thread under its question, in a constant number of statements; through the test client on both
databases."""
from __future__ import annotations

import re

from app.core.models import utcnow
from app.extensions import db
from app.reviews.models import Comment
from tests.helpers import comment, decide, in_review, page_text, recommend
from tests.test_query_counts import count_statements

LICENCE = "Say which licence the Materials Project extract is under."
SUMMARY = "Name the partner institutions in the summary."
COMMITTEE_ONLY = "Committee only: compare with last year's application."


def _changes_requested(app, make_client):
    """An application sent back with two released comments (B4, A1b) and one kept in the committee (B3)."""
    submission_id, owner, c = in_review(app, make_client)
    ids = {"B4": comment(app, c.reviewer1, submission_id, "B4", LICENCE, visibility="applicant"),
           "A1b": comment(app, c.reviewer2, submission_id, "A1b", SUMMARY, visibility="applicant")}
    comment(app, c.reviewer1, submission_id, "B3", COMMITTEE_ONLY)
    for reviewer in (c.reviewer1, c.reviewer2):
        assert recommend(app, submission_id, reviewer, "changes_requested", "Revise.").status_code == 302
    assert decide(c, submission_id, "changes_requested").status_code == 302
    return submission_id, owner, c, ids


def _task_row(html: str, section_id: str) -> str:
    start = html.index(f'id="status-{section_id}"')
    return html[html.rindex("<li", 0, start): html.index("</li>", start)]


def _question_block(html: str, qid: str) -> str:
    start = html.index(f'id="q-{qid}"')
    end = html.find('<div class="question mb-4"', start + 1)
    return html[start: end if end != -1 else html.index("</form>", start)]


def test_the_task_list_counts_each_sections_open_comments(app, make_client):
    submission_id, owner, c, ids = _changes_requested(app, make_client)
    html = owner.client.get(f"/applications/{submission_id}").get_data(as_text=True)
    for section_id in ("A", "B"):
        row = _task_row(html, section_id)
        assert "1 comment to address" in row
        # Read with the section's link, not only seen beside it.
        assert f'aria-describedby="status-{section_id} comments-{section_id}"' in row
    for section_id in ("C", "D", "E", "F", "G"):
        assert "to address" not in _task_row(html, section_id)

    response = c.reviewer1.client.post(f"/review/comments/{ids['B4']}/resolve")
    assert response.status_code == 302
    html = owner.client.get(f"/applications/{submission_id}").get_data(as_text=True)
    assert "to address" not in _task_row(html, "B") and "1 comment to address" in _task_row(html, "A")


def test_a_draft_and_an_application_in_review_show_no_comments_to_address(app, make_client):
    submission_id, owner, c = in_review(app, make_client)
    comment(app, c.reviewer1, submission_id, "B4", LICENCE, visibility="applicant")
    assert "to address" not in page_text(owner.client.get(f"/applications/{submission_id}"))


def test_the_feedback_page_links_each_commented_question_to_its_place_in_its_section(app, make_client):
    submission_id, owner, _, _ = _changes_requested(app, make_client)
    html = owner.client.get(f"/applications/{submission_id}/feedback").get_data(as_text=True)
    b4 = f'href="/applications/{submission_id}/sections/B#q-B4"'
    a1b = f'href="/applications/{submission_id}/sections/A#q-A1b"'
    assert b4 in html and a1b in html
    # The link sits with the question's comments, before the next question's heading.
    assert html.index(b4) < html.index(LICENCE) and html.index(a1b) < html.index(SUMMARY)
    # The anchors are there on the section pages.
    assert 'id="q-B4"' in owner.client.get(f"/applications/{submission_id}/sections/B").get_data(as_text=True)


def test_the_section_page_shows_each_released_thread_under_its_question(app, make_client):
    submission_id, owner, c, ids = _changes_requested(app, make_client)
    reply = owner.client.post(f"/applications/{submission_id}/feedback/reply",
                              data={"parent_id": ids["B4"], "body": "It is CC BY 4.0."})
    assert reply.status_code == 302
    html = owner.client.get(f"/applications/{submission_id}/sections/B").get_data(as_text=True)
    block = _question_block(html, "B4")
    assert LICENCE in block and "It is CC BY 4.0." in block
    # The reviewer is known as the feedback page knows them: by number, without their name.
    assert "Reviewer 1" in block and c.reviewer1.user.name not in block
    assert f'href="/applications/{submission_id}/feedback#comment-{ids["B4"]}"' in block
    # The field comes first, the thread under it.
    assert block.index('name="B4"') < block.index(LICENCE)
    assert COMMITTEE_ONLY not in html and SUMMARY not in html
    assert SUMMARY in _question_block(
        owner.client.get(f"/applications/{submission_id}/sections/A").get_data(as_text=True), "A1b")


def _add_released_comments(app, submission_id: int, author_id: int, count: int) -> None:
    with app.app_context():
        for number in range(count):
            root = Comment(submission_id=submission_id, round_number=1, question_id=f"B{number % 10 + 1}",
                           author_id=author_id, body=f"Comment {number}", visibility="applicant",
                           released_at=utcnow())
            db.session.add(root)
            db.session.flush()
            db.session.add(Comment(submission_id=submission_id, round_number=1, question_id=root.question_id,
                                   parent_id=root.id, author_id=author_id, body=f"Reply {number}",
                                   visibility="applicant", released_at=utcnow()))
        db.session.commit()


def test_the_section_page_reads_its_comments_in_one_statement_however_many(app, make_client):
    submission_id, owner, c, _ = _changes_requested(app, make_client)
    url = f"/applications/{submission_id}/sections/B"
    owner.client.get(url)  # warm: first-request work is not the page's

    with count_statements(app) as few:
        assert owner.client.get(url).status_code == 200
    _add_released_comments(app, submission_id, c.reviewer1.user.id, 40)
    with count_statements(app) as many:
        html = owner.client.get(url).get_data(as_text=True)
    assert "Comment 39" in html and "Reply 39" in html
    assert len(many) == len(few), [s for s in many if s not in few]
    assert len([s for s in many if re.search(r"\bFROM comment\b", s)]) == 1

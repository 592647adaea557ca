"""Answers drawn the same way on every page that shows them (issue 16 items 2 and 11): Markdown answers as the
PDF draws them (lists, emphasis), sanitised; through the test client on both databases."""
from __future__ import annotations

import re

from tests.helpers import LOW_RISK_ANSWERS, comment, decide, in_review, post_section, recommend

# What an applicant types into a Markdown answer: a list, emphasis, and what must never reach a page.
MARKDOWN_SUMMARY = ("We work with two partners:\n\n- Tsinghua University, China\n- Fraunhofer ISE, Germany\n\n"
                    "**Both** are named in the grant. <script>alert('lay')</script>"
                    "[more](javascript:alert('link')) <img src=x onerror=alert('img')>")
REVISED_SUMMARY = "We now work with one partner:\n\n1. Fraunhofer ISE, Germany\n"


def _answers(summary: str) -> dict:
    answers = {k: dict(v) for k, v in LOW_RISK_ANSWERS.items()}
    answers["A"]["A1b"] = summary
    return answers


def _answer_block(html: str, qid: str) -> str:
    """The page from the question's heading (or term) to the next question's, the section's end or a form."""
    start = re.search(rf">{qid}\. ", html)
    assert start, qid
    rest = html[start.end():]
    end = re.search(r'>[A-G]\d+[a-z]?\. |</section>|<form|<footer|comment-form', rest)
    return html[start.start(): start.end() + (end.start() if end else len(rest))]


def _assert_rendered_safely(block: str) -> None:
    assert "<li>Tsinghua University, China</li>" in block and "<li>Fraunhofer ISE, Germany</li>" in block
    assert "<strong>Both</strong>" in block
    # nh3 drops the script with its text and the javascript: link's target; the image stays text, never a tag.
    assert "alert('lay')" not in block and "<script" not in block and "javascript:" not in block
    assert "<img" not in block
    # Not shown as one run-on line of Markdown source.
    assert "- Tsinghua" not in block


def test_markdown_answers_are_rendered_on_the_check_reviewer_feedback_and_diff_pages(app, make_client):
    submission_id, owner, c = in_review(app, make_client, _answers(MARKDOWN_SUMMARY))

    check = owner.client.get(f"/applications/{submission_id}/check")
    assert check.status_code == 200
    _assert_rendered_safely(_answer_block(check.get_data(as_text=True), "A1b"))

    review = c.reviewer1.client.get(f"/review/applications/{submission_id}")
    assert review.status_code == 200
    _assert_rendered_safely(_answer_block(review.get_data(as_text=True), "A1b"))

    comment(app, c.reviewer1, submission_id, "A1b", "Say what each partner does.", visibility="applicant")
    for reviewer in (c.reviewer1, c.reviewer2):
        recommend(app, submission_id, reviewer, "changes_requested", "Partners.")
    assert decide(c, submission_id, "changes_requested").status_code == 302
    feedback = owner.client.get(f"/applications/{submission_id}/feedback").get_data(as_text=True)
    block = _answer_block(feedback, "A1b")
    assert "Your answer in round 1" in block and "Say what each partner does." in block
    _assert_rendered_safely(block)

    revised = _answers(REVISED_SUMMARY)["A"]
    assert post_section(owner.client, submission_id, "A", revised, button="save").status_code == 302
    # The draft's check page shows the answer being revised the same way.
    draft_check = _answer_block(owner.client.get(f"/applications/{submission_id}/check").get_data(as_text=True),
                                "A1b")
    assert "<ol>" in draft_check and "<li>Fraunhofer ISE, Germany</li>" in draft_check
    assert owner.client.post(f"/applications/{submission_id}/submit").status_code == 302
    diff = c.reviewer1.client.get(f"/review/applications/{submission_id}/diff").get_data(as_text=True)
    block = _answer_block(diff, "A1b")
    old, new = block.split("<del", 1)[1].split("</del>")[0], block.split("<ins", 1)[1].split("</ins>")[0]
    _assert_rendered_safely(old)
    assert "<ol>" in new and "<li>Fraunhofer ISE, Germany</li>" in new
    # Answers that are not Markdown stay plain text: a title typed with Markdown characters is not rendered.
    assert "Graph networks for perovskite band gaps" in _answer_block(diff, "A1")

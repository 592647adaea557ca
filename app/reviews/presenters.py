"""Markup of the committee's pages that is the same on every view, drawn once and remembered
(app/core/fragments.py).

- Each question's heading and answer as submitted in a round, and the round's risk profile: a round's answers
  are frozen when it is submitted (Round.sha256 is their checksum) and a questionnaire version never changes,
  so they are the same on every view of the round, by every member of the committee who may see it.
- Each comment thread, keyed by everything its macro shows (`_shown`), so a thread is drawn again as soon as
  any of it changes (resolved, a reply, an author's new name), and the "Reply" and "Mark resolved" controls
  under it.
- Each row of the coordinator's queue, keyed by the row's columns and the day (it shows how long it has waited).

Drawn anew on each view, these were over half of the reviewer's page's rendering and of the queue's. The
markup stays in the templates (reviews/_answer.html, _thread.html, _comment_form.html, _queue_row.html);
this module only remembers what they drew.
"""
from __future__ import annotations

from datetime import date
from typing import Any, NamedTuple

from flask import request
from markupsafe import Markup

from app.core.fragments import Remembered, macro, once_per_question
from app.questionnaires.schema import Questionnaire
from app.reviews.services import _display, round_contents
from app.submissions.models import Round

# Rounds in review at once, with room to spare (about 15 KB each); threads on those rounds (about 1 KB each).
_rounds: Remembered[DrawnRound] = Remembered(256)
_threads: Remembered[Markup] = Remembered(8192)
_actions: Remembered[Markup] = Remembered(8192)
# Queue rows: a coordinator pages through a few hundred open applications, again and again.
_queue_rows: Remembered[Markup] = Remembered(4096)


class DrawnRound(NamedTuple):
    answers: dict[str, Markup]  # question id -> its heading and answer, for the questions the round answered
    risk_profile: Markup


def drawn_round(questionnaire: Questionnaire, round_: Round) -> DrawnRound:
    """The round's answers and risk profile as submitted (reviews/_answer.html)."""
    def draw():
        # Deferred by services.round_of: read, in one query, only when the round is first drawn.
        answers, profile = round_contents(round_)
        answer = macro("reviews/_answer.html", "answer")
        return DrawnRound(
            {q.id: answer(q, _display(q, answers[q.id])) for q in questionnaire.questions if q.id in answers},
            risk_profile_list(profile),
        )

    key = (round_.id, round_.sha256, questionnaire.key, questionnaire.version, questionnaire.sha256)
    return _rounds.get(key, draw)


def risk_profile_list(profile: dict | None) -> Markup:
    return macro("reviews/_answer.html", "risk_profile")(profile)


@once_per_question
def comment_opener(question) -> Markup:
    """The question's "Comment on" link (static/js/comments.js opens the form in its place)."""
    return macro("reviews/_answer.html", "comment_opener")(question)


def _shown(comment) -> tuple:
    """Everything reviews/_thread.html shows of a comment (a row of services.comments_of)."""
    return (comment.id, comment.body, comment.author_name, comment.created_at, comment.round_number,
            comment.visibility, comment.resolved_at is not None)


def comment_thread(thread, committee: bool) -> Markup:
    """A comment and its replies (reviews/_thread.html); committee: with who each comment is for."""
    key = (committee, _shown(thread.root), *map(_shown, thread.replies))
    return _threads.get(key, lambda: macro("reviews/_thread.html", "comment_thread")(thread, committee))


def thread_actions(question_id: str, thread_id: int, resolved: bool) -> Markup:
    """The "Reply" link and "Mark resolved" button under a thread (reviews/_comment_form.html)."""
    key = (request.script_root, question_id, thread_id, resolved)
    return _actions.get(key, lambda: macro("reviews/_comment_form.html", "thread_actions")(*key[1:]))


def queue_row(row: Any, today: date) -> Markup:
    """One application in the coordinator's queue (reviews/_queue_row.html); row: services.QUEUE_COLUMNS."""
    key = (request.script_root, tuple(row), today)
    return _queue_rows.get(key, lambda: macro("reviews/_queue_row.html", "queue_row")(row, today))

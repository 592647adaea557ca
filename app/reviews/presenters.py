"""Plain values for the committee's pages; their templates and macros draw them on every view
(reviews/_answer.html, _thread.html, _comment_form.html, _queue_row.html)."""
from __future__ import annotations

from typing import Any

from app.questionnaires.answers import answer_view
from app.questionnaires.schema import Questionnaire
from app.submissions.models import Round


def round_answers(questionnaire: Questionnaire,
                  round_: Round) -> tuple[dict[str, dict[str, Any]], dict[str, Any] | None]:
    """Each answered question's answer as submitted in the round, as answers.answer_view shows it (question id ->
    view; a footprint with the figures the round stored), and the round's risk profile."""
    answers, statement = round_.answers, round_.footprint or {}
    shown = {q.id: answer_view(q, answers[q.id], footprint_statement=statement)
             for q in questionnaire.questions if q.id in answers}
    return shown, round_.risk_profile

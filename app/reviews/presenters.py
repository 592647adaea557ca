"""Plain values for the committee's pages; their templates and macros draw them on every view
(reviews/_answer.html, _thread.html, _comment_form.html, _queue_row.html)."""
from __future__ import annotations

from typing import Any

from app.questionnaires.schema import Questionnaire
from app.reviews.services import _display
from app.submissions.models import Round


def round_answers(questionnaire: Questionnaire, round_: Round) -> tuple[dict[str, str], dict[str, Any] | None]:
    """Each answered question's answer as submitted in the round, as text (question id -> text), and the
    round's risk profile."""
    answers = round_.answers
    shown = {q.id: _display(q, answers[q.id]) for q in questionnaire.questions if q.id in answers}
    return shown, round_.risk_profile

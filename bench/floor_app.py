"""The real application plus the benchmark's floor routes, for gunicorn: `gunicorn bench.floor_app:app`.

Each floor route is the least work that could produce the rows of one real page: the one SQL query its data
needs and a plain template rendering the same rows (no session, no forms, no layout, no permission checks).
`/_floor/trivial` is the ceiling: no database at all. `/_floor/save_audited` is the save floor plus the audit
event that every change in the application must write, a reference for the save. These routes exist only in this
module, never in the application itself.
"""
from __future__ import annotations

import sys
from pathlib import Path

from flask import jsonify, render_template_string, request
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.extensions import csrf, db  # noqa: E402 - importable after the sys.path entry above
from wsgi import app  # noqa: E402 - importable after the sys.path entry above

ROWS = """<!doctype html><title>floor</title><table>
{% for row in rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>
{% endfor %}</table>"""

_section_questions: dict[str, list[str]] = {}


def _questions(section_id: str) -> list[str]:
    if not _section_questions:
        from app.questionnaires.loader import get_questionnaire, latest_version
        from app.submissions.services import QUESTIONNAIRE_KEY

        questionnaire = get_questionnaire(QUESTIONNAIRE_KEY, latest_version(QUESTIONNAIRE_KEY))
        for section in questionnaire.sections:
            _section_questions[section.id] = [q.id for q in section.questions]
    return _section_questions[section_id]


def trivial():
    return "ok"


def section(submission_id: int, section_id: str):
    rows = db.session.execute(
        text("SELECT question_id, value, version FROM answer WHERE submission_id = :s AND question_id = ANY(:q)"),
        {"s": submission_id, "q": _questions(section_id)},
    ).all()
    return render_template_string(ROWS, rows=rows)


def _write_posted_answer(submission_id: int) -> str:
    """The one UPDATE a save needs: the first posted field's value into its answer. Returns the question id."""
    (question_id, value), = [(k, v) for k, v in request.form.items() if k != "csrf_token"][:1]
    db.session.execute(
        text("UPDATE answer SET value = CAST(:v AS json), version = version + 1, updated_at = now() "
             "WHERE submission_id = :s AND question_id = :q"),
        {"v": '"' + value.replace('\\', '\\\\').replace('"', '\\"') + '"', "s": submission_id, "q": question_id},
    )
    return question_id


def save(submission_id: int, section_id: str):
    question_id = _write_posted_answer(submission_id)
    db.session.commit()
    return jsonify(status="saved", saved=[question_id])


def queue():
    rows = db.session.execute(text(
        "SELECT id, reference, title, state, overall_tier, route, submitted_at, due_on FROM submission "
        "WHERE state IN ('submitted', 'in_review', 'changes_requested', 'approved_with_conditions') "
        "ORDER BY submitted_at ASC NULLS LAST, id LIMIT 25")).all()
    return render_template_string(ROWS, rows=rows)


def review(submission_id: int):
    rows = db.session.execute(text(
        "SELECT r.answers, c.question_id, c.body, u.name FROM round r "
        "JOIN submission s ON s.id = r.submission_id AND r.number = s.round_number "
        "LEFT JOIN comment c ON c.submission_id = s.id LEFT JOIN \"user\" u ON u.id = c.author_id "
        "WHERE s.id = :s ORDER BY c.id"), {"s": submission_id}).all()
    answers = rows[0][0] if rows else {}
    return render_template_string(ROWS, rows=[*answers.items(), *[r[1:] for r in rows]])


def reports():
    from app.reports.models import FootprintTally

    # The figures the page shows, kept summed by the database: its one unavoidable query.
    return render_template_string(ROWS, rows=db.session.execute(db.select(FootprintTally.__table__)).all())


for rule, view, methods in (
    ("/_floor/trivial", trivial, ["GET"]),
    ("/_floor/section/<int:submission_id>/<section_id>", section, ["GET"]),
    ("/_floor/save/<int:submission_id>/<section_id>", save, ["POST"]),
    ("/_floor/queue", queue, ["GET"]),
    ("/_floor/review/<int:submission_id>", review, ["GET"]),
    ("/_floor/reports", reports, ["GET"]),
):
    app.add_url_rule(rule, f"floor_{view.__name__}", csrf.exempt(view), methods=methods)


def save_audited(submission_id: int, section_id: str):
    """The save floor plus the one thing every change must also write: its event in the audit chain."""
    from app.core import audit

    question_id = _write_posted_answer(submission_id)
    audit.record("answers.saved", actor=None, object_type="submission", object_id=submission_id,
                 submission_id=submission_id, data={"section": section_id, "questions": [question_id]})
    db.session.commit()
    return jsonify(status="saved", saved=[question_id])


app.add_url_rule("/_floor/save_audited/<int:submission_id>/<section_id>", "floor_save_audited",
                 csrf.exempt(save_audited), methods=["POST"])


# Every response says how many SQL statements it ran (X-SQL-Statements), so that the benchmark can print the
# statements per page at each size. Only this module counts; the application never does.
_statements = {"count": 0}


@event.listens_for(Engine, "before_cursor_execute")
def _count_statement(*_args) -> None:
    _statements["count"] += 1


@app.before_request
def _reset_statements() -> None:
    _statements["count"] = 0


@app.after_request
def _report_statements(response):
    response.headers["X-SQL-Statements"] = str(_statements["count"])
    return response

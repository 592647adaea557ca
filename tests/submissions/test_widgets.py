"""Radio buttons and checkboxes drawn by app/submissions/widgets.py: labelled, described, escaped, and
checked, disabled or marked invalid by the state of the answer, view after view."""
from __future__ import annotations

import re

from app.questionnaires.schema import Question
from app.submissions.widgets import choice_inputs, show_if_json, shows_options


def _question(**fields) -> Question:
    return Question.model_validate({"id": "B3", "label": "Licence", **fields})


MULTI = _question(type="multi", options=[
    {"value": "mp", "label": "Materials Project"},
    {"value": "icsd", "label": "ICSD <licensed>", "hint": "Needs a \"site\" licence & a contract"},
    {"value": "own", "label": "Our own data"},
])


def _inputs(html: str) -> list[str]:
    return re.findall(r"<input [^>]*>", html)


def test_each_option_is_an_input_with_its_label_and_hint():
    html = str(choice_inputs(MULTI, [], invalid=False, visible=True))
    inputs = _inputs(html)
    assert len(inputs) == 3 and all('type="checkbox" name="B3"' in tag for tag in inputs)
    ids = [re.search(r' id="([^"]+)"', tag).group(1) for tag in inputs]
    assert ids == ["B3", "B3-2", "B3-3"]
    for input_id in ids:
        assert html.count(f'<label class="form-check-label" for="{input_id}">') == 1
    assert 'aria-describedby="B3-2-hint"' in inputs[1] and "aria-describedby" not in inputs[0] + inputs[2]
    assert '<div id="B3-2-hint" class="form-text mt-0">Needs a &#34;site&#34; licence &amp; a contract</div>' in html
    assert "ICSD &lt;licensed&gt;" in html and "<licensed>" not in html


def test_the_answer_checks_its_options_and_the_state_marks_every_input():
    plain = choice_inputs(MULTI, ["icsd", "own"], invalid=False, visible=True)
    assert [" checked" in tag for tag in _inputs(plain)] == [False, True, True]
    assert not any(" disabled" in tag or "is-invalid" in tag for tag in _inputs(plain))
    hidden_and_wrong = choice_inputs(MULTI, ["mp"], invalid=True, visible=False)
    tags = _inputs(hidden_and_wrong)
    assert all(' disabled' in tag and 'class="form-check-input is-invalid"' in tag for tag in tags)
    assert [" checked" in tag for tag in tags] == [True, False, False]
    # The same question drawn again with another answer: nothing of the first view sticks.
    again = choice_inputs(MULTI, [], invalid=False, visible=True)
    assert again == choice_inputs(MULTI, [], invalid=False, visible=True)
    assert " checked" not in again and "is-invalid" not in again


def test_yes_no_is_a_pair_of_inline_radio_buttons():
    question = _question(id="C6", type="yes_no")
    html = str(choice_inputs(question, ["no"], invalid=False, visible=True))
    assert html.count('<div class="form-check form-check-inline">') == 2
    assert re.findall(r'type="radio" name="C6" id="([^"]+)" value="(\w+)"( checked)?', html) == [
        ("C6", "yes", ""), ("C6-2", "no", " checked")]


def test_show_if_is_the_condition_as_json_or_nothing():
    shown_when = _question(id="B3a", type="text", show_if={"question": "B3", "equals": "icsd"})
    assert show_if_json(shown_when) == '{"question": "B3", "equals": "icsd"}'
    assert show_if_json(_question(type="text")) == ""


def test_which_questions_are_drawn_as_options():
    assert shows_options(MULTI) and shows_options(_question(id="C6", type="yes_no"))
    assert not shows_options(_question(type="text"))


def test_each_question_drawn_once_per_state_equals_the_template_drawn_with_its_values(app):
    """question_markup fills the remembered markup in; the macro drawn afresh with the same values must agree,
    for every question of the questionnaire, shown or hidden, with or without an error, and text that needs
    escaping (a slot the macro tested for content would differ here)."""
    from types import SimpleNamespace

    from flask import render_template_string

    from app.questionnaires.loader import get_questionnaire, latest_version
    from app.submissions.services import QUESTIONNAIRE_KEY
    from app.submissions.widgets import question_frame, question_markup

    with app.test_request_context():
        questionnaire = get_questionnaire(QUESTIONNAIRE_KEY, latest_version(QUESTIONNAIRE_KEY))
        checked = 0
        for question in questionnaire.questions:
            if question.type == "footprint_stages":
                continue
            for visible in (True, False):
                for error in (None, 'Enter a number <like "3">'):
                    for text in ("", '<b>A & "B"</b>', "0"):
                        options = (choice_inputs(question, [text], bool(error), visible)
                                   if shows_options(question) else "")
                        item = SimpleNamespace(**question_frame(question, visible, error is not None), base="7:ab&c",
                                               text=text, error=error, choice_inputs=options)
                        direct = render_template_string(
                            '{% from "submissions/_question.html" import question %}{{ question(q, item) }}',
                            q=question, item=item)
                        assert str(question_markup(question, visible, error=error, base="7:ab&c", text=text,
                                                   choice_inputs=options)) == direct
                        checked += 1
        assert checked > 200

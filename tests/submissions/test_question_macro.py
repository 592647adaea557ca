"""The section page's questions as the question macro (submissions/_question.html) draws them: labelled,
described, escaped, and checked, disabled or marked invalid by the state of the answer, view after view."""
from __future__ import annotations

import re
from types import SimpleNamespace

from flask import render_template_string

from app.questionnaires.schema import Question
from app.submissions.presenters import required_if_json, show_if_json


def _question(**fields) -> Question:
    return Question.model_validate({"id": "B3", "label": "Licence", **fields})


MULTI = _question(type="multi", options=[
    {"value": "mp", "label": "Materials Project"},
    {"value": "icsd", "label": "ICSD <licensed>", "hint": "Needs a \"site\" licence & a contract"},
    {"value": "own", "label": "Our own data"},
])


def _draw(app, question: Question, values=(), *, error: str | None = None, visible: bool = True,
          text: str = "", base: str = "", **table: object) -> str:
    """The macro drawn for one question, with an item shaped as app/submissions/presenters.section_context's
    (`table`: a records question's rows, as records_presenter.records_item gives them)."""
    item = SimpleNamespace(q=question, visible=visible, values=list(values), error=error, text=text, base=base,
                           show_if=show_if_json(question), required=question.required,
                           required_if=required_if_json(question), progress_root=question.id, **table)
    with app.test_request_context():
        return render_template_string(
            '{% from "submissions/_question.html" import question %}{{ question(item) }}', item=item)


def _inputs(html: str) -> list[str]:
    return re.findall(r"<input [^>]*>", html)


def _options(html: str) -> list[str]:
    return [tag for tag in _inputs(html) if 'class="form-check-input' in tag]


def test_each_option_is_an_input_with_its_label_and_hint(app):
    html = _draw(app, MULTI)
    inputs = _options(html)
    assert len(inputs) == 3 and all('type="checkbox" name="B3"' in tag for tag in inputs)
    ids = [re.search(r' id="([^"]+)"', tag).group(1) for tag in inputs]
    assert ids == ["B3", "B3-2", "B3-3"]
    for input_id in ids:
        assert html.count(f'<label class="form-check-label" for="{input_id}">') == 1
    assert 'aria-describedby="B3-2-hint"' in inputs[1] and "aria-describedby" not in inputs[0] + inputs[2]
    assert '<div id="B3-2-hint" class="form-text mt-0">Needs a &#34;site&#34; licence &amp; a contract</div>' in html
    assert "ICSD &lt;licensed&gt;" in html and "<licensed>" not in html
    assert '<legend class="form-label fw-semibold fs-6">B3. Licence</legend>' in html


def test_the_answer_checks_its_options_and_the_state_marks_every_input(app):
    plain = _options(_draw(app, MULTI, ["icsd", "own"]))
    assert [" checked" in tag for tag in plain] == [False, True, True]
    assert not any(" disabled" in tag or "is-invalid" in tag for tag in plain)
    hidden_and_wrong = _draw(app, MULTI, ["mp"], error="Choose one", visible=False)
    tags = _options(hidden_and_wrong)
    assert all(' disabled' in tag and 'class="form-check-input is-invalid"' in tag for tag in tags)
    assert [" checked" in tag for tag in tags] == [True, False, False]
    assert ('<div class="question mb-4" id="q-B3" data-question="B3" data-type="multi" data-required="always" hidden>'
            in hidden_and_wrong)
    assert '<fieldset aria-describedby="B3-error">' in hidden_and_wrong
    assert ('<p id="B3-error" class="invalid-feedback d-block"><span class="visually-hidden">Error:</span> '
            'Choose one</p>') in hidden_and_wrong
    # The same question drawn again with another answer: nothing of the first view sticks.
    again = _draw(app, MULTI)
    assert again == _draw(app, MULTI)
    assert " checked" not in again and "is-invalid" not in again and " hidden" not in again


def test_yes_no_is_a_pair_of_inline_radio_buttons(app):
    question = _question(id="C6", type="yes_no")
    html = _draw(app, question, ["no"])
    assert html.count('<div class="form-check form-check-inline">') == 2
    assert re.findall(r'type="radio" name="C6" id="([^"]+)" value="(\w+)"( checked)?', html) == [
        ("C6", "yes", ""), ("C6-2", "no", " checked")]
    assert '<label class="form-check-label" for="C6">Yes</label>' in html


def test_show_if_is_the_condition_as_json_or_nothing(app):
    shown_when = _question(id="B3a", type="text", show_if={"question": "B3", "equals": "icsd"})
    assert show_if_json(shown_when) == '{"question": "B3", "equals": "icsd"}'
    assert show_if_json(_question(type="text")) == ""
    attribute = 'data-show-if="{&#34;question&#34;: &#34;B3&#34;, &#34;equals&#34;: &#34;icsd&#34;}"'
    assert attribute in _draw(app, shown_when)
    assert "data-show-if" not in _draw(app, _question(type="text"))


def test_which_questions_are_drawn_as_options(app):
    assert "<fieldset" in _draw(app, MULTI) and "<fieldset" in _draw(app, _question(id="C6", type="yes_no"))
    text = _draw(app, _question(type="text"))
    assert "<fieldset" not in text and '<label class="form-label fw-semibold" for="B3">B3. Licence</label>' in text


def test_a_text_field_shows_its_value_escaped_its_hint_and_its_error(app):
    question = _question(type="text", required=False, hint="Say <which> one", help="See **the** terms.",
                         placeholder="e.g. CC BY")
    html = _draw(app, question, text='<b>A & "B"</b>', base="7:ab&c", error='Enter <less> text')
    assert ('<label class="form-label fw-semibold" for="B3">B3. Licence<span class="optional-mark"> (optional)</span>'
            '</label>') in html
    assert ('<div id="B3-hint" class="form-text help-text mt-0 mb-2"><p>Say &lt;which&gt; one</p>'
            '<p>See <strong>the</strong> terms.</p></div>') in html
    assert "Error:</span> Enter &lt;less&gt; text</p>" in html
    field = re.search(r'<input class="form-control[^>]*>', html).group(0)
    assert 'value="&lt;b&gt;A &amp; &#34;B&#34;&lt;/b&gt;"' in field and 'placeholder="e.g. CC BY"' in field
    assert 'aria-describedby="B3-hint B3-error"' in field and 'aria-invalid="true"' in field
    assert 'class="form-control is-invalid"' in field and " disabled" not in field
    assert '<input type="hidden" name="__base__B3" value="7:ab&amp;c" data-base-for="B3">' in html


def test_every_question_of_the_questionnaire_in_every_state(app):
    """Each question drawn shown and hidden, with and without an error, with text that needs escaping: its
    field is labelled, described by elements the page has, disabled when hidden, and shows the text escaped."""
    from app.questionnaires.loader import get_questionnaire, latest_version
    from app.submissions.services import QUESTIONNAIRE_KEY

    questionnaire = get_questionnaire(QUESTIONNAIRE_KEY, latest_version(QUESTIONNAIRE_KEY))
    checked = 0
    for question in questionnaire.questions:
        if question.type in ("footprint_stages", "records"):
            continue  # tables: their cells are drawn from more than one value (test_every_table_cell_...)
        for visible in (True, False):
            for error in (None, 'Enter a number <like "3">'):
                for text in ("", '<b>A & "B"</b>', "0"):
                    html = _draw(app, question, [text], error=error, visible=visible, text=text, base="7:ab&c")
                    assert f'id="q-{question.id}"' in html and (" hidden>" in html) != visible
                    assert "<b>" not in html and "<like" not in html
                    assert (f'<p id="{question.id}-error"' in html) == (error is not None)
                    for described in re.findall(r'aria-describedby="([^"]+)"', html):
                        assert all(f'id="{ref}"' in html for ref in described.split()), (question.id, described)
                    fields = [tag for tag in _inputs(html) + re.findall(r"<textarea [^>]*>", html)
                              if 'type="hidden"' not in tag]
                    assert fields and all((" disabled" in tag) != visible for tag in fields)
                    for tag in fields:
                        field_id = re.search(r' id="([^"]+)"', tag).group(1)
                        assert f'for="{field_id}"' in html, (question.id, field_id)
                    checked += 1
    assert checked > 200


def test_every_table_cell_is_labelled_with_its_row_and_column_in_every_state(app):
    """A records question's cells drawn shown and hidden, with and without errors, with text that needs escaping:
    every input and select is labelled (row and column), described by elements the page has, disabled when the
    question is hidden, and a bad cell's message sits beside it."""
    from app.questionnaires.loader import get_questionnaire
    from app.submissions.records_presenter import records_item

    team = get_questionnaire("ml-materials-ethics", 2).question("G2")
    for visible in (True, False):
        for orcid in ("", "0000-0002-1825-0098"):
            rows = [{"name": '<b>A & "B"</b>', "role": "pi", "orcid": orcid}, {"organisation": "Example"}]
            table = records_item(team, rows, bool(orcid), {})
            html = _draw(app, team, error="Team member 1: enter an ORCID iD" if orcid else None, visible=visible,
                         **table)
            assert "<b>" not in html and "&lt;b&gt;A &amp; &#34;B&#34;&lt;/b&gt;" in html
            for described in re.findall(r'aria-describedby="([^"]+)"', html):
                assert all(f'id="{ref}"' in html for ref in described.split()), described
            fields = [tag for tag in _inputs(html) + re.findall(r"<select [^>]*>", html) if 'type="hidden"' not in tag]
            # Two typed rows and the blank one, four columns each.
            assert len(fields) == 12 and all((" disabled" in tag) != visible for tag in fields)
            for tag in fields:
                field_id = re.search(r' id="([^"]+)"', tag).group(1)
                row, column = re.match(r"G2-(\d)-(\w+)", field_id).groups()
                label = {"name": "Name", "role": "Role", "organisation": "Organisation", "orcid": "ORCID iD"}[column]
                assert f'<label class="visually-hidden" for="{field_id}">Team member {int(row) + 1}: {label}</label>' \
                    in html
            # The second row misses its name, pointed out only once the question is in error.
            assert ('id="G2-1-name-error"' in html) == bool(orcid)
            assert ('id="G2-0-orcid-error"' in html) == bool(orcid)

"""The section page's questions: radio buttons and checkboxes drawn in Python, each question's markup
(submissions/_question.html) drawn once per question and state and filled in on each view.

A section shows dozens of options, and each is the same markup on every view but for three words
(is-invalid, checked, disabled). The fixed parts are escaped and joined once per question of a released
questionnaire (questionnaires are parsed once per process and never change), and each option in each of
its states once; a page view picks them. Drawn by the template, options were a third of the section page's
rendering time.
"""
from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any, NamedTuple

from markupsafe import Markup, escape

from app.core.fragments import macro, once_per_question
from app.core.markdown import render_markdown
from app.questionnaires.schema import Question


class _OptionMarkup(NamedTuple):
    value: str
    # The <input> up to where " is-invalid" may join its classes.
    start: Markup
    # The rest of its attributes, up to where " checked" and " disabled" may follow.
    attributes: Markup
    # The end of the <input>, its label and hint.
    end: Markup
    # The whole option in each of its eight states, made when first shown.
    drawn: dict[tuple[bool, bool, bool], Markup]

    def draw(self, invalid: bool, checked: bool, disabled: bool) -> Markup:
        state = (invalid, checked, disabled)
        markup = self.drawn.get(state)
        if markup is None:
            # Markup + str escapes the str: the words added here could carry nothing but themselves anyway.
            markup = self.drawn[state] = (self.start + (" is-invalid" if invalid else "") + self.attributes
                                          + (" checked" if checked else "") + (" disabled" if disabled else "")
                                          + self.end)
        return markup


_YES_NO = (("yes", "Yes", ""), ("no", "No", ""))
_CHOICE_TYPES = ("choice", "multi", "yes_no")


def shows_options(question: Question) -> bool:
    """Whether the section page draws the question as radio buttons or checkboxes (choice_inputs)."""
    return question.type in _CHOICE_TYPES or (question.type == "hardware" and bool(question.options))


def _choices(question: Question) -> tuple[tuple[str, str, str], ...]:
    """(value, label, hint) of each radio button or checkbox the question shows."""
    if question.type == "yes_no":
        return _YES_NO
    return tuple((option.value, option.label, option.hint or "") for option in question.options or ())


@once_per_question
def _option_markup(question: Question) -> tuple[_OptionMarkup, ...]:
    kind = "checkbox" if question.type == "multi" else "radio"
    inline = " form-check-inline" if question.type == "yes_no" else ""
    options = []
    for index, (value, label, hint) in enumerate(_choices(question), start=1):
        input_id = question.id if index == 1 else f"{question.id}-{index}"
        hint_id = f"{question.id}-{index}-hint"
        described = Markup(' aria-describedby="{}"').format(hint_id) if hint else Markup("")
        hint_block = Markup('\n<div id="{}" class="form-text mt-0">{}</div>').format(hint_id, hint) if hint else ""
        options.append(_OptionMarkup(
            value=value,
            start=Markup('<div class="form-check{}">\n<input class="form-check-input').format(inline),
            attributes=Markup('" type="{}" name="{}" id="{}" value="{}"{}').format(
                kind, question.id, input_id, value, described),
            end=Markup('>\n<label class="form-check-label" for="{}">{}</label>{}\n</div>\n').format(
                input_id, label, hint_block),
            drawn={},
        ))
    return tuple(options)


@once_per_question
def show_if_json(question: Question) -> str:
    """The question's condition, for static/js/section.js to show and hide it as answers change."""
    return json.dumps(question.show_if.model_dump(by_alias=True, exclude_none=True)) if question.show_if else ""


@once_per_question
def question_title(question: Question) -> Markup:
    """What the question's label or legend says: "A1. Title of the project", and whether it may be left blank."""
    return Markup("{}. {}{}").format(question.id, question.label, "" if question.required else " (optional)")


@once_per_question
def hint_block(question: Question) -> Markup:
    """The question's hint and help text under its label (the field's aria-describedby names it), or nothing."""
    help_html = render_markdown(question.help)
    if not (question.hint or help_html):
        return Markup("")
    # Under a legend the hint sits as the options' heading; under a label, close to it.
    spacing = "mb-2" if shows_options(question) or question.type == "footprint_stages" else "mt-0 mb-2"
    hint = Markup("<p>{}</p>").format(question.hint) if question.hint else ""
    return Markup('<div id="{}-hint" class="form-text help-text {}">{}{}</div>').format(
        question.id, spacing, hint, help_html)


def choice_inputs(question: Question, values: list[str], invalid: bool, visible: bool) -> Markup:
    """The question's options as radio buttons (checkboxes for a multi), checked where values has them."""
    return Markup("").join(option.draw(invalid, option.value in values, not visible)
                           for option in _option_markup(question))


def question_frame(question: Question, visible: bool, has_error: bool) -> dict[str, Any]:
    """What submissions/_question.html shows of a question besides its answer: the same on every view."""
    hint = hint_block(question)
    return {
        "q": question,
        "visible": visible,
        "title": question_title(question),
        "hint": hint,
        # The field's aria-describedby: its hint and its error, where it has them.
        "described": " ".join(([f"{question.id}-hint"] if hint else [])
                              + ([f"{question.id}-error"] if has_error else [])),
        "show_if": show_if_json(question),
    }


# What a view fills in: these three texts, escaped, and choice_inputs, markup. The macro is drawn with a marker
# in each, the slot's name between NULs (a character that never occurs in markup or in escaped text).
_SLOTS = ("base", "text", "error")
_MARKER = "\x00{}\x00"


@once_per_question
def _drawn_states(question: Question) -> dict[tuple[bool, bool], tuple[tuple[Markup, ...], tuple[str, ...]]]:
    return {}


def _parts(question: Question, visible: bool, has_error: bool) -> tuple[tuple[Markup, ...], tuple[str, ...]]:
    """The question's markup in this state, split at its slots: the fixed Markup around them, and their names."""
    states = _drawn_states(question)
    parts = states.get((visible, has_error))
    if parts is None:
        markers = {slot: _MARKER.format(slot) for slot in _SLOTS}
        item = SimpleNamespace(**question_frame(question, visible, has_error), base=markers["base"],
                               text=markers["text"], error=markers["error"] if has_error else None,
                               choice_inputs=Markup("\x00choice_inputs\x00") if shows_options(question) else "")
        drawn = macro("submissions/_question.html", "question")(question, item)
        # "a \0base\0 b" splits into markup, slot name, markup, ...: odd places are slot names.
        pieces = drawn.split("\x00")
        parts = states[(visible, has_error)] = (tuple(pieces[0::2]), tuple(str(name) for name in pieces[1::2]))
    return parts


def question_markup(question: Question, visible: bool, *, error: str | None, base: str, text: str,
                    choice_inputs: Markup | str) -> Markup:
    """The question as submissions/_question.html draws it with these values (all but footprint stages)."""
    values = {"base": base, "text": text, "error": error, "choice_inputs": choice_inputs}
    fixed, slots = _parts(question, visible, error is not None)
    drawn = [fixed[0]]
    for slot, after in zip(slots, fixed[1:], strict=True):
        drawn += (escape(values[slot]), after)
    return Markup("").join(drawn)

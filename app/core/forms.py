"""Small helpers and forms shared by the features."""
from collections.abc import Iterable

from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice


def choices(pairs: Iterable[tuple[str | int, str]]) -> list[SelectChoice]:
    """(value, label) pairs as the choice objects WTForms expects."""
    return [SelectChoice(value, label) for value, label in pairs]


class ConfirmForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no type information
    """A form with nothing but its CSRF token, for buttons that change state."""

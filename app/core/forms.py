"""Small helpers shared by the features' forms."""
from wtforms.fields.choices import SelectChoice


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as the choice objects WTForms expects."""
    return [SelectChoice(value, label) for value, label in pairs]

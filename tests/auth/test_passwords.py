"""The password rules on their own (no app needed)."""
import pytest

from app.auth.passwords import password_problem


@pytest.mark.parametrize(
    "password, expected",
    [
        ("short pw", "at least 12 characters"),
        ("x" * 129, "128 characters or fewer"),
        ("password1234", "too common"),
        ("qwertyuiop12", "too common"),
        ("PASSWORD1234", "too common"),
        ("aaaaaaaaaaaaaaa", "too easy to guess"),
        ("1234567890123", "too easy to guess"),
        ("marie.curie radium 1898", "must not contain your name or email address"),
        ("mcurie-glowing-lab", "must not contain your name or email address"),
    ],
)
def test_bad_passwords_are_refused_with_a_specific_reason(password, expected):
    problem = password_problem(password, email="mcurie@example.ac.uk", name="Marie Curie")
    assert problem is not None and expected in problem


@pytest.mark.parametrize(
    "password", ["correct horse battery staple 42", "granite Otter spoon 7 lantern", "x" * 6 + "Q9!vR#2m"]
)
def test_good_passwords_pass(password):
    assert password_problem(password, email="mcurie@example.ac.uk", name="Marie Curie") is None


def test_short_name_parts_are_not_forbidden():
    # "Li" is too ordinary a string to forbid inside a password.
    assert password_problem("lithium cobalt oxide 2024", email="li@example.ac.uk", name="Li Wu") is None

"""Remembered fragments (app/core/fragments.py): bounded, least recently used dropped first, forgettable."""
from __future__ import annotations

from markupsafe import Markup

from app.core.fragments import Remembered


def test_remembered_markup_is_drawn_once_per_key_and_the_least_recently_used_goes_first():
    drawn = []

    def draw(key):
        def make():
            drawn.append(key)
            return Markup("<p>{}</p>").format(key)
        return make

    remembered = Remembered(2)
    assert remembered.get("a", draw("a")) == Markup("<p>a</p>")
    assert remembered.get("b", draw("b")) == Markup("<p>b</p>")
    assert remembered.get("a", draw("a")) == Markup("<p>a</p>")  # remembered, and now the most recent
    assert drawn == ["a", "b"]
    remembered.get("c", draw("c"))  # over the bound: "b", the least recently used, is dropped
    remembered.get("a", draw("a"))
    remembered.get("b", draw("b"))
    assert drawn == ["a", "b", "c", "b"]


def test_forget_all_empties_every_remembered_map():
    from app.core.fragments import forget_all

    remembered = Remembered(4)
    remembered.get("a", lambda: Markup("1"))
    forget_all()
    assert remembered.get("a", lambda: Markup("2")) == Markup("2")

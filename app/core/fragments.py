"""Markup that is the same on every view, drawn once by its template and remembered, keyed by what it shows.

A key holds every value the markup shows (and the mount point, where it holds a link), so a fragment is drawn
again as soon as anything in it would change, and can never be stale; what is remembered is bounded per
process, the least recently used dropped first. Used for what the committee's pages show many times over
(app/reviews/presenters.py).
"""
from __future__ import annotations

import functools
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from flask import current_app
from markupsafe import Markup

T = TypeVar("T")
K = TypeVar("K")


class Remembered(Generic[T]):
    """A bounded map from what a piece of markup shows to the markup."""

    every: weakref.WeakSet[Remembered[Any]] = weakref.WeakSet()

    def __init__(self, size: int):
        self.size = size
        self._drawn: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()
        Remembered.every.add(self)

    def forget(self) -> None:
        with self._lock:
            self._drawn.clear()

    def get(self, key: Hashable, draw: Callable[[], T]) -> T:
        with self._lock:
            drawn = self._drawn.get(key)
            if drawn is not None:
                self._drawn.move_to_end(key)
                return drawn
        drawn = draw()
        with self._lock:
            self._drawn[key] = drawn
            while len(self._drawn) > self.size:
                self._drawn.popitem(last=False)
        return drawn


def once_per_question(build: Callable[[K], T]) -> Callable[[K], T]:
    """Remember what build makes of each question of a questionnaire: questionnaires are parsed once per process
    and a released version never changes, so neither does anything drawn from one of its questions."""
    built: dict[int, tuple[K, T]] = {}

    @functools.wraps(build)
    def remembered(question: K) -> T:
        # Keyed by identity, the question kept alongside: parsed questions are not hashable.
        entry = built.get(id(question))
        if entry is None or entry[0] is not question:
            entry = built[id(question)] = (question, build(question))
        return entry[1]

    return remembered


def macro(template: str, name: str) -> Callable[..., Markup]:
    """A macro of one of the app's templates, to call from Python."""
    found: Callable[..., Markup] = getattr(current_app.jinja_env.get_template(template).module, name)
    return found


def forget_all() -> None:
    """Forget every remembered fragment: what a page costs when nothing has been drawn yet (bench/page_cost.py)."""
    for remembered in list(Remembered.every):
        remembered.forget()

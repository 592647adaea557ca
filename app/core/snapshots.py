"""Builders of plain snapshots, registered by the feature that owns the data, for a shared service to render.

The signed assessment shows what reviews knows about a round; documents renders it without importing reviews
or submissions. Reviews registers its builder when the application is created, and documents asks for the
snapshot by name each time a render job runs (in the web process or a worker), so a retried job renders what
the database holds then. A snapshot is plain dicts, lists and strings: nothing in it lazy-loads.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

Builder = Callable[..., dict[str, Any]]
_builders: dict[str, Builder] = {}


def register(name: str, builder: Builder) -> None:
    _builders[name] = builder


def build(name: str, **arguments: Any) -> dict[str, Any]:
    try:
        builder = _builders[name]
    except KeyError:
        raise LookupError(f"no snapshot builder {name!r} registered: create_app() registers them") from None
    return builder(**arguments)

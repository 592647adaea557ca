"""A new, empty database of the same kind as a given one, for tests that build a schema from nothing."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@contextmanager
def empty_database(like_url: str, tmp_path: Path, name: str = "empty") -> Iterator[str]:
    """Yield the URL of an empty database of like_url's kind (SQLite file, or a temporary PostgreSQL database)."""
    if like_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / f'{name}.sqlite3'}"
        return
    base = make_url(like_url)
    database = f"crucible_{name}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{database}"'))
    try:
        yield base.set(database=database).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()

"""Backup and restore of the whole installation: every table of the models plus the archived PDFs.

    flask --app wsgi admin backup DIR      # DIR must not exist yet (or be empty)
    flask --app wsgi admin restore DIR     # into an EMPTY, migrated database (`flask db upgrade` first)

Database-agnostic: each table of `db.metadata` is written, in dependency order and by primary key, as JSON
lines (`tables/<name>.jsonl`), so a SQLite backup restores into PostgreSQL and back. `manifest.json` lists
each file with its row count and sha256, the schema revision, and every archived file by sha256. The archive
files are copied under `archive/<sha256>.pdf`; on restore each is checked against its sha256 before anything
is written, and stored through the configured archive backend (write-once, content-addressed).

Restore runs in one transaction: it either loads everything or nothing. It refuses a database that already
holds rows, and PostgreSQL sequences are moved past the restored ids so new rows do not collide.

Values keep their exact form (datetimes with microseconds, JSON documents as stored), so the audit hash
chain verifies after a round trip. For JSON columns SQL NULL and a JSON `null` are kept apart: a stored
JSON value is written wrapped in a one-element list, SQL NULL as `null`.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    Numeric,
    Table,
    Time,
    func,
    inspect,
    null,
    select,
    text,
)
from sqlalchemy.engine import Connection

from app.core.storage import get_storage, sha256_of
from app.extensions import db

FORMAT = "crucible-backup"
FORMAT_VERSION = 1
BATCH = 2000
CHUNK = 1024 * 1024
# Tables whose rows point at archived files, and the columns holding the archive key and the sha256.
ARCHIVE_REFERENCES = {"document": ("storage_key", "sha256")}


Echo = Callable[[str], object]


def _silent(message: str) -> None:
    pass


class BackupError(RuntimeError):
    pass


# ------------------------------------------------------------------------------------------- encoding


def _kind(column: Column[Any]) -> str:
    column_type = column.type
    impl = getattr(column_type, "impl", column_type)
    for kind, types in (("json", JSON), ("datetime", DateTime), ("date", Date), ("time", Time),
                        ("binary", LargeBinary), ("decimal", Numeric)):
        if isinstance(column_type, types) or isinstance(impl, types):
            if kind == "decimal" and getattr(impl, "asdecimal", True) is False:
                return "plain"
            return kind
    return "plain"


def _encode(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "json":
        return [value]
    if kind == "datetime":
        return value.isoformat()
    if kind in ("date", "time"):
        return value.isoformat()
    if kind == "binary":
        return base64.b64encode(value).decode("ascii")
    if kind == "decimal":
        return str(value)
    return value


def _decode(kind: str, value: Any) -> Any:
    if value is None:
        return null() if kind == "json" else None
    if kind == "json":
        return value[0] if value[0] is not None else JSON.NULL
    if kind == "datetime":
        parsed = datetime.fromisoformat(value)
        return parsed
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "time":
        return time.fromisoformat(value)
    if kind == "binary":
        return base64.b64decode(value)
    if kind == "decimal":
        return Decimal(value)
    return value


def _tables() -> list[Table]:
    return list(db.metadata.sorted_tables)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _schema_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


# ------------------------------------------------------------------------------------------- backup


def _rows(connection: Connection, table: Table) -> Iterator[dict[str, Any]]:
    kinds = {column.name: _kind(column) for column in table.columns}
    json_columns = [name for name, kind in kinds.items() if kind == "json"]
    # For JSON columns also ask whether the value is SQL NULL (a JSON null reads back as None too).
    null_flags = [table.c[name].is_(None).label(f"__sqlnull__{name}") for name in json_columns]
    statement = select(*table.columns, *null_flags).order_by(*table.primary_key.columns)
    result = connection.execution_options(yield_per=BATCH).execute(statement)
    for row in result.mappings():
        encoded = {}
        for name, kind in kinds.items():
            value = row[name]
            if kind == "json":
                encoded[name] = None if row[f"__sqlnull__{name}"] else [value]
            else:
                encoded[name] = _encode(kind, value)
        yield encoded


def backup(directory: str | os.PathLike[str], *, echo: Echo = _silent) -> dict[str, Any]:
    """Write the database and the archive files to `directory` (new or empty). Returns the manifest."""
    target = Path(directory)
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty; choose a new directory for the backup")
    (target / "tables").mkdir(parents=True, exist_ok=True)
    (target / "archive").mkdir(exist_ok=True)
    storage = get_storage()
    manifest: dict[str, Any] = {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "created_at": datetime.now(UTC).isoformat(),
        "source_dialect": db.engine.dialect.name, "tables": [], "archive": [],
    }
    # One REPEATABLE READ (snapshot) transaction on PostgreSQL: every table is read at the same instant.
    options = {"isolation_level": "REPEATABLE READ"} if db.engine.dialect.name == "postgresql" else {}
    with db.engine.connect().execution_options(**options) as connection, connection.begin():
        manifest["schema_revision"] = _schema_revision(connection)
        archived: dict[str, str] = {}
        for table in _tables():
            path = target / "tables" / f"{table.name}.jsonl"
            count = 0
            references = ARCHIVE_REFERENCES.get(table.name)
            with path.open("w", encoding="utf-8") as handle:
                for row in _rows(connection, table):
                    handle.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
                    handle.write("\n")
                    count += 1
                    if references:
                        archived[row[references[1]]] = row[references[0]]
            manifest["tables"].append({"name": table.name, "file": f"tables/{table.name}.jsonl", "rows": count,
                                       "sha256": _sha256_file(path)})
            echo(f"{table.name}: {count} rows")
    for digest, key in sorted(archived.items()):
        data = storage.get(key)
        if sha256_of(data) != digest:
            raise BackupError(f"archived file {key} does not match its recorded sha256 {digest}")
        (target / "archive" / f"{digest}.pdf").write_bytes(data)
        manifest["archive"].append({"sha256": digest, "size": len(data), "file": f"archive/{digest}.pdf",
                                    "storage_key": key})
    echo(f"archive: {len(manifest['archive'])} files")
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


# ------------------------------------------------------------------------------------------- restore


def _read_manifest(source: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{source} holds no manifest.json: not a backup") from None
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"{source}: unknown backup format {manifest.get('format')!r} "
                          f"v{manifest.get('format_version')!r}")
    return manifest


def _check_files(source: Path, manifest: dict[str, Any]) -> None:
    """Every file named by the manifest is present and matches its sha256, before anything is written."""
    problems = []
    for entry in manifest["tables"]:
        path = source / entry["file"]
        if not path.exists():
            problems.append(f"{entry['file']} is missing")
        elif _sha256_file(path) != entry["sha256"]:
            problems.append(f"{entry['file']} does not match its sha256 in the manifest")
    for entry in manifest["archive"]:
        path = source / entry["file"]
        if not path.exists():
            problems.append(f"{entry['file']} is missing")
        elif _sha256_file(path) != entry["sha256"]:
            problems.append(f"{entry['file']} does not match its sha256")
    known = {table.name for table in _tables()}
    unknown = [entry["name"] for entry in manifest["tables"] if entry["name"] not in known]
    if unknown:
        problems.append(f"tables unknown to this version of the application: {', '.join(unknown)}")
    if problems:
        raise BackupError("the backup is damaged or incomplete; nothing was restored:\n  " + "\n  ".join(problems))


def _non_empty_tables(connection: Connection) -> list[str]:
    existing = set(inspect(connection).get_table_names())
    missing = [table.name for table in _tables() if table.name not in existing]
    if missing:
        raise BackupError(f"the database is not migrated (missing tables: {', '.join(missing)}); "
                          "run `flask --app wsgi db upgrade` first")
    return [table.name for table in _tables()
            if connection.execute(select(func.count()).select_from(table)).scalar()]


def _reset_sequences(connection: Connection) -> None:
    for table in _tables():
        for column in table.primary_key.columns:
            if isinstance(column.type, Integer) and column.autoincrement in (True, "auto") \
                    and len(table.primary_key.columns) == 1 and not column.foreign_keys:
                sequence = connection.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                              {"t": f'"{table.name}"', "c": column.name}).scalar()
                if sequence:
                    highest = func.max(column)
                    connection.execute(select(func.setval(sequence, func.coalesce(highest, 1), highest.is_not(None)))
                                       .select_from(table))


def restore(directory: str | os.PathLike[str], *, echo: Echo = _silent) -> dict[str, Any]:
    """Load a backup into an empty, migrated database and the configured archive. Returns the manifest."""
    source = Path(directory)
    manifest = _read_manifest(source)
    _check_files(source, manifest)
    storage = get_storage()
    tables = {table.name: table for table in _tables()}
    db.session.remove()
    with db.engine.connect() as connection, connection.begin():
        revision = _schema_revision(connection)
        if manifest.get("schema_revision") and revision and revision != manifest["schema_revision"]:
            raise BackupError(f"the backup was taken at schema revision {manifest['schema_revision']} but this "
                              f"database is at {revision}; migrate to the same revision first")
        occupied = _non_empty_tables(connection)
        if occupied:
            raise BackupError("restore needs an empty database, but these tables hold rows: "
                              f"{', '.join(occupied)}. Restore into a new database (create it, then "
                              "`flask --app wsgi db upgrade`); nothing was changed.")
        for entry in manifest["tables"]:
            table = tables[entry["name"]]
            kinds = {column.name: _kind(column) for column in table.columns}
            count = 0
            batch: list[dict[str, Any]] = []
            with (source / entry["file"]).open(encoding="utf-8") as handle:
                for line in handle:
                    raw = json.loads(line)
                    batch.append({name: _decode(kinds[name], raw.get(name)) for name in kinds})
                    if len(batch) >= BATCH:
                        connection.execute(table.insert(), batch)
                        count += len(batch)
                        batch = []
            if batch:
                connection.execute(table.insert(), batch)
                count += len(batch)
            if count != entry["rows"]:
                raise BackupError(f"{entry['name']}: read {count} rows, the manifest says {entry['rows']}")
            echo(f"{entry['name']}: {count} rows")
        # Archive files go in before the commit: the store is write-once and content-addressed, so a
        # failed restore leaves at most files no row refers to, never rows without their file.
        for entry in manifest["archive"]:
            key = storage.put((source / entry["file"]).read_bytes())
            if key != entry["storage_key"]:
                raise BackupError(f"the archive stores {entry['sha256']} under {key}, but the backup's rows "
                                  f"refer to {entry['storage_key']}: configure the same archive layout "
                                  "(ARCHIVE_BACKEND, S3_PREFIX)")
        echo(f"archive: {len(manifest['archive'])} files")
        if connection.dialect.name == "postgresql":
            _reset_sequences(connection)
    return manifest

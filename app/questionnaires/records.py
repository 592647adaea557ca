"""Records questions: a table the applicant fills row by row (the team with their ORCID iDs, the licence of each
data source).

The stored answer is a list of rows, each a dict of column id -> value holding only the cells filled in (text as
typed, a choice column's option value, an ORCID iD without its https://orcid.org/ prefix); rows left blank are
dropped. A cell that cannot be accepted (an ORCID iD whose check character is wrong, text too long, an unknown
option) is an error of the answer; a required cell left blank only makes the answer incomplete, so it is saved as
a draft like a footprint stage missing a field.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from app.questionnaires.schema import Question, RecordField

ORCID_EXAMPLE = "0000-0002-1825-0097"
ORCID_FORMAT_MESSAGE = f"Enter an ORCID iD like {ORCID_EXAMPLE}"
ORCID_CHECKSUM_MESSAGE = f"Enter an ORCID iD like {ORCID_EXAMPLE}; the last character does not match the others"
_ORCID_PREFIX = re.compile(r"^(?:https?://)?(?:www\.)?orcid\.org/", re.IGNORECASE)
_ORCID = re.compile(r"^(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dX])$")
DEFAULT_ROW_LABEL = "Row"

# (row index among the rows shown, column id) -> the message beside that cell.
CellErrors = dict[tuple[int, str], str]


class RecordsError(ValueError):
    """A records answer that cannot be accepted; the message names the row and the column."""


def orcid_check_character(digits: str) -> str:
    """The ISO 7064 MOD 11-2 check character of an ORCID iD's first 15 digits."""
    total = 0
    for digit in digits:
        total = (total + int(digit)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


def parse_orcid(raw: str) -> str:
    """The bare iD (0000-0002-1825-0097) of an ORCID iD typed with or without https://orcid.org/; ValueError
    with the message shown beside the cell when it is not one."""
    text = _ORCID_PREFIX.sub("", raw.strip().replace(" ", "")).upper()
    match = _ORCID.match(text)
    if not match:
        raise ValueError(ORCID_FORMAT_MESSAGE)
    orcid = "-".join(match.groups())
    digits = orcid.replace("-", "")
    if orcid_check_character(digits[:15]) != digits[15]:
        raise ValueError(ORCID_CHECKSUM_MESSAGE)
    return orcid


def row_label(question: Question) -> str:
    return question.row_label or DEFAULT_ROW_LABEL


def _lower_first(text: str) -> str:
    # "ORCID iD" keeps its capitals; "Name" reads "name" inside a sentence.
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _with_article(label: str) -> str:
    words = _lower_first(label)
    return f"{'an' if words[:1].lower() in 'aeio' else 'a'} {words}"


def missing_message(column: RecordField) -> str:
    """What a required cell left blank says, e.g. "Enter a name" or "Select a licence"."""
    verb = "Select" if column.type == "choice" else "Enter"
    return f"{verb} {_with_article(column.label)}"


def cell_message(question: Question, index: int, message: str) -> str:
    """A cell's message naming its row, for the error summary: "Team member 2: enter a name"."""
    return f"{row_label(question)} {index + 1}: {_lower_first(message)}"


def _cell_strings(row: Any) -> dict[str, str]:
    if not isinstance(row, Mapping):
        return {}
    return {str(key): "" if value is None else str(value) for key, value in row.items()}


def shown_rows(question: Question, raw: Any) -> list[dict[str, str]]:
    """The rows as the table's inputs show them (every column a string), rows left blank dropped. `raw` is what
    was posted, a kept input or the stored answer; anything that is not a list of rows (an earlier version's
    free-text answer) gives no rows."""
    if not isinstance(raw, list):
        return []
    rows = []
    for row in raw:
        cells = _cell_strings(row)
        shown = {column.id: cells.get(column.id, "").strip() for column in question.fields}
        if any(shown.values()):
            rows.append(shown)
    return rows


def _parse_cell(column: RecordField, text: str) -> str:
    if column.type == "orcid":
        return parse_orcid(text)
    if column.type == "choice":
        if column.option(text) is None:
            raise ValueError(f"Select one of the options for {_lower_first(column.label)}")
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > column.effective_max_length:
        raise ValueError(f"Enter {column.effective_max_length:,} characters or fewer (you entered {len(text):,})")
    return text


def parse_rows(question: Question, raw: Any) -> tuple[list[dict[str, str]], CellErrors]:
    """The typed rows of the rows shown (shown_rows), and the message of every cell that cannot be accepted."""
    rows: list[dict[str, str]] = []
    errors: CellErrors = {}
    for index, cells in enumerate(shown_rows(question, raw)):
        row: dict[str, str] = {}
        for column in question.fields:
            text = cells[column.id]
            if not text:
                continue
            try:
                row[column.id] = _parse_cell(column, text)
            except ValueError as exc:
                errors[(index, column.id)] = str(exc)
        rows.append(row)
    return rows, errors


def missing_cells(question: Question, rows: Sequence[Mapping[str, Any]]) -> CellErrors:
    """The required cells left blank in the rows, with their messages."""
    return {(index, column.id): missing_message(column)
            for index, row in enumerate(rows) for column in question.fields
            if column.required and not str(row.get(column.id) or "").strip()}


def parse_answer(question: Question, raw: Any) -> list[dict[str, str]] | None:
    """The answer to store for what was posted; RecordsError names the first cell that cannot be accepted."""
    rows, errors = parse_rows(question, raw)
    if errors:
        (index, _), message = next(iter(errors.items()))
        more = len(errors) - 1
        others = f" (and {more} more {'problem' if more == 1 else 'problems'} in the table)" if more else ""
        raise RecordsError(cell_message(question, index, message) + others)
    if question.max_rows is not None and len(rows) > question.max_rows:
        raise RecordsError(f"Enter no more than {question.max_rows} rows (you entered {len(rows)})")
    return rows or None


def incomplete_message(question: Question, rows: Sequence[Mapping[str, Any]]) -> str | None:
    """Why a saved answer is not complete yet, without the "Complete " every such message starts with (answers
    adds it): "team member 2: enter a name", or too few rows; None when it is complete."""
    missing = missing_cells(question, rows)
    if missing:
        (index, _), message = next(iter(missing.items()))
        return _lower_first(cell_message(question, index, message))
    if question.min_rows is not None and len(rows) < question.min_rows:
        return f"the table: enter at least {question.min_rows} rows"
    return None


def answer_problem(question: Question, value: Any) -> str | None:
    """Why a stored (or scripted) value cannot be this question's answer, or None."""
    if not isinstance(value, list) or not all(isinstance(row, Mapping) for row in value):
        return f"expected a list of rows, one object of {', '.join(c.id for c in question.fields)} each, got {value!r}"
    for number, row in enumerate(value, start=1):
        for key, cell in row.items():
            column = question.field(str(key))
            if column is None:
                return f"row {number}: unknown field {key!r} (fields: {', '.join(c.id for c in question.fields)})"
            if not isinstance(cell, str):
                return f"row {number}: {key} must be text, not {cell!r}"
            try:
                if _parse_cell(column, cell) != cell:
                    return f"row {number}: {key} must be stored as {_parse_cell(column, cell)!r}"
            except ValueError as exc:
                return f"row {number}: {key}: {exc}"
    return None


# --- display ------------------------------------------------------------------------------------------

def cell_text(column: RecordField, value: Any) -> str:
    if value is None:
        return ""
    option = column.option(str(value)) if column.type == "choice" else None
    return option.label if option is not None else str(value)


def columns(question: Question) -> dict[str, str]:
    """The table's columns in order, id -> heading."""
    return {column.id: column.label for column in question.fields}


def table_rows(question: Question, value: Any) -> list[dict[str, str]]:
    """Each row as the texts of its cells by column id (option labels, blank cells empty)."""
    if not isinstance(value, list):
        return []
    return [{column.id: cell_text(column, row.get(column.id)) for column in question.fields}
            for row in value if isinstance(row, Mapping)]


def describe(question: Question, value: Any) -> str:
    """The rows as one line, e.g. "Ada Lovelace (Principal investigator, ORCID iD 0000-0002-1825-0097); ..."."""
    if not isinstance(value, list):
        return str(value)
    described = []
    for row in table_rows(question, value):
        first, *rest = question.fields
        details = [f"{column.label} {row[column.id]}" if column.type == "orcid" else row[column.id]
                   for column in rest if row[column.id]]
        described.append(row[first.id] + (f" ({', '.join(details)})" if details else ""))
    return "; ".join(described)


def _partner(index: int, row: Mapping[str, str], old: Sequence[Mapping[str, str]], key: str,
             used: set[int], by_position: bool) -> int | None:
    """The earlier round's row a row is compared with: the one with the same first cell, else (by_position) the
    one in its place."""
    for old_index, old_row in enumerate(old):
        if old_index not in used and old_row[key] == row[key]:
            return old_index
    return index if by_position and index < len(old) and index not in used else None


def table_diff(old: Sequence[Mapping[str, str]], new: Sequence[Mapping[str, str]],
               column_keys: Sequence[str], *, by_position: bool = False) -> list[dict[str, Any]]:
    """Two rounds' tables compared row by row and cell by cell: the new round's rows, each "added" or with every
    cell's earlier text in `was` where it changed, then the earlier rows no longer there. A row is the earlier
    one with the same first cell (a team member's name, a data source); `by_position` also pairs a row with
    the earlier one in its place (footprint stages, often named only "Stage 2")."""
    key = column_keys[0]
    used: set[int] = set()
    rows = []
    for index, row in enumerate(new):
        partner = _partner(index, row, old, key, used, by_position)
        if partner is None:
            rows.append({"status": "added", "cells": [{"text": row[k], "was": None} for k in column_keys]})
            continue
        used.add(partner)
        cells = [{"text": row[k], "was": old[partner][k] if old[partner][k] != row[k] else None} for k in column_keys]
        rows.append({"status": "changed" if any(c["was"] is not None for c in cells) else "same", "cells": cells})
    rows += [{"status": "removed", "cells": [{"text": row[k], "was": None} for k in column_keys]}
             for index, row in enumerate(old) if index not in used]
    return rows


def rows_matching(value: Any, field_id: str) -> list[Any]:
    """The non-blank cells of one column across the rows, for conditions on a records answer."""
    if not isinstance(value, list):
        return []
    return [row[field_id] for row in value
            if isinstance(row, Mapping) and row.get(field_id) not in (None, "")]

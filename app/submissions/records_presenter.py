"""Plain dicts for a records question on the section page (submissions/_records.html): its rows as the inputs
show them, the message beside each cell, and an earlier version's answer kept beside the table."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.questionnaires import records
from app.questionnaires.migration import earlier_answer
from app.questionnaires.schema import Question


def _cell_id(question: Question, index: int, column_id: str) -> str:
    return f"{question.id}-{index}-{column_id}"


def records_item(question: Question, shown_value: Any, has_error: bool,
                 answers: Mapping[str, Any]) -> dict[str, Any]:
    """The table: every row typed (what was just posted, a kept input or the answer saved) with its cells'
    messages, then one blank row to type into; `cell_errors` (cell id -> message naming the row) is what the error
    summary links to. `answers`: every stored answer, where an earlier version's answer is kept."""
    shown = records.shown_rows(question, shown_value)
    _, errors = records.parse_rows(question, shown)
    if has_error:
        # Blank required cells are pointed out only once the question is in error (on "Save and continue").
        errors = {**records.missing_cells(question, shown), **errors}
    order = {column.id: position for position, column in enumerate(question.fields)}
    rows = []
    for index, cells in enumerate([*shown, {}] if _room_for_more(question, shown) else shown):
        rows.append({
            "index": index, "number": index + 1, "blank": index == len(shown),
            "cells": [{"column": column, "id": _cell_id(question, index, column.id),
                       "value": cells.get(column.id, ""), "error": errors.get((index, column.id))}
                      for column in question.fields],
        })
    kept = earlier_answer(question.id, answers)
    return {
        "rows": rows,
        "columns": question.fields,
        "row_label": records.row_label(question),
        "cell_errors": {_cell_id(question, index, column_id): records.cell_message(question, index, message)
                        for (index, column_id), message in sorted(errors.items(),
                                                                  key=lambda e: (e[0][0], order[e[0][1]]))},
        "first_cell": _cell_id(question, 0, question.fields[0].id),
        # Only free text is kept this way (migration.keeps_earlier_answer).
        "earlier": {"version": kept[0], "text": str(kept[1])} if kept else None,
    }


def _room_for_more(question: Question, shown: list[dict[str, str]]) -> bool:
    return question.max_rows is None or len(shown) < question.max_rows

"""No function in app/ runs over 60 lines unless there is a reason: one named here, or a docstring paragraph
starting "Longer than 60 lines because". A long function usually hides parts that deserve names."""
from __future__ import annotations

import ast
from pathlib import Path

LIMIT = 60
APP = Path(__file__).resolve().parents[2] / "app"
REASON_IN_DOCSTRING = "Longer than 60 lines because"

# "path:function" -> why it may stay long.
ALLOWED: dict[str, str] = {}


def long_functions() -> dict[str, int]:
    found = {}
    for path in sorted(APP.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > LIMIT and REASON_IN_DOCSTRING not in (ast.get_docstring(node) or ""):
                found[f"{path.relative_to(APP)}:{node.name}"] = length
    return found


def test_no_function_is_longer_than_60_lines_without_a_reason():
    unexplained = {name: length for name, length in long_functions().items() if name not in ALLOWED}
    assert not unexplained, f"split these, or say in the docstring why they are long: {unexplained}"


def test_every_allowed_long_function_still_exists_and_is_long():
    # An allowance outliving its function would let a new long function of that name in unnoticed.
    assert set(ALLOWED) <= set(long_functions()), set(ALLOWED) - set(long_functions())

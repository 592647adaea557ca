#!/usr/bin/env python3
"""Each mutated module's kill rate after `mutmut run` (make mutation), from mutmut's own records under mutants/.

Killed counts a mutant the tests failed on or that timed out; the rate is killed / (mutants checked). Exits 1
when a module is under --minimum (90%) or a mutant was left unchecked, so the target can gate a build.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

KILLED = {1, 3, 24, -24, 36, 152, 255}
SURVIVED = {0}


def summarise(mutants: Path) -> dict[str, dict[str, list[str]]]:
    """module path -> {"killed": [...], "survived": [...], "other": [...]} mutant names."""
    found: dict[str, dict[str, list[str]]] = {}
    for meta in sorted(mutants.rglob("*.py.meta")):
        module = str(meta.relative_to(mutants)).removesuffix(".meta")
        groups: dict[str, list[str]] = {"killed": [], "survived": [], "other": []}
        for name, code in json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"].items():
            group = "killed" if code in KILLED else "survived" if code in SURVIVED else "other"
            groups[group].append(name)
        found[module] = groups
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=Path, default=Path("mutants"))
    parser.add_argument("--minimum", type=float, default=90.0, help="lowest acceptable kill rate, in percent")
    parser.add_argument("--survivors", action="store_true", help="list the surviving mutants by name")
    args = parser.parse_args(argv)
    found = summarise(args.mutants)
    if not found:
        print(f"no mutmut results under {args.mutants}", file=sys.stderr)
        return 1
    failed = False
    for module, groups in found.items():
        checked = len(groups["killed"]) + len(groups["survived"])
        rate = 100 * len(groups["killed"]) / checked if checked else 0.0
        below = rate < args.minimum or bool(groups["other"])
        failed |= below
        print(f"{module}: {rate:.1f}% killed ({len(groups['killed'])} of {checked}; "
              f"{len(groups['survived'])} survived, {len(groups['other'])} not checked or without tests)"
              + ("  BELOW THE MINIMUM" if below else ""))
        if args.survivors:
            for name in groups["survived"]:
                print(f"  survived: {name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

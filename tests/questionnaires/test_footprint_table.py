"""The footprint answer as a table of its stages (footprint.stage_table) and two rounds' tables compared stage by
stage (footprint.stage_table_diff), without a page around them: tests/reviews/test_footprint_answer.py checks the
pages, these the rows, fast enough for `make mutation`.

Mutants of _table_row these tests leave alive, judged equivalent: `figures = ""` for None when the stage cannot be
computed (both are false, and figures is only tested for truth), and "XXXX" for "" as the hardware of a stage
without one (neither is a listed CPU, so neither counts cores)."""
from __future__ import annotations

from typing import Any

from app.questionnaires import footprint

COLUMNS = ["stage", "hardware", "hours", "runs", "region", "energy", "co2e"]


def stage(**fields: Any) -> dict[str, Any]:
    base = {"name": "Training", "hardware": "a100_pcie_80gb", "count": 4, "hours": 48, "memory_gb": 64,
            "usage": 1, "platform": "local_server", "location": "GB", "runs": 1}
    base.update(fields)
    return base


def test_a_complete_stage_is_a_row_of_what_was_entered_and_its_figures() -> None:
    # footprint.md, worked example 1: 91.641 kWh and 21.18 kg CO2e.
    assert footprint.stage_table([stage()]) == [{
        "stage": "Training", "hardware": "4 × NVIDIA A100 80GB PCIe", "hours": "48 h", "runs": "1",
        "region": "United Kingdom", "energy": "91.6 kWh", "co2e": "21.2 kg CO2e"}]


def test_the_figures_of_a_computed_stage_are_written_plainly() -> None:
    row = footprint.stage_table([stage(hours=2.0, runs=1500)])[0]
    assert (row["hours"], row["runs"]) == ("2 h", "1,500")


def test_a_stage_without_a_name_is_numbered_by_its_place_and_cpus_count_cores() -> None:
    rows = footprint.stage_table([stage(), stage(name="", hardware="xeon_e5_2683_v4", count=16, hours=1.5,
                                                 runs=2.5, location="FR")])
    second = rows[1]
    assert (second["stage"], second["hardware"], second["hours"], second["runs"], second["region"]) == (
        "Stage 2", "16 cores × Intel Xeon E5-2683 v4", "1.5 h", "2.5", "France")
    assert second["energy"].endswith(" kWh") and second["co2e"].endswith(" kg CO2e")
    assert footprint.stage_table([stage(hardware="other", power_w=300)])[0]["hardware"] == "4 × other hardware"


def test_an_incomplete_stage_shows_what_was_entered_and_is_not_computed() -> None:
    incomplete = {"hardware": "a100_pcie_80gb", "hours": 6, "runs": 3, "location": "GB"}
    assert footprint.stage_table([incomplete]) == [{
        "stage": "Stage 1", "hardware": "? × NVIDIA A100 80GB PCIe", "hours": "6 h", "runs": "3",
        "region": "United Kingdom",
        "energy": "not computed (stage incomplete)", "co2e": "not computed (stage incomplete)"}]
    assert footprint.stage_table([{}]) == [{
        "stage": "Stage 1", "hardware": "? × hardware not given", "hours": "? h", "runs": "1",
        "region": "not given", "energy": "not computed (stage incomplete)",
        "co2e": "not computed (stage incomplete)"}]


def test_only_stages_are_rows() -> None:
    assert footprint.stage_table(None) == [] and footprint.stage_table("4 GPUs") == []
    rows = footprint.stage_table(["not a stage", stage(name="")])
    assert [row["stage"] for row in rows] == ["Stage 2"]


# --- a submitted round's table, read from the statement stored at submission ------------------------------------

def stored(hours: float, runs: float, place: str, kwh: float, kg: float) -> dict[str, Any]:
    return {"hours": hours, "runs": runs, "location_name": place, "energy_kwh": kwh, "co2e_kg": kg}


def test_a_submitted_rounds_figures_are_read_from_its_statement_not_computed_again() -> None:
    # Figures no computation of these stages gives: the table must print what the round stored.
    frozen = {"stages": [stored(48, 1, "Grid of 2025", 1234.5, 321.0)], "incomplete_stages": []}
    assert footprint.stage_table([stage()], frozen=frozen) == [{
        "stage": "Training", "hardware": "4 × NVIDIA A100 80GB PCIe", "hours": "48 h", "runs": "1",
        "region": "Grid of 2025", "energy": footprint.format_energy(1234.5),
        "co2e": footprint.format_carbon(321.0)}]
    assert footprint.stage_table([stage()], frozen=frozen) != footprint.stage_table([stage()])


def test_stored_figures_follow_their_stages_past_an_incomplete_one() -> None:
    # Stage 2 (1-based) was incomplete at submission: the stored results are those of stages 1 and 3, in order.
    frozen = {"stages": [stored(1, 2, "Place A", 10, 1), stored(3, 4, "Place C", 30, 3)], "incomplete_stages": [2]}
    rows = footprint.stage_table([stage(name="one"), stage(name="two", hours=None), stage(name="three")],
                                 frozen=frozen)
    assert [(r["stage"], r["hours"], r["runs"], r["region"]) for r in rows] == [
        ("one", "1 h", "2", "Place A"), ("two", "? h", "1", "United Kingdom"), ("three", "3 h", "4", "Place C")]
    assert rows[1]["energy"] == rows[1]["co2e"] == footprint.NOT_COMPUTED
    assert rows[2]["energy"] == footprint.format_energy(30) and rows[2]["co2e"] == footprint.format_carbon(3)


def test_a_round_whose_statement_holds_no_stage_computes_none() -> None:
    # {}: no stage was complete at submission, so nothing is computed now either, even for a complete stage.
    rows = footprint.stage_table([stage(), stage(name="second")], frozen={})
    assert [(r["energy"], r["co2e"]) for r in rows] == [(footprint.NOT_COMPUTED, footprint.NOT_COMPUTED)] * 2
    short = {"stages": [stored(48, 1, "Place A", 10, 1)]}
    assert footprint.stage_table([stage(), stage(name="second")], frozen=short)[1]["energy"] == footprint.NOT_COMPUTED


# --- two rounds compared ----------------------------------------------------------------------------------------

def row(name: str, **cells: str) -> dict[str, str]:
    return {"stage": name, **dict.fromkeys(COLUMNS[1:], "x"), **cells}


def statuses(compared: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(r["status"], r["cells"][0]["text"]) for r in compared]


def test_unchanged_stages_are_the_same_and_mark_nothing() -> None:
    old = [row("Pre-training"), row("Screening")]
    compared = footprint.stage_table_diff(old, [dict(r) for r in old])
    assert statuses(compared) == [("same", "Pre-training"), ("same", "Screening")]
    assert all(cell["was"] is None for r in compared for cell in r["cells"])
    assert [cell["text"] for cell in compared[1]["cells"]] == ["Screening", "x", "x", "x", "x", "x", "x"]


def test_a_changed_figure_keeps_its_earlier_text() -> None:
    compared = footprint.stage_table_diff([row("Screening", runs="650")], [row("Screening", runs="200")])
    assert statuses(compared) == [("changed", "Screening")]
    assert [(cell["text"], cell["was"]) for cell in compared[0]["cells"]] == [
        ("Screening", None), ("x", None), ("x", None), ("200", "650"), ("x", None), ("x", None), ("x", None)]


def test_a_renamed_stage_is_compared_with_the_one_in_its_place() -> None:
    compared = footprint.stage_table_diff([row("Training"), row("Screening")], [row("Training"), row("Search")])
    assert statuses(compared) == [("same", "Training"), ("changed", "Search")]
    assert compared[1]["cells"][0]["was"] == "Screening"


def test_stages_added_at_the_end_and_stages_dropped() -> None:
    longer = footprint.stage_table_diff([row("Training")], [row("Training"), row("Screening"), row("Inference")])
    assert statuses(longer) == [("same", "Training"), ("added", "Screening"), ("added", "Inference")]
    assert all(cell["was"] is None for r in longer for cell in r["cells"])
    shorter = footprint.stage_table_diff([row("Training"), row("Screening")], [row("Training")])
    assert statuses(shorter) == [("same", "Training"), ("removed", "Screening")]
    assert [cell["text"] for cell in shorter[1]["cells"]] == ["Screening", "x", "x", "x", "x", "x", "x"]
    assert footprint.stage_table_diff([row("Training")], []) == [
        {"status": "removed", "cells": [{"text": text, "was": None} for text in ["Training"] + ["x"] * 6]}]


def test_a_place_already_taken_by_a_stage_of_the_same_name_is_not_used_twice() -> None:
    # "Screening" moved to the front: it is compared with itself, and the new second stage has no partner left
    # (its place was Screening's), so it is new and "Training" is removed.
    compared = footprint.stage_table_diff([row("Training"), row("Screening")],
                                          [row("Screening"), row("Inference")])
    assert statuses(compared) == [("same", "Screening"), ("added", "Inference"), ("removed", "Training")]


def test_two_stages_of_the_same_name_each_find_their_own() -> None:
    compared = footprint.stage_table_diff([row("Run", runs="1"), row("Run", runs="2")],
                                          [row("Run", runs="1"), row("Run", runs="3")])
    assert statuses(compared) == [("same", "Run"), ("changed", "Run")]
    assert compared[1]["cells"][3] == {"text": "3", "was": "2"}

"""The compute-footprint calculator (Green Algorithms): worked examples, validation, stages, tiers, data."""
from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys

import pytest
import yaml

from app.questionnaires import footprint
from app.questionnaires.answers import display_value, parse_section, section_status
from app.questionnaires.loader import get_questionnaire
from app.questionnaires.scoring import score

DATA = footprint.current_data()
GA_FOLDER = footprint.DATA_DIR / "sources" / "green-algorithms-v3.0"
Q = get_questionnaire("ml-materials-ethics", 1)


def stage(**fields):
    base = {"hardware": "a100_pcie_80gb", "count": 4, "hours": 48, "memory_gb": 64, "usage": 1,
            "platform": "local_server", "location": "GB", "runs": 1}
    base.update(fields)
    return base


def close(actual: float, expected: float, tolerance: float = 0.001) -> bool:
    return abs(actual - expected) <= abs(expected) * tolerance


# --- the worked examples of footprint.md --------------------------------------------------------------

def test_worked_example_1_four_a100_on_the_gb_grid() -> None:
    result = footprint.statement([stage()], DATA)
    only = result["stages"][0]
    assert close(only["power_w"], 1909.19)
    assert close(result["energy_kwh"], 91.641)
    assert close(result["co2e_kg"], 21.18)
    assert close(result["tree_months"], 23.11)
    assert close(result["car_km"], 121.0)
    assert only["pue"] == 1.56 and only["watts_source"] == "rated" and only["intensity_g_per_kwh"] == 231.12
    assert result["data_version"] == "green-algorithms-v3.0+crucible.2"
    assert result["tier"] == "Low"


def test_worked_example_2_cpu_cores_given_in_watts_on_the_world_grid() -> None:
    result = footprint.statement([stage(hardware="other", power_w=7.5, count=12, hours=12, pue=1.67,
                                        location="WORLD")], DATA)
    assert close(result["energy_kwh"], 2.2814)
    assert close(result["co2e_kg"] * 1000, 1083.6)
    assert result["stages"][0]["watts_source"] == "given" and result["stages"][0]["pue_source"] == "given"


def test_worked_example_3_published_large_run_measured_and_rated() -> None:
    # 10,000 V100 for 14.8 days at a measured 330 W, PUE 1.10, 0.429 kg CO2e/kWh. The published figures
    # (about 1,287 MWh and 552 t) are rounded; the formula gives 1,289.4 MWh and 553.1 t (0.2% above).
    measured = footprint.statement([stage(hardware="v100", power_w=330, count=10_000, hours=14.8 * 24, memory_gb=0,
                                          pue=1.10, intensity=429)], DATA)
    assert close(measured["energy_kwh"] / 1000, 1287, tolerance=0.005)
    assert close(measured["co2e_kg"] / 1000, 552, tolerance=0.005)
    assert close(measured["energy_kwh"], 1_289_376)  # exactly 355.2 h x 3.63 MW
    assert measured["stages"][0]["watts_source"] == "measured"
    assert measured["tier"] == "High"
    rated = footprint.statement([stage(hardware="v100", count=10_000, hours=14.8 * 24, memory_gb=0, pue=1.10,
                                       intensity=429)], DATA)
    assert rated["stages"][0]["watts_source"] == "rated" and rated["stages"][0]["watts_per_device"] == 300
    assert close(1 - rated["energy_kwh"] / measured["energy_kwh"], 0.0909, tolerance=0.01)  # "about 9% lower"


def test_cpu_power_per_core_is_the_published_figure() -> None:
    result = footprint.statement([stage(hardware="xeon_gold_6148", count=20, memory_gb=0, platform="personal")], DATA)
    only = result["stages"][0]
    assert only["watts_per_device"] == 7.5 and only["count_unit"] == "cores"
    assert close(only["power_w"], 150)
    # Green Algorithms publishes 4.4 W per core for the EPYC 7763, not 280 W / 64 = 4.375 W.
    epyc = footprint.statement([stage(hardware="epyc_7763", count=64, hours=10, memory_gb=0, platform="personal")],
                               DATA)
    assert epyc["stages"][0]["watts_per_device"] == 4.4
    assert close(epyc["energy_kwh"], 64 * 4.4 * 10 / 1000, tolerance=1e-9)


# --- validation of every input ------------------------------------------------------------------------

@pytest.mark.parametrize("field_name, bad, message", [
    ("count", "0", "Enter a whole number from 1 to 1,000,000"),
    ("count", "2.5", "Enter a whole number"),
    ("count", "-3", "Enter a whole number from 1 to 1,000,000"),
    ("count", "10000001", "Enter a whole number from 1 to 1,000,000"),
    ("hours", "0", "Enter a number more than 0 and at most 100,000 hours"),
    ("hours", "-1", "Enter a number more than 0 and at most 100,000 hours"),
    ("hours", "1e9", "Enter a number more than 0 and at most 100,000 hours"),
    ("hours", "a week", "Enter a number"),
    ("memory_gb", "-1", "Enter a number from 0 to 100,000 GB"),
    ("memory_gb", "inf", "Enter a number"),
    ("usage", "0", "Enter a number more than 0 and at most 1"),
    ("usage", "1.5", "Enter a number more than 0 and at most 1"),
    ("pue", "0.9", "Enter a number from 1 to 3"),
    ("pue", "12", "Enter a number from 1 to 3"),
    ("power_w", "0", "Enter a number more than 0 and at most 15,000 W"),
    ("power_w", "15000.5", "Enter a number more than 0 and at most 15,000 W"),
    ("runs", "0", "Enter a number more than 0 and at most 1,000,000"),
    ("runs", "1000000.5", "Enter a number more than 0 and at most 1,000,000"),
    ("intensity", "-5", "Enter a number from 0 to 2,000 g CO2e/kWh"),
    ("intensity", "nan", "Enter a number"),
])
def test_every_number_is_checked(field_name: str, bad: str, message: str) -> None:
    with pytest.raises(footprint.FootprintError) as caught:
        footprint.parse_number(field_name, bad)
    assert caught.value.field == field_name and caught.value.message == message
    with pytest.raises(footprint.FootprintError):
        footprint.compute_stage(stage(**{field_name: bad}), DATA)


def test_numbers_accept_thousands_separators_and_blank() -> None:
    assert footprint.parse_number("count", "10,000") == 10_000
    assert footprint.parse_number("hours", " ") is None
    assert footprint.parse_number("usage", "0.5") == 0.5


@pytest.mark.parametrize("field_name, value, message", [
    ("hardware", "a100_pcie_81gb", "Select one of the listed hardware, or Other"),
    ("platform", "moon_base", "Select one of the platforms"),
    ("location", "XX", "Select one of the locations"),
    ("name", "x" * 101, "Enter 100 characters or fewer"),
])
def test_unknown_names_are_refused(field_name: str, value: str, message: str) -> None:
    _, errors = footprint.parse_stage(footprint.stages_to_form([stage(**{field_name: value})])[0], DATA)
    assert errors == {field_name: message}


def test_missing_fields_and_other_hardware_needs_watts() -> None:
    assert footprint.missing_fields({"hardware": "other"}) == {
        "count": "Enter the number of devices or cores", "hours": "Enter the hours one run takes",
        "memory_gb": "Enter the memory in GB (0 if you do not know)", "platform": "Select where the computing runs",
        "power_w": "Enter the power per device in watts (for CPUs, per core)",
    }
    assert footprint.missing_fields(stage()) == {}
    with pytest.raises(footprint.FootprintError) as caught:
        footprint.compute_stage(stage(hardware="other"), DATA)
    assert caught.value.field == "power_w"


def test_lookup_by_name_for_scripts() -> None:
    assert footprint.find_device(DATA, "NVIDIA A100 80GB PCIe") == "a100_pcie_80gb"
    assert footprint.find_platform(DATA, "aws") == "aws"
    assert footprint.find_location(DATA, "gb") == "GB"
    for finder, name in ((footprint.find_device, "A200"), (footprint.find_platform, "attic"),
                         (footprint.find_location, "Atlantis")):
        with pytest.raises(footprint.FootprintError, match="unknown"):
            finder(DATA, name)


# --- stages, defaults, tiers --------------------------------------------------------------------------

def test_defaults_usage_runs_location_and_platform_pue() -> None:
    result = footprint.statement([stage(usage=None, runs=None, location=None, platform="gcp")], DATA)
    only = result["stages"][0]
    assert (only["usage"], only["runs"], only["location"], only["pue"]) == (1.0, 1, "GB", 1.12)


def test_several_stages_are_summed_and_the_dominant_one_named() -> None:
    stages = [
        stage(name="Pre-training"),
        stage(name="Fine-tuning", count=1, hours=10),
        stage(name="Screening", hardware="epyc_7763", count=128, hours=24, memory_gb=256, runs=10),
    ]
    result = footprint.statement(stages, DATA)
    singles = [footprint.statement([s], DATA) for s in stages]
    assert close(result["energy_kwh"], sum(s["energy_kwh"] for s in singles), 1e-9)
    assert close(result["co2e_kg"], sum(s["co2e_kg"] for s in singles), 1e-9)
    assert [s["label"] for s in result["stages"]] == ["Pre-training", "Fine-tuning", "Screening"]
    assert result["dominant_stage"] == 2  # 128 cores x 10 runs outweigh the A100 run
    assert close(sum(s["share"] for s in result["stages"]), 1.0, 1e-9)


def test_statement_of_a_draft_counts_complete_stages_only() -> None:
    result = footprint.statement_for_answer([stage(), {"hardware": "v100", "count": 2}], DATA)
    assert result is not None and result["incomplete_stages"] == [2]
    assert close(result["co2e_kg"], 21.18)
    assert footprint.statement_for_answer([{"hardware": "v100"}], DATA) is None
    assert footprint.statement_for_answer(None, DATA) is None


def test_an_incomplete_stage_names_its_region_as_a_computed_one_does() -> None:
    complete = {"name": "Fine-tuning", "hardware": "a100_pcie_80gb", "count": 1, "hours": 10, "memory_gb": 16,
                "usage": 1, "platform": "local_server", "runs": 3}
    for location in ("GB", "gb", "gcp/us-west1"):
        computed, incomplete = footprint.stage_table([{**complete, "location": location},
                                                      {**complete, "location": location, "hours": None}], DATA)
        assert incomplete["energy"] == footprint.NOT_COMPUTED
        assert incomplete["region"] == computed["region"], location
    assert computed["region"] == f"us-west1 (Oregon), {DATA.grids['US-OR']['name']}"
    [gb] = footprint.stage_table([{**complete, "location": "GB", "hours": None}], DATA)
    assert gb["region"] == "United Kingdom"
    # A code the data do not know is shown as typed; none at all, as not given.
    unknown, blank = footprint.stage_table([{**complete, "location": "XX"}, {**complete, "location": None,
                                                                             "hours": None}], DATA)
    assert (unknown["region"], blank["region"]) == ("XX", "not given")


@pytest.mark.parametrize("energy_kwh, co2e_kg, expected", [
    (10, 99.99, "Low"),
    (10, 100, "Medium"),
    (10, 1000, "Medium"),
    (10, 1000.01, "High"),
    (10_000, 50, "Low"),
    (10_000.1, 50, "High"),  # above 10 MWh on a low-carbon grid is still High
])
def test_environment_tiers(energy_kwh: float, co2e_kg: float, expected: str) -> None:
    assert footprint.tier_for(energy_kwh, co2e_kg, DATA) == expected


def test_tier_of_whole_statements() -> None:
    assert footprint.statement([stage(runs=4)], DATA)["tier"] == "Low"      # 84.7 kg
    assert footprint.statement([stage(runs=5)], DATA)["tier"] == "Medium"   # 105.9 kg
    assert footprint.statement([stage(runs=48)], DATA)["tier"] == "High"    # 1.02 t
    # 12 MWh in Iceland: almost no carbon, but the energy alone makes it High.
    iceland = footprint.statement([stage(runs=131, location="IS")], DATA)
    assert iceland["co2e_kg"] < 2 and iceland["energy_kwh"] > 10_000 and iceland["tier"] == "High"


def test_the_tier_feeds_the_environment_category() -> None:
    def environment(stages):
        return score(Q, {"D1": stages}).categories["environment"]

    low = environment([stage()])
    assert low.tier == "Low" and [(r.question_id, r.level, r.points) for r in low.reasons] == [("D1", "L", 0)]
    assert "21.2 kg CO2e" in low.reasons[0].text
    medium = environment([stage(runs=5)])
    assert medium.tier == "Medium" and medium.points == 2
    high = environment([stage(runs=48)])
    assert high.tier == "High" and high.hard_trigger and high.reasons[0].text.endswith("— hard trigger")


# --- data: versioned file, source and licence, pinning ------------------------------------------------

def test_data_file_states_version_source_and_licence() -> None:
    assert DATA.data_version == "green-algorithms-v3.0+crucible.2" and DATA.upstream_version == "v3.0"
    assert DATA.licence == "CC BY 4.0"
    assert "Lannelongue" in DATA.source and "CC BY 4.0" in DATA.attribution and "v3.0" in DATA.attribution
    assert DATA.devices["a100_pcie_80gb"]["watts"] == 300 and DATA.devices["a100_pcie_80gb"]["kind"] == "gpu"
    assert DATA.grids["GB"]["g_per_kwh"] == 231.12 and DATA.platforms["local_server"]["pue"] == 1.56
    exported = DATA.to_dict()
    assert exported["devices"]["epyc_7763"]["watts"] == 4.4 and exported["data_version"] == DATA.data_version


def test_every_published_location_and_datacentre_is_imported() -> None:
    # CI_aggregated.csv has 131 rows; the cloud datacentres file 78, one of them (Azure Qatar Central)
    # published without a location.
    assert len(DATA.grids) == 131 and DATA.grids["US-CA"]["g_per_kwh"] == 216.43
    assert DATA.grids["UY"] == {"name": "Uruguay", "g_per_kwh": 129,
                                "source": "https://app.electricitymaps.com/zone/UY Data from 2021"}
    assert len(DATA.datacentres) == 77
    assert DATA.datacentres["gcp/europe-west1"] == {"name": "europe-west1 (Belgium)", "platform": "gcp",
                                                    "location": "BE", "pue": 1.08}


def test_the_import_script_reproduces_the_committed_data(tmp_path) -> None:
    output = tmp_path / "imported.yaml"
    subprocess.run([sys.executable, "scripts/import_green_algorithms.py", str(GA_FOLDER), str(output)],
                   check=True, capture_output=True)
    assert output.read_text() == footprint.DATA_FILE.read_text()


def test_a_statement_recomputes_with_the_data_version_it_recorded() -> None:
    # The first data file gave CPUs as TDP / cores: 280 W / 64 for the EPYC 7763; the import gives 4.4 W.
    cpu_stage = stage(hardware="epyc_7763", count=64, hours=100, memory_gb=0, platform="personal")
    first = footprint.statement([cpu_stage], footprint.data_for_version("green-algorithms-v3.0"))
    assert first["data_version"] == "green-algorithms-v3.0"
    assert close(first["energy_kwh"], 280 * 100 / 1000, tolerance=1e-9)
    again = footprint.statement([cpu_stage], footprint.data_for_version(first["data_version"]))
    assert again == first
    assert close(footprint.statement([cpu_stage], DATA)["energy_kwh"], 64 * 4.4 * 100 / 1000, tolerance=1e-9)
    with pytest.raises(footprint.FootprintDataError):
        footprint.data_for_version("green-algorithms-v3.1")


def test_every_data_file_is_registered_under_its_version() -> None:
    files = {path.name for path in footprint.DATA_DIR.glob("*.yaml") if not path.name.startswith("extra-")}
    assert files == {path.name for path in footprint.DATA_FILES.values()}
    for version in footprint.DATA_FILES:
        assert footprint.data_for_version(version).data_version == version


def test_adding_a_device_is_a_data_change_only(tmp_path) -> None:
    copy = tmp_path / "green-algorithms-v9.9.yaml"
    shutil.copy(footprint.DATA_FILE, copy)
    shutil.copy(footprint.DATA_DIR / "extra-hardware.1.yaml", tmp_path)
    raw = yaml.safe_load(copy.read_text())
    raw["data_version"] = "green-algorithms-v9.9"
    raw["devices"]["b200"] = {"name": "NVIDIA B200", "kind": "gpu", "tdp_w": 1000}
    copy.write_text(yaml.safe_dump(raw))
    data = footprint.load_data(copy)
    result = footprint.statement([stage(hardware="b200", count=1, memory_gb=0, platform="personal", hours=1)], data)
    assert close(result["energy_kwh"], 1.0) and result["data_version"] == "green-algorithms-v9.9"


def test_a_broken_data_file_is_refused_with_every_problem(tmp_path) -> None:
    raw = yaml.safe_load(footprint.DATA_FILE.read_text())
    raw["devices"]["bad"] = {"name": "Bad", "kind": "fpga", "tdp_w": -1}
    raw["platforms"]["bad"] = {"name": "Bad", "pue": 0.5}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw))
    shutil.copy(footprint.DATA_DIR / "extra-hardware.1.yaml", tmp_path)
    with pytest.raises(footprint.FootprintDataError) as caught:
        footprint.load_data(path)
    assert "devices.bad.kind" in str(caught.value) and "devices.bad.tdp_w" in str(caught.value)
    assert "platforms.bad.pue" in str(caught.value)


def test_statements_record_the_data_version_they_used() -> None:
    newer = dataclasses.replace(DATA, data_version="green-algorithms-v3.1",
                                grids={**DATA.grids, "GB": {"name": "United Kingdom", "g_per_kwh": 200.0}})
    old = footprint.statement([stage()], DATA)
    new = footprint.statement([stage()], newer)
    assert (old["data_version"], new["data_version"]) == ("green-algorithms-v3.0+crucible.2", "green-algorithms-v3.1")
    assert close(new["co2e_kg"], 91.641 * 0.2)
    # The old statement is a plain dict: nothing in it refers back to the data it was computed from.
    assert old["co2e_kg"] == pytest.approx(21.1801, rel=1e-4)


# --- the stages question in the form parser -----------------------------------------------------------

def _form(stages: list[dict], qid: str = "D1") -> dict[str, list[str]]:
    form: dict[str, list[str]] = {"__present__": [qid]}
    for index, fields in enumerate(footprint.stages_to_form(stages)):
        form.update({f"{qid}-{index}-{name}": [text] for name, text in fields.items()})
    return form


def test_stages_round_trip_through_the_form() -> None:
    stages = [stage(name="Pre-training"), stage(name="Inference", hardware="t4", count=8, hours=2.5, runs=100)]
    result = parse_section(Q, "D", _form(stages), {}, check_required=True)
    assert result.errors == {} and result.unknown_fields == []
    saved = result.values["D1"]
    assert [s["name"] for s in saved] == ["Pre-training", "Inference"]
    assert saved[1] == {"name": "Inference", "hardware": "t4", "power_w": None, "count": 8, "hours": 2.5,
                        "memory_gb": 64.0, "usage": 1.0, "platform": "local_server", "pue": None, "location": "GB",
                        "runs": 100}


def test_remove_button_drops_its_stage_and_blank_stages_are_dropped() -> None:
    form = _form([stage(name="A"), stage(name="B"), stage(name="C")])
    form["D1-remove"] = ["1"]
    form.update({"D1-7-usage": ["1"], "D1-7-runs": ["1"], "D1-7-location": ["GB"]})  # an added, untouched stage
    result = parse_section(Q, "D", form, {}, check_required=False)
    assert [s["name"] for s in result.values["D1"]] == ["A", "C"]
    cleared = parse_section(Q, "D", {"__present__": ["D1"]}, {"D1": [stage()]}, check_required=False)
    assert cleared.values == {"D1": None}


def test_stage_errors_are_reported_per_stage_and_kept() -> None:
    form = _form([stage(), stage(count="four", hours="-2")])
    result = parse_section(Q, "D", form, {}, check_required=False)
    assert result.errors == {"D1": "Correct stage 2 (number of devices or cores, hours per run)"}
    assert result.raw["D1"][1]["count"] == "four"


def test_incomplete_stages_are_a_required_error_only_when_continuing() -> None:
    form = _form([{"hardware": "v100", "count": 2}])
    draft = parse_section(Q, "D", form, {}, check_required=False)
    assert draft.errors == {} and draft.values["D1"][0]["count"] == 2
    finishing = parse_section(Q, "D", form, {}, check_required=True)
    assert finishing.errors == {"D1": "Complete stage 1 (hours per run, memory, platform)"}
    assert section_status(Q, "D", {"D1": draft.values["D1"]}, set()) == "in_progress"
    assert section_status(Q, "D", {"D1": [stage()]}, set()) == "completed"


def test_stages_are_displayed_as_text() -> None:
    text = display_value(Q.question("D1"), [stage(name="Pre-training"), stage(hardware="epyc_7763", count=64)])
    assert text.startswith("Pre-training: 4 × NVIDIA A100 80GB PCIe, 48 h per run, 64 GB memory")
    assert "Stage 2: 64 × AMD EPYC 7763 (cores)" in text


# --- host CPU cores, facility presets, datacentres, hardware outside Green Algorithms -----------------

def test_gpu_stages_count_their_host_cores() -> None:
    # 4 x A100 80GB PCIe with 32 host cores at Green Algorithms' 12 W per unknown CPU core:
    # 1.56 * (4 * 300 + 32 * 12 + 64 * 0.3725) = 1.56 * 1607.84 = 2508.2304 W,
    # against 1909.19 W without them (23.9% low).
    with_host = footprint.statement([stage(host_cores=32)], DATA)
    only = with_host["stages"][0]
    assert close(only["power_w"], 2508.2304, tolerance=1e-9)
    assert (only["host_cores"], only["host_watts_per_core"], only["host_cores_source"]) == (32, 12.0, "given")
    without = footprint.statement([stage()], DATA)
    assert without["stages"][0]["host_cores"] == 0 and without["stages"][0]["host_cores_source"] == "none"
    assert close(1 - without["energy_kwh"] / with_host["energy_kwh"], 0.2388, tolerance=0.01)


def test_a_facility_preset_supplies_host_cores_cpu_and_grid() -> None:
    # CSD3's A100 nodes: 2 x EPYC 7763 (4.4 W per core as published) for 4 GPUs, 32 cores each.
    # 1.56 * (4 * 400 + 128 * 4.4) = 3374.592 W; 10 h -> 33.74592 kWh; GB grid 231.12 g/kWh.
    result = footprint.statement([{"hardware": "a100_sxm4", "count": 4, "hours": 10, "memory_gb": 0,
                                   "platform": "csd3_ampere"}], DATA)
    only = result["stages"][0]
    assert (only["host_cores"], only["host_watts_per_core"], only["host_cores_source"]) == (128, 4.4, "platform")
    assert close(result["energy_kwh"], 33.74592, tolerance=1e-9)
    assert close(result["co2e_kg"], 33.74592 * 231.12 / 1000, tolerance=1e-9)
    assert only["location"] == "GB"
    given = footprint.statement([{"hardware": "a100_sxm4", "count": 4, "hours": 10, "memory_gb": 0,
                                  "platform": "csd3_ampere", "host_cores": 0}], DATA)
    assert close(given["energy_kwh"], 1.56 * 1600 * 10 / 1000, tolerance=1e-9)


def test_cpu_stages_have_no_host_cores() -> None:
    result = footprint.statement([stage(hardware="epyc_7742", count=128, host_cores=64, hours=1, memory_gb=0,
                                        platform="archer2")], DATA)
    only = result["stages"][0]
    assert only["host_cores"] == 0
    assert close(only["power_w"], 1.56 * 128 * 225 / 64, tolerance=1e-9)


def test_a_datacentre_gives_its_grid_and_published_pue() -> None:
    # gcp/europe-west1 is in Belgium (161.89 g/kWh) with a published PUE of 1.08.
    result = footprint.statement([stage(hardware="t4", count=1, hours=100, memory_gb=0, platform="gcp",
                                        location="gcp/europe-west1")], DATA)
    only = result["stages"][0]
    assert only["pue"] == 1.08 and only["pue_source"] == "datacentre"
    assert close(result["co2e_kg"], 1.08 * 70 * 100 / 1000 * 161.89 / 1000, tolerance=1e-9)
    # A datacentre published without a PUE falls back on the provider's.
    other = footprint.statement([stage(hardware="t4", count=1, hours=100, memory_gb=0, platform="gcp",
                                       location="gcp/us-west2")], DATA)
    assert other["stages"][0]["pue"] == 1.12 and other["stages"][0]["pue_source"] == "platform"
    assert footprint.find_location(DATA, "GCP/Europe-West1") == "gcp/europe-west1"
    value, errors = footprint.parse_stage({"location": "gcp/europe-west1", "host_cores": "2.5"}, DATA)
    assert value["location"] == "gcp/europe-west1" and errors == {"host_cores": "Enter a whole number"}


@pytest.mark.parametrize("key, watts", [("h100_sxm", 700), ("h200_sxm", 700), ("gh200", 1000), ("l40s", 350),
                                        ("mi250x", 560), ("mi300x", 750), ("epyc_7742", 225 / 64),
                                        ("a100_sxm4", 400), ("h100_pcie", 350)])
def test_hardware_outside_green_algorithms_cites_its_datasheet(key: str, watts: float) -> None:
    assert close(DATA.device_watts(key), watts, tolerance=1e-9)
    assert DATA.devices[key]["source"].startswith("https://")
    assert "from_version" not in DATA.devices[key]


def test_uk_facility_presets_cite_their_documentation() -> None:
    for key in ("archer2", "isambard_ai", "baskerville", "jade2", "csd3_ampere"):
        preset = DATA.platforms[key]
        assert preset["source"].startswith("https://") and preset["location"] == "GB"
        assert preset["hardware"] in DATA.devices and preset["pue"] >= 1
    assert DATA.platforms["isambard_ai"]["host_cores_per_device"] == 0  # the Grace CPU is in the GH200's power


def test_host_cores_are_stored_only_when_given() -> None:
    value, errors = footprint.parse_stage(stage(host_cores="32"), DATA)
    assert errors == {} and value["host_cores"] == 32
    value, errors = footprint.parse_stage(stage(), DATA)
    assert errors == {} and "host_cores" not in value
    assert footprint.stages_to_form([stage(host_cores=32)])[0]["host_cores"] == "32"
    assert "32 host CPU cores" in footprint.describe_stage(stage(host_cores=32), DATA)
    assert "host" not in footprint.describe_stage(stage(), DATA)


def test_a_whole_node_or_superchip_is_accepted_with_a_warning() -> None:
    # A GB200 superchip at about 2,700 W for 10 h on a personal computer (PUE 1): 27 kWh.
    result = footprint.statement([stage(hardware="other", power_w=2700, count=1, hours=10, memory_gb=0,
                                        platform="personal")], DATA)
    assert close(result["energy_kwh"], 27, tolerance=1e-9)
    assert "2,700 W per device is more than one device usually draws (2,000 W)" in result["stages"][0]["warnings"][0]
    at_limit = footprint.statement([stage(hardware="other", power_w=2000, count=1, hours=1, memory_gb=0)], DATA)
    assert at_limit["stages"][0]["warnings"] == []
    assert footprint.parse_number("power_w", "15000") == 15000


# --- fractional runs, a given carbon intensity, kinds of computing, breakdown, methods sentence ---------

def test_fractional_runs_scale_the_energy() -> None:
    half = footprint.statement([stage(runs="0.5")], DATA)
    assert close(half["energy_kwh"], 91.641 / 2) and half["stages"][0]["runs"] == 0.5
    assert footprint.parse_number("runs", "2") == 2 and isinstance(footprint.parse_number("runs", "2"), int)
    assert footprint.parse_number("runs", "2.5") == 2.5


def test_a_measured_or_supplier_intensity_replaces_the_grid() -> None:
    value, errors = footprint.parse_stage(stage(intensity="50"), DATA)
    assert errors == {} and value["intensity"] == 50
    result = footprint.statement([value], DATA)
    assert close(result["co2e_kg"], 91.641 * 50 / 1000)
    assert result["stages"][0]["location_name"] == "Given carbon intensity"
    assert result["stages"][0]["intensity_source"] == "given"
    assert footprint.statement([stage()], DATA)["stages"][0]["intensity_source"] == "grid"
    _, errors = footprint.parse_stage(stage(intensity="5000"), DATA)
    assert errors == {"intensity": "Enter a number from 0 to 2,000 g CO2e/kWh"}


def test_kinds_of_computing_include_generating_training_data() -> None:
    value, errors = footprint.parse_stage(stage(activity="data_generation"), DATA)
    assert errors == {} and value["activity"] == "data_generation"
    _, errors = footprint.parse_stage(stage(activity="mining"), DATA)
    assert errors == {"activity": "Select one of the kinds of computing"}
    assert "activity" not in footprint.parse_stage(stage(), DATA)[0]
    with pytest.raises(footprint.FootprintError):
        footprint.compute_stage(stage(activity="mining"), DATA)


def test_the_breakdown_splits_cpu_gpu_and_memory() -> None:
    # Worked example 1: GPUs 1.56 * 1200 W * 48 h = 89.856 kWh; memory 1.56 * 23.84 W * 48 h = 1.7851392 kWh.
    result = footprint.statement([stage()], DATA)
    parts = result["breakdown_kwh"]
    assert close(parts["gpu"], 89.856, 1e-9) and close(parts["memory"], 1.7851392, 1e-9)
    assert parts["cpu"] == 0 and parts["other"] == 0
    assert close(result["breakdown_co2e_kg"]["gpu"], 89.856 * 231.12 / 1000, 1e-9)
    # CSD3 adds 128 host cores at 4.4 W: 1.56 * 563.2 W * 10 h = 8.78592 kWh of CPU next to 24.96 of GPU;
    # a CPU stage (12 cores of the EPYC 7763, 4.4 W each, PUE 1, 10 h) is all CPU: 0.528 kWh.
    both = footprint.statement([
        {"hardware": "a100_sxm4", "count": 4, "hours": 10, "memory_gb": 0, "platform": "csd3_ampere"},
        stage(hardware="epyc_7763", count=12, hours=10, memory_gb=0, platform="personal")], DATA)
    assert close(both["breakdown_kwh"]["cpu"], 8.78592 + 0.528, 1e-9)
    assert close(both["breakdown_kwh"]["gpu"], 24.96, 1e-9)
    assert close(sum(both["breakdown_kwh"].values()), both["energy_kwh"], 1e-9)
    other = footprint.statement([stage(hardware="other", power_w=100, count=2, hours=5, memory_gb=0,
                                       platform="personal")], DATA)
    assert other["breakdown_kwh"] == {"cpu": 0.0, "gpu": 0.0, "memory": 0.0, "other": 1.0}


def test_a_methods_sentence_for_papers() -> None:
    # 4 GPUs x 48 h = 192 GPU-hours; 91.641 kWh and 21.18 kg CO2e.
    one = footprint.statement([stage(activity="training")], DATA)
    assert one["methods_sentence"] == (
        "Training used 192 GPU-hours on NVIDIA A100 80GB PCIe in United Kingdom, an estimated 91.6 kWh and "
        "21.2 kg CO2e (Green Algorithms v3.0, Lannelongue et al. 2021).")
    # 64 cores x 20 h x 1.5 runs = 1,920 core-hours at 4.4 W, PUE 1.56, France 51.28 g/kWh: 13.18 kWh, 0.676 kg.
    two = footprint.statement([stage(name="Pre-training"),
                               stage(activity="data_generation", hardware="epyc_7763", count=64, hours=20,
                                     runs=1.5, memory_gb=0, location="FR")], DATA)
    assert two["methods_sentence"] == (
        "Pre-training used 192 GPU-hours on NVIDIA A100 80GB PCIe in United Kingdom; generating training data "
        "(DFT/MD) used 1,920 CPU core-hours on AMD EPYC 7763 in France; in total an estimated 105 kWh and "
        "21.9 kg CO2e (Green Algorithms v3.0, Lannelongue et al. 2021).")
    legacy = footprint.statement([stage()], footprint.data_for_version("green-algorithms-v3.0"))
    assert legacy["methods_sentence"].startswith("Stage 1 used 192 GPU-hours")
    assert legacy["methods_sentence"].endswith("(Green Algorithms v3.0, Lannelongue et al. 2021).")
    # 1 device x 0.5 h = half a GPU-hour; 3 x 12.5 h = 37.5.
    assert footprint.statement([stage(count=1, hours=0.5)], DATA)["methods_sentence"].startswith(
        "Stage 1 used 0.5 GPU-hours")
    assert footprint.statement([stage(count=3, hours=12.5)], DATA)["methods_sentence"].startswith(
        "Stage 1 used 37.5 GPU-hours")


# --- behaviour the mutation run found untested ----------------------------------------------------------

def test_each_stage_is_described_in_full() -> None:
    assert footprint.describe_stage(stage(), DATA) == (
        "4 × NVIDIA A100 80GB PCIe, 48 h per run, 64 GB memory, usage 1, A local server or HPC cluster, grid GB, "
        "1 run(s)")
    cpu = stage(hardware="xeon_gold_6148", count=12, power_w=6, memory_gb=0, usage=0.5, platform="personal", pue=1.2,
                location="FR", runs=3)
    assert footprint.describe_stage(cpu, DATA) == (
        "12 × Intel Xeon Gold 6148 (cores), 6 W per core measured, 48 h per run, 0 GB memory, usage 0.5, "
        "A personal computer, PUE 1.2, grid FR, 3 run(s)")
    other = {"hardware": "other", "power_w": 100, "count": 2, "hours": 5, "memory_gb": 8, "platform": "gcp"}
    assert footprint.describe_stage(other, DATA) == (
        "2 × other hardware, 100 W per device, 5 h per run, 8 GB memory, Google Cloud, grid GB, 1 run(s)")
    assert footprint.describe_stage({}, DATA) == (
        "? × hardware not given, ? h per run, ? GB memory, platform not given, grid GB, 1 run(s)")
    assert footprint.describe_stage({"hardware": "a300", "platform": "attic", "memory_gb": " "}, DATA) == (
        "? × a300, ? h per run, ? GB memory, attic, grid GB, 1 run(s)")


def test_stages_are_described_one_after_another() -> None:
    text = footprint.describe_stages([stage(name="Pre-training"), "not a stage", stage(count=1)], DATA)
    assert text == ("Pre-training: 4 × NVIDIA A100 80GB PCIe, 48 h per run, 64 GB memory, usage 1, A local server "
                    "or HPC cluster, grid GB, 1 run(s); Stage 3: 1 × NVIDIA A100 80GB PCIe, 48 h per run, "
                    "64 GB memory, usage 1, A local server or HPC cluster, grid GB, 1 run(s)")
    assert footprint.describe_stages("typed text", DATA) == "typed text"
    assert footprint.describe_stages([], DATA) == ""
    assert footprint.describe_stages([stage()]) == "Stage 1: " + footprint.describe_stage(stage())


def test_device_kinds() -> None:
    assert [DATA.device_kind(key) for key in ("a100_pcie_80gb", "tpu_v4", "epyc_7763", "other", "a300")] == [
        "gpu", "tpu", "cpu", "other", "other"]


def test_the_browser_gets_every_part_of_the_data() -> None:
    exported = DATA.to_dict()
    assert set(exported) == {"data_version", "label", "constants", "tiers", "devices", "platforms", "grids",
                             "datacentres"}
    assert (exported["label"], exported["constants"], exported["tiers"]) == (DATA.label, DATA.constants, DATA.tiers)
    assert (exported["platforms"], exported["grids"], exported["datacentres"]) == (
        DATA.platforms, DATA.grids, DATA.datacentres)
    # The first data file gave no per-core figure: the browser gets TDP / cores.
    first = footprint.data_for_version("green-algorithms-v3.0").to_dict()
    assert first["devices"]["epyc_7763"]["watts"] == 280 / 64 and first["devices"]["v100"]["watts"] == 300


def test_typed_stage_fields_are_kept_as_typed_or_blank() -> None:
    value, errors = footprint.parse_stage({"name": "  ", "location": ""}, DATA)
    assert errors == {} and value["name"] is None and value["location"] is None
    value, errors = footprint.parse_stage({"name": "x" * 100, "location": "xx"}, DATA)
    assert value["name"] == "x" * 100 and value["location"] == "XX"
    assert errors == {"location": "Select one of the locations"}
    _, errors = footprint.parse_stage({"name": "x" * 101}, DATA)
    assert errors == {"name": "Enter 100 characters or fewer"}


def test_a_blank_stage_before_filled_ones_drops_only_itself() -> None:
    stages, errors = footprint.parse_stages([{}, stage(name="A"), {"name": " "}, stage(name="B", count="x")], DATA)
    assert [s["name"] for s in stages] == ["A", "B"]
    assert errors == {1: {"count": "Enter a number"}}


def test_the_summary_names_every_stage_to_correct() -> None:
    assert footprint.stages_summary_error({2: {"count": "x", "hardware": "y"}, 0: {"hours": "z"}}) == (
        "Correct stage 1 (hours per run); stage 3 (number of devices or cores, hardware)")


def test_stages_are_shown_in_the_form_as_typed() -> None:
    rows = footprint.stages_to_form([{"count": 4, "memory_gb": 64.0, "hours": 2.5, "usage": 1e-7, "name": "A"},
                                     "typed text"])
    assert (rows[0]["count"], rows[0]["memory_gb"], rows[0]["hours"], rows[0]["usage"], rows[0]["name"]) == (
        "4", "64", "2.5", "1e-07", "A")
    assert rows[0]["hardware"] == "" and set(rows[1].values()) == {""}


def test_a_usage_factor_below_one_scales_the_devices_only() -> None:
    # 4 x 300 W at usage 0.5 = 600 W; memory 23.84 W is not scaled: 1.56 * 623.84 = 973.1904 W; 48 h.
    result = footprint.statement([stage(usage=0.5)], DATA)
    assert close(result["stages"][0]["power_w"], 973.1904, 1e-9)
    assert close(result["energy_kwh"], 973.1904 * 48 / 1000, 1e-9)
    # Host cores are scaled with the devices: 32 x 12 W x 0.25 = 96 W next to 4 x 300 x 0.25 = 300 W.
    hosted = footprint.statement([stage(usage=0.25, host_cores=32, memory_gb=0)], DATA)
    assert close(hosted["stages"][0]["power_w"], 1.56 * 396, 1e-9)


def test_figures_over_a_tonne_are_given_in_tonnes() -> None:
    assert footprint.format_carbon(2500) == "2.50 t CO2e"
    assert footprint.format_carbon(1000) == "1.00 t CO2e"
    assert footprint.format_carbon(999) == "999 kg CO2e"
    assert footprint.format_carbon(-2500) == "-2.50 t CO2e"
    # 48 runs of worked example 1: 48 x 21.18 kg = 1.017 t.
    big = footprint.statement([stage(runs=48)], DATA)
    assert close(big["co2e_kg"], 48 * 21.1801, 1e-4) and footprint.format_carbon(big["co2e_kg"]) == "1.02 t CO2e"


@pytest.mark.parametrize("value, shown", [
    (0, "0"), (0.012345, "0.0123"), (1, "1.00"), (5.678, "5.68"), (10, "10.0"), (12.34, "12.3"), (99.96, "100.0"),
    (100, "100"), (1234.6, "1,235"), (12_345_678, "12,345,678"), (-5, "-5.00"), (-0.5, "-0.5"),
])
def test_numbers_are_shown_with_three_or_four_significant_digits(value: float, shown: str) -> None:
    assert footprint.format_number(value) == shown


def test_equivalents_in_tree_months_and_car_km() -> None:
    # 11 kg = 11,000 g: 12 tree-months at 11,000 g per tree-year; 62.857 km at 175 g/km.
    assert footprint.equivalents(11, DATA) == pytest.approx({"tree_months": 12, "car_km": 11_000 / 175})
    assert footprint.format_energy(12_345) == "12,345 kWh"


def test_the_risk_reason_states_the_figures_and_the_rule() -> None:
    reasons = footprint.risk_reasons(["D2", "D1"], {"D1": [stage(runs=48)], "D2": None}, DATA)
    assert reasons == [("D1", "environment", "H!", 3,
                        "estimated footprint 1.02 t CO2e, 4,399 kWh (High: above 1 t CO2e or 10 MWh)")]
    assert footprint.risk_reasons(["D1"], {"D1": [stage()]})[0][2:4] == ("L", 0)


def test_errors_name_their_field() -> None:
    assert str(footprint.FootprintError("count", "Enter a number")) == "Number of devices or cores: Enter a number"
    assert str(footprint.FootprintError("storage", "Enter a number")) == "storage: Enter a number"
    with pytest.raises(footprint.FootprintDataError, match="no footprint data file has the version 'v0'"):
        footprint.data_for_version("v0")


def test_names_are_matched_ignoring_case_spaces_and_punctuation() -> None:
    assert footprint.find_device(DATA, "nvidia  a100-80GB pcie") == "a100_pcie_80gb"
    assert footprint.find_device(DATA, "NVIDIA Tesla V100") == "v100"  # the model as Green Algorithms names it
    assert footprint.find_platform(DATA, "google  cloud") == "gcp"
    with pytest.raises(footprint.FootprintError) as caught:
        footprint.find_device(DATA, "a300")
    assert "unknown hardware 'a300'; choose one of: amd_rx480, a100_pcie_40gb, a100_pcie_80gb, " in caught.value.message
    with pytest.raises(footprint.FootprintError) as caught:
        footprint.find_platform(DATA, "attic")
    assert caught.value.message.startswith("unknown platform 'attic'; choose one of: personal, local_server, gcp, ")
    with pytest.raises(footprint.FootprintError) as caught:
        footprint.find_location(DATA, "Atlantis")
    assert caught.value.message.startswith(
        "unknown location 'Atlantis'; use a code such as WORLD, TW, IL, ZA, CN, CN-HK (all: WORLD, TW, IL, ")


def test_incomplete_stages_are_numbered_and_later_stages_still_count() -> None:
    result = footprint.statement_for_answer([{"hardware": "v100"}, "typed text", stage(), stage(count=1)], DATA)
    assert result is not None and result["incomplete_stages"] == [1, 2]
    assert close(result["energy_kwh"], 91.641 + (1.56 * (300 + 23.84) * 48 / 1000))


def _refused(tmp_path, raw, extra=None) -> str:
    """The message of the FootprintDataError a data file (and its extra file) is refused with."""
    path = tmp_path / "data.yaml"
    path.write_text(yaml.safe_dump(raw))
    if extra is not None:
        (tmp_path / "extra.yaml").write_text(yaml.safe_dump(extra))
        raw["extra"] = "extra.yaml"
        path.write_text(yaml.safe_dump(raw))
    with pytest.raises(footprint.FootprintDataError) as caught:
        footprint.load_data(path)
    return str(caught.value)


def _minimal() -> dict:
    return {"data_version": "t", "label": "T", "source": "S", "licence": "L", "attribution": "A",
            "constants": {"memory_w_per_gb": 0.5, "default_usage": 1, "tree_g_per_year": 12, "car_g_per_km": 100,
                          "default_platform": "p", "default_location": "G"},
            "tiers": {"medium_kg": 1, "high_kg": 2, "high_kwh": 3},
            "devices": {"g": {"name": "G", "kind": "gpu", "watts": 10}},
            "platforms": {"p": {"name": "P", "pue": 1}}, "grids": {"G": {"name": "G", "g_per_kwh": 0}}}


def test_a_minimal_data_file_loads(tmp_path) -> None:
    path = tmp_path / "data.yaml"
    path.write_text(yaml.safe_dump(_minimal()))
    data = footprint.load_data(path)
    assert (data.data_version, data.upstream_version, data.datacentres, data.path) == ("t", "", {}, str(path))
    result = footprint.statement([{"hardware": "g", "count": 2, "hours": 5, "memory_gb": 4, "platform": "p"}], data)
    assert result["energy_kwh"] == pytest.approx((2 * 10 + 4 * 0.5) * 5 / 1000)


@pytest.mark.parametrize("change, problem", [
    (lambda r: r["devices"]["g"].update(watts=0), "devices.g.watts: a positive number"),
    (lambda r: r["devices"]["g"].update(watts="ten"), "devices.g.watts: a positive number"),
    (lambda r: r["devices"].update(c={"name": "C", "kind": "cpu", "tdp_w": 100}),
     "devices.c.cores: CPUs need their number of cores"),
    (lambda r: r["devices"].update(c={"name": "C", "kind": "cpu", "tdp_w": 0, "cores": 4}),
     "devices.c.tdp_w: a positive number"),
    (lambda r: r["devices"].update(c={"name": "", "kind": "gpu", "watts": 1}), "devices.c.name: required"),
    (lambda r: r["devices"].update(other={"name": "O", "kind": "gpu", "watts": 1}),
     "devices.other: reserved for hardware given in watts"),
    (lambda r: r["platforms"]["p"].update(pue=0.99), "platforms.p.pue: a number of 1 or more"),
    (lambda r: r["platforms"]["p"].update(pue="1"), "platforms.p.pue: a number of 1 or more"),
    (lambda r: r["grids"]["G"].update(g_per_kwh=-0.1), "grids.G.g_per_kwh: a number of 0 or more"),
    (lambda r: r["grids"]["G"].update(g_per_kwh=None), "grids.G.g_per_kwh: a number of 0 or more"),
    (lambda r: r.update(datacentres={"x/y": {"name": "Y", "platform": "p", "location": "H"}}),
     "datacentres.x/y.location: must name a grid"),
    (lambda r: r.update(datacentres={"x/y": {"name": "Y", "platform": "q", "location": "G"}}),
     "datacentres.x/y.platform: must name a platform"),
    (lambda r: r["platforms"]["p"].update(location="H"), "platforms.p.location: must name one of the grids"),
    (lambda r: r["platforms"]["p"].update(hardware="h"), "platforms.p.hardware: must name one of the devices"),
    (lambda r: r["platforms"]["p"].update(host_cpu="h"), "platforms.p.host_cpu: must name one of the devices"),
    (lambda r: r["constants"].pop("car_g_per_km"), "constants.car_g_per_km: a number"),
    (lambda r: r["constants"].update(default_platform="q"), "constants.default_platform: must name a platform"),
    (lambda r: r["constants"].update(default_location="H"), "constants.default_location: must name a grid"),
    (lambda r: r.pop("tiers"), "tiers: required"),
])
def test_every_problem_of_a_data_file_is_named(tmp_path, change, problem: str) -> None:
    raw = _minimal()
    change(raw)
    assert problem in _refused(tmp_path, raw).split(": ", 1)[1].split("; ")


def test_the_extra_file_adds_devices_and_platforms_but_never_replaces_them(tmp_path) -> None:
    raw = _minimal()
    (tmp_path / "extra.yaml").write_text(yaml.safe_dump({"devices": {"h": {"name": "H", "kind": "gpu", "watts": 5}},
                                                         "platforms": {"q": {"name": "Q", "pue": 2}}}))
    raw["extra"] = "extra.yaml"
    (tmp_path / "data.yaml").write_text(yaml.safe_dump(raw))
    data = footprint.load_data(tmp_path / "data.yaml")
    assert set(data.devices) == {"g", "h"} and set(data.platforms) == {"p", "q"}
    two = _minimal()
    two["devices"]["h"] = {"name": "H", "kind": "gpu", "watts": 1}
    clash = _refused(tmp_path, two, {"devices": {"h": {"name": "H2", "kind": "gpu", "watts": 1},
                                                 "g": {"name": "G2", "kind": "gpu", "watts": 1}}})
    assert clash.endswith("devices already in data.yaml: g, h")
    broken = _minimal()
    broken["extra"] = "missing.yaml"
    (tmp_path / "data.yaml").write_text(yaml.safe_dump(broken))
    with pytest.raises(footprint.FootprintDataError, match="missing.yaml: cannot read footprint data"):
        footprint.load_data(tmp_path / "data.yaml")
    (tmp_path / "data.yaml").write_text("- a list")
    with pytest.raises(footprint.FootprintDataError, match="expected a mapping"):
        footprint.load_data(tmp_path / "data.yaml")


@pytest.mark.parametrize("changes, field_name, message", [
    ({"platform": "attic"}, "platform", "unknown platform 'attic'"),
    ({"hardware": "a300"}, "hardware", "unknown hardware 'a300'"),
    ({"location": "XX"}, "location", "unknown location 'XX'"),
    ({"activity": "mining"}, "activity", "unknown kind of computing 'mining'"),
    ({"hours": ","}, "hours", "Enter the hours one run takes"),
    ({"platform": None}, "platform", "Select where the computing runs"),
    ({"hardware": "other", "power_w": ","}, "power_w", "Enter the power per device in watts (for CPUs, per core)"),
])
def test_a_stage_that_cannot_be_computed_names_the_field(changes: dict, field_name: str, message: str) -> None:
    with pytest.raises(footprint.FootprintError) as caught:
        footprint.compute_stage(stage(**changes), DATA)
    assert (caught.value.field, caught.value.message) == (field_name, message)


def test_every_stage_figure_is_reported() -> None:
    only = footprint.statement([stage()], DATA)["stages"][0]
    assert (only["hardware"], only["hardware_name"], only["kind"], only["activity"], only["warnings"]) == (
        "a100_pcie_80gb", "NVIDIA A100 80GB PCIe", "gpu", None, [])
    assert only["count_unit"] == "devices"
    assert (only["memory_gb"], only["platform"], only["platform_name"]) == (
        64.0, "local_server", "A local server or HPC cluster")
    other = footprint.statement([stage(hardware="other", power_w=2500)], DATA)["stages"][0]
    assert (other["hardware_name"], other["kind"], other["watts_source"]) == ("Other hardware", "other", "given")
    assert other["warnings"] == [
        "2,500 W per device is more than one device usually draws (2,000 W): check it is the power of one device "
        "(one core for CPUs), or of the whole node on purpose"]
    cpu = footprint.statement([stage(hardware="epyc_7763", count=8)], DATA)["stages"][0]
    assert (cpu["host_cores"], cpu["host_watts_per_core"], cpu["host_cores_source"]) == (0, 0.0, "none")
    tpu = footprint.statement([stage(hardware="tpu_v4", count=2, memory_gb=0, hours=10, platform="personal")], DATA)
    assert tpu["breakdown_kwh"] == {"cpu": 0.0, "gpu": pytest.approx(3.4), "memory": 0.0, "other": 0.0}


def test_the_summary_labels_shares_and_dominant_stage() -> None:
    result = footprint.statement([stage(), stage(name="B", count=8)], DATA)
    assert [s["label"] for s in result["stages"]] == ["Stage 1", "B"] and result["dominant_stage"] == 1
    assert result["incomplete_stages"] == [] and result["data_label"] == DATA.label
    assert result["attribution"] == DATA.attribution
    # No carbon at all (a zero intensity): equal shares, and the larger energy is the dominant stage.
    clean = footprint.statement([stage(count=8, intensity=0), stage(intensity=0)], DATA)
    assert [s["share"] for s in clean["stages"]] == [0.5, 0.5] and clean["dominant_stage"] == 0


def test_a_preset_elsewhere_gives_its_grid_and_without_host_figures_no_host_power() -> None:
    paris = dataclasses.replace(DATA, platforms={**DATA.platforms, "paris": {"name": "Paris", "pue": 1.2,
                                                                             "location": "FR"}})
    result = footprint.statement([{"hardware": "t4", "count": 1, "hours": 10, "memory_gb": 0, "platform": "paris"}],
                                 paris)
    assert result["stages"][0]["location"] == "FR" and close(result["co2e_kg"], 1.2 * 70 * 10 / 1000 * 51.28 / 1000)
    bare = dataclasses.replace(DATA, constants={k: v for k, v in DATA.constants.items()
                                                if k != "unknown_cpu_w_per_core"})
    hosted = footprint.statement([stage(host_cores=8)], bare)["stages"][0]
    assert hosted["host_watts_per_core"] == 0 and close(hosted["power_w"], 1909.19)
    # The data passed is the data used: a GB grid of 2,000 g/kWh makes worked example 1 183 kg, Medium.
    dirty = dataclasses.replace(DATA, grids={**DATA.grids, "GB": {"name": "United Kingdom", "g_per_kwh": 2000}})
    assert footprint.risk_reasons(["D1"], {"D1": [stage()]}, dirty)[0][2:] == (
        "M", 2, "estimated footprint 183 kg CO2e, 91.6 kWh (Medium: 100 kg to 1 t CO2e)")


def test_the_methods_sentence_leaves_out_the_place_of_a_given_intensity() -> None:
    # 1 x T4 for 2,500 h at 20 g/kWh: 1.56 * 70 W * 2,500 h = 273 kWh, 5.46 kg.
    result = footprint.statement([stage(hardware="t4", count=1, hours=2500, memory_gb=0, intensity=20)], DATA)
    assert result["methods_sentence"] == ("Stage 1 used 2,500 GPU-hours on NVIDIA T4, an estimated 273 kWh and "
                                          "5.46 kg CO2e (Green Algorithms v3.0, Lannelongue et al. 2021).")


def test_numbers_as_people_type_them() -> None:
    assert footprint.parse_number("count", "1__000") == 1000 and footprint.parse_number("count", " 1 000 ") == 1000
    assert footprint.parse_number("hours", 2.5) == 2.5 and footprint.parse_number("hours", "  ") is None
    for bad in (True, "nan", "inf", "ten"):
        with pytest.raises(footprint.FootprintError) as caught:
            footprint.parse_number("hours", bad)
        assert (caught.value.field, caught.value.message) == ("hours", "Enter a number")


def test_shares_of_the_carbon_and_a_statement_of_no_stages() -> None:
    # 4 and 12 A100s with 64 GB each, alike otherwise: shares of 1223.84 W and 3623.84 W.
    result = footprint.statement([stage(), stage(count=12)], DATA)
    assert [s["share"] for s in result["stages"]] == pytest.approx([1223.84 / 4847.68, 3623.84 / 4847.68])
    empty = footprint.statement([], DATA)
    assert (empty["energy_kwh"], empty["co2e_kg"], empty["dominant_stage"], empty["stages"]) == (0, 0, None, [])
    assert footprint.parse_stage({"hardware": "v100"}, DATA)[0]["name"] is None


def test_stages_are_described_with_the_data_given() -> None:
    renamed = dataclasses.replace(DATA, devices={**DATA.devices, "v100": {**DATA.devices["v100"], "name": "Volta"}})
    assert footprint.describe_stages([stage(hardware="v100", count=2)], renamed).startswith("Stage 1: 2 × Volta, ")


def test_the_breakdown_scales_host_cores_by_the_usage_factor() -> None:
    # Host cores at usage 0.5: 32 x 12 W x 0.5 = 192 W of CPU, through PUE 1.56 for 10 h = 2.9952 kWh.
    hosted = footprint.statement([stage(host_cores=32, usage=0.5, hours=10)], DATA)
    assert close(hosted["breakdown_kwh"]["cpu"], 2.9952, 1e-9)
    assert close(hosted["breakdown_kwh"]["gpu"], 1.56 * 600 * 10 / 1000, 1e-9)


def test_the_data_file_reads_back_as_released(tmp_path) -> None:
    fresh = footprint.load_data(footprint.DATA_FILE)
    assert fresh == DATA and fresh.path == str(footprint.DATA_FILE)
    assert (fresh.label, fresh.licence, fresh.upstream_version, len(fresh.datacentres)) == (
        "Green Algorithms data v3.0", "CC BY 4.0", "v3.0", 77)
    # Folded text is read as one line.
    assert fresh.source.startswith('Lannelongue, Grealey & Inouye, "Green Algorithms: Quantifying the Carbon ')
    assert fresh.attribution.startswith("Hardware power, PUE and carbon-intensity figures from the Green Algorithms ")
    with pytest.raises(footprint.FootprintDataError, match="nope.yaml: cannot read footprint data"):
        footprint.load_data(tmp_path / "nope.yaml")


def test_several_problems_are_listed_together(tmp_path) -> None:
    raw = _minimal()
    raw.pop("tiers")
    raw.pop("grids")
    assert _refused(tmp_path, raw).endswith("data.yaml: tiers: required; grids: required")
    raw = _minimal()
    raw["platforms"]["p"]["pue"] = 0.5
    raw["grids"]["G"]["g_per_kwh"] = -1
    assert _refused(tmp_path, raw).endswith(
        "data.yaml: platforms.p.pue: a number of 1 or more; grids.G.g_per_kwh: a number of 0 or more")


def test_devices_under_a_watt_are_accepted(tmp_path) -> None:
    raw = _minimal()
    raw["devices"].update(tiny={"name": "T", "kind": "gpu", "watts": 0.5},
                          pi={"name": "P", "kind": "cpu", "tdp_w": 0.5, "cores": 1})
    path = tmp_path / "data.yaml"
    path.write_text(yaml.safe_dump(raw))
    assert footprint.load_data(path).device_watts("pi") == 0.5

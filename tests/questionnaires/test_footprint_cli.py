"""`flask footprint`: one stage from the command line."""
from __future__ import annotations

import json

import pytest

from app import create_app


@pytest.fixture(scope="module")
def runner(tmp_path_factory):
    instance = tmp_path_factory.mktemp("cli")
    app = create_app({"TESTING": True, "SECRET_KEY": "cli-test", "INSTANCE_DIR": str(instance),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'cli.sqlite3'}"})
    return app.test_cli_runner()


def run_json(runner, *args):
    result = runner.invoke(args=["footprint", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_worked_example_1_as_json(runner) -> None:
    out = run_json(runner, "--hardware", "a100_pcie_80gb", "--count", "4", "--hours", "48", "--memory-gb", "64",
                   "--platform", "local_server", "--location", "GB")
    assert set(out) == {"energy_kwh", "co2e_kg", "tree_months", "car_km", "data_version"}
    assert out["energy_kwh"] == pytest.approx(91.641, rel=1e-3)
    assert out["co2e_kg"] == pytest.approx(21.18, rel=1e-3)
    assert out["tree_months"] == pytest.approx(23.11, rel=1e-3)
    assert out["car_km"] == pytest.approx(121.0, rel=1e-3)
    assert out["data_version"] == "green-algorithms-v3.0+crucible.2"


def test_worked_example_2_with_watts_pue_and_defaults(runner) -> None:
    out = run_json(runner, "--watts", "7.5", "--count", "12", "--hours", "12", "--memory-gb", "64", "--pue", "1.67",
                   "--location", "WORLD")
    assert out["energy_kwh"] == pytest.approx(2.2814, rel=1e-3)
    assert out["co2e_kg"] * 1000 == pytest.approx(1083.6, rel=1e-3)
    # Defaults: memory 0, usage 1, runs 1, local server (PUE 1.56), GB grid.
    plain = run_json(runner, "--hardware", "NVIDIA V100", "--count", "1", "--hours", "10")
    assert plain["energy_kwh"] == pytest.approx(10 * 1.56 * 300 / 1000)
    assert plain["co2e_kg"] == pytest.approx(plain["energy_kwh"] * 231.12 / 1000)


def test_worked_example_3_measured_power_and_intensity(runner) -> None:
    out = run_json(runner, "--hardware", "v100", "--watts", "330", "--count", "10000", "--hours", "355.2",
                   "--pue", "1.1", "--intensity", "429", "--runs", "1")
    assert out["energy_kwh"] == pytest.approx(1_289_376, rel=1e-6)
    assert out["co2e_kg"] / 1000 == pytest.approx(552, rel=5e-3)


def test_text_output_says_which_power_figure_was_used(runner) -> None:
    result = runner.invoke(args=["footprint", "--hardware", "v100", "--watts", "330", "--count", "1", "--hours", "1"])
    assert result.exit_code == 0
    assert "330 W per device (measured)" in result.output and "CC BY 4.0" in result.output


@pytest.mark.parametrize("args, message", [
    (["--hardware", "a200", "--count", "1", "--hours", "1"], "--hardware: unknown hardware 'a200'"),
    (["--count", "1", "--hours", "1"], "give --hardware NAME or --watts W"),
    (["--hardware", "v100", "--count", "1", "--hours", "1", "--location", "XX"], "--location: unknown location 'XX'"),
    (["--hardware", "v100", "--count", "1", "--hours", "1", "--platform", "attic"], "--platform: unknown platform"),
    (["--hardware", "v100", "--count", "-4", "--hours", "1"], "--count: Enter a whole number from 1 to 1,000,000"),
    (["--hardware", "v100", "--count", "1", "--hours", "-1"], "--hours: Enter a number more than 0"),
    (["--hardware", "v100", "--count", "1", "--hours", "1e12"], "--hours: Enter a number more than 0"),
    (["--hardware", "v100", "--count", "1", "--hours", "1", "--memory-gb", "-2"], "--memory-gb: Enter a number"),
    (["--hardware", "v100", "--count", "1", "--hours", "1", "--usage", "3"], "--usage: Enter a number more than 0"),
    (["--hardware", "v100", "--count", "1", "--hours", "1", "--pue", "0.5"], "--pue: Enter a number from 1 to 3"),
    (["--watts", "99999", "--count", "1", "--hours", "1"], "--watts: Enter a number more than 0 and at most 15,000 W"),
    (["--hardware", "v100", "--count", "1", "--hours", "1", "--runs", "0"], "--runs: Enter a number more than 0"),
    (["--hardware", "v100", "--count", "1", "--hours", "1", "--intensity", "-3"], "--intensity: Enter a number"),
    (["--hardware", "v100", "--count", "1", "--hours", "1", "--location", "GB", "--intensity", "3"], "not both"),
    (["--hardware", "v100", "--count", "two", "--hours", "1"], "--count: Enter a number"),
])
def test_bad_input_exits_2_with_a_clear_message(runner, args, message) -> None:
    result = runner.invoke(args=["footprint", *args, "--json"])
    assert result.exit_code == 2
    assert message in result.output


def test_watts_up_to_a_node_are_accepted_with_a_warning_on_stderr(runner) -> None:
    # 2,700 W for 10 h, PUE 1 (personal), France's 51.28 g/kWh: 27 kWh and 1.38456 kg.
    args = ["footprint", "--watts", "2700", "--count", "1", "--hours", "10", "--platform", "personal",
            "--location", "FR", "--json"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert out["energy_kwh"] == pytest.approx(27) and out["co2e_kg"] == pytest.approx(27 * 51.28 / 1000)
    assert "Warning: --watts: 2,700 W per device is more than one device usually draws" in result.stderr
    quiet = runner.invoke(args=["footprint", "--watts", "2000", "--count", "1", "--hours", "1", "--json"])
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_host_cores_from_the_option_or_the_facility_preset(runner) -> None:
    # 4 x A100 80GB PCIe, 1 h, PUE 1.56, 32 host cores at 12 W: 1.56 * (1200 + 384) W = 2.47104 kWh.
    given = run_json(runner, "--hardware", "a100_pcie_80gb", "--count", "4", "--hours", "1", "--host-cores", "32")
    assert given["energy_kwh"] == pytest.approx(1.56 * 1584 / 1000)
    # Baskerville: 18 Xeon Platinum 8360Y cores (250 W / 36) per A100 SXM4.
    preset = runner.invoke(args=["footprint", "--hardware", "a100_sxm4", "--count", "4", "--hours", "1",
                                 "--platform", "baskerville"])
    assert preset.exit_code == 0, preset.output
    assert "Host CPUs:   72 cores at 6.94 W per core (platform)" in preset.output
    assert "--host-cores: Enter a whole number" in runner.invoke(args=[
        "footprint", "--hardware", "v100", "--count", "1", "--hours", "1", "--host-cores", "-1"]).output


def test_text_output_gives_the_breakdown_and_a_methods_sentence(runner) -> None:
    # 8 x V100 (300 W), 24 h, 0.5 run, 100 GB, PUE 1.56, GB grid: GPU 1.56 * 2400 * 12 / 1000 = 44.928 kWh,
    # memory 1.56 * 37.25 * 12 / 1000 = 0.6973 kWh; 8 x 24 x 0.5 = 96 GPU-hours.
    result = runner.invoke(args=["footprint", "--hardware", "v100", "--count", "8", "--hours", "24", "--runs", "0.5",
                                 "--memory-gb", "100", "--activity", "fine_tuning"])
    assert result.exit_code == 0, result.output
    assert "Breakdown:   GPU 44.9 kWh, memory 0.697 kWh" in result.output
    assert "Methods:     Fine-tuning used 96 GPU-hours on NVIDIA V100 in United Kingdom, an estimated 45.6 kWh" \
        in result.output

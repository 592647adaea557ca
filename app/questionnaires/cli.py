"""`flask questionnaire validate FILE` checks a questionnaire definition; `flask questionnaire footprint`
(also `flask footprint`) gives the footprint of one compute stage, for people who script.

    flask --app wsgi questionnaire footprint --hardware a100_pcie_80gb --count 4 --hours 48 --memory-gb 64 \
        --platform local_server --location GB --json

Bad input (unknown names, negative or absurd numbers) prints a clear message and exits with code 2.
"""
from __future__ import annotations

import json
import sys

import click
from flask import Flask
from flask.cli import AppGroup

from app.core.cli import add_group
from app.questionnaires import footprint
from app.questionnaires.loader import validate_file


def _bad(exc: footprint.FootprintError) -> click.UsageError:
    option = {"power_w": "--watts", "memory_gb": "--memory-gb"}.get(exc.field, f"--{exc.field.replace('_', '-')}")
    return click.UsageError(f"{option}: {exc.message}")


questionnaire_cli = AppGroup("questionnaire", help="Questionnaire definition tools and the footprint calculator.")


@questionnaire_cli.command("footprint")
@click.option("--hardware", metavar="NAME", help="Listed hardware, by key or name (e.g. a100_pcie_80gb).")
@click.option("--watts", metavar="W", help="Power per device (per core for CPUs); with --hardware, a measured "
                                           "average that replaces the rated figure.")
@click.option("--count", metavar="N", required=True, help="Number of devices (GPUs, TPUs) or cores (CPUs).")
@click.option("--hours", metavar="H", required=True, help="Hours one run takes.")
@click.option("--memory-gb", "memory_gb", metavar="G", default="0", show_default=True, help="Memory in GB.")
@click.option("--usage", metavar="U", default="1", show_default=True, help="Usage factor, more than 0 up to 1.")
@click.option("--pue", metavar="P", help="Power usage effectiveness (replaces the platform's typical value).")
@click.option("--platform", metavar="NAME", help="personal, local_server, gcp, aws, azure, ovhcloud, oracle, "
                                                "cloud_other (default local_server).")
@click.option("--location", metavar="CODE", help="Grid location code, e.g. GB, FR, US, WORLD (default GB).")
@click.option("--intensity", metavar="G", help="Carbon intensity in g CO2e/kWh (instead of --location).")
@click.option("--runs", metavar="R", default="1", show_default=True,
              help="Number of runs, including hyper-parameter search.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def footprint_command(hardware: str | None, watts: str | None, count: str, hours: str, memory_gb: str, usage: str,
                      pue: str | None, platform: str | None, location: str | None, intensity: str | None,
                      runs: str, as_json: bool) -> None:
    """Compute the energy and carbon footprint of one compute stage (Green Algorithms method)."""
    data = footprint.current_data()
    try:
        if not hardware and watts is None:
            raise click.UsageError("give --hardware NAME or --watts W")
        if location and intensity is not None:
            raise click.UsageError("give --location or --intensity, not both")
        stage = {
            "hardware": footprint.find_device(data, hardware) if hardware else footprint.OTHER_HARDWARE,
            "power_w": watts,
            "count": count,
            "hours": hours,
            "memory_gb": memory_gb,
            "usage": usage,
            "platform": footprint.find_platform(data, platform) if platform else
            data.constants["default_platform"],
            "pue": pue,
            "location": footprint.find_location(data, location) if location else None,
            "intensity": intensity,
            "runs": runs,
        }
        result = footprint.statement([stage], data)
    except footprint.FootprintError as exc:
        raise _bad(exc) from None
    figures = {key: result[key] for key in ("energy_kwh", "co2e_kg", "tree_months", "car_km", "data_version")}
    if as_json:
        click.echo(json.dumps(figures))
        return
    stage_result = result["stages"][0]
    click.echo(f"Energy:      {footprint.format_energy(result['energy_kwh'])} ({result['energy_kwh']:.6g} kWh)")
    click.echo(f"Carbon:      {footprint.format_carbon(result['co2e_kg'])} ({result['co2e_kg']:.6g} kg)")
    click.echo(f"Equivalent:  {footprint.format_number(result['tree_months'])} tree-months, "
               f"{footprint.format_number(result['car_km'])} km by car")
    click.echo(f"Tier:        {result['tier']} ({footprint.TIER_RULES[result['tier']]})")
    click.echo(f"Power used:  {stage_result['watts_per_device']:.4g} W per "
               f"{'core' if stage_result['count_unit'] == 'cores' else 'device'} ({stage_result['watts_source']}), "
               f"PUE {stage_result['pue']:.3g}, {stage_result['intensity_g_per_kwh']:g} g CO2e/kWh")
    click.echo(f"Data:        {data.label} ({data.data_version}); {data.attribution}")



@questionnaire_cli.command("validate")
@click.argument("path", type=click.Path(dir_okay=False))
def validate(path: str) -> None:
    """Check a questionnaire file; print every error with its path and exit 1 when there are any."""
    errors = validate_file(path)
    for error in errors:
        click.echo(f"{path}: {error}", err=True)
    if errors:
        click.echo(f"{len(errors)} error(s) found.", err=True)
        sys.exit(1)
    click.echo(f"{path}: valid.")

def register_questionnaire_cli(app: Flask) -> None:
    add_group(app, questionnaire_cli, {"footprint": "footprint"})

"""`flask questionnaire validate FILE` checks a questionnaire definition or an institution policy;
`flask questionnaire score ANSWERS.json` scores a set of answers; `flask questionnaire footprint` (also
`flask footprint`) gives the footprint of one compute stage, for people who script.

    flask --app wsgi questionnaire footprint --hardware a100_pcie_80gb --count 4 --hours 48 --memory-gb 64 \
        --platform local_server --location GB --json

Bad input (unknown names, negative or absurd numbers) prints a clear message and exits with code 2.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup

from app.core.cli import add_group
from app.questionnaires import footprint
from app.questionnaires.loader import (
    QuestionnaireError,
    QuestionnaireNotFound,
    get_questionnaire,
    latest_version,
    load_policy,
    validate_file,
)
from app.questionnaires.policy import Policy
from app.questionnaires.schema import CATEGORIES, Questionnaire
from app.questionnaires.scoring import AnswerError, PolicyRiskProfile, RiskProfile, score


def _bad(exc: footprint.FootprintError) -> click.UsageError:
    option = {"power_w": "--watts", "memory_gb": "--memory-gb"}.get(exc.field, f"--{exc.field.replace('_', '-')}")
    return click.UsageError(f"{option}: {exc.message}")


questionnaire_cli = AppGroup("questionnaire", help="Questionnaire definition tools and the footprint calculator.")


@questionnaire_cli.command("footprint")
@click.option("--hardware", metavar="NAME", help="Listed hardware, by key or name (e.g. a100_pcie_80gb).")
@click.option("--watts", metavar="W", help="Power per device (per core for CPUs), up to 15,000 W (a whole node); "
                                           "with --hardware, a measured average that replaces the rated figure. "
                                           "Above 2,000 W a warning is printed.")
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
              help="Number of runs, including hyper-parameter search (a fraction is allowed).")
@click.option("--host-cores", "host_cores", metavar="N",
              help="CPU cores of the hosts driving the GPUs or TPUs (default: the facility preset's, else none).")
@click.option("--activity", type=click.Choice(list(footprint.ACTIVITIES)),
              help="What the stage computes, for the methods sentence (data_generation: DFT/MD).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def footprint_command(hardware: str | None, watts: str | None, count: str, hours: str, memory_gb: str, usage: str,
                      pue: str | None, platform: str | None, location: str | None, intensity: str | None,
                      runs: str, host_cores: str | None, activity: str | None, as_json: bool) -> None:
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
            "host_cores": host_cores,
            "activity": activity,
        }
        result = footprint.statement([stage], data)
    except footprint.FootprintError as exc:
        raise _bad(exc) from None
    for warning in result["stages"][0]["warnings"]:
        click.echo(f"Warning: --watts: {warning}", err=True)
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
    if stage_result["host_cores"]:
        click.echo(f"Host CPUs:   {stage_result['host_cores']:,} cores at {stage_result['host_watts_per_core']:.3g} W "
                   f"per core ({stage_result['host_cores_source']})")
    parts = result["breakdown_kwh"]
    click.echo("Breakdown:   " + ", ".join(f"{name} {footprint.format_energy(parts[key])}" for key, name in
                                         (("cpu", "CPU"), ("gpu", "GPU"), ("memory", "memory"), ("other", "other"))
                                         if parts[key]))
    click.echo(f"Methods:     {result['methods_sentence']}")
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

DEFAULT_QUESTIONNAIRE = "ml-materials-ethics"


def _questionnaire(spec: str | None) -> Questionnaire:
    key, _, version = (spec or DEFAULT_QUESTIONNAIRE).partition("/")
    try:
        if version and not version.isdigit():
            raise click.UsageError(f"--questionnaire: give ID/VERSION, e.g. {DEFAULT_QUESTIONNAIRE}/2")
        return get_questionnaire(key, int(version) if version else latest_version(key))
    except (QuestionnaireNotFound, QuestionnaireError) as exc:
        raise click.UsageError(f"--questionnaire: {exc}") from None


def _policy(path: str | None) -> Policy | None:
    if path is None:
        return None
    try:
        return load_policy(path)
    except QuestionnaireError as exc:
        raise click.UsageError(f"--policy {path}: " + "; ".join(exc.errors)) from None


def _answers(path: str, questionnaire: Questionnaire) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise click.UsageError(f"{path}: cannot read file ({exc.strerror or exc})") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise click.UsageError(f"{path}: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise click.UsageError(f"{path}: expected an object mapping question ids to answers")
    for qid in data:
        if not questionnaire.has_question(qid):
            raise click.UsageError(f"{qid}: no such question in {questionnaire.key} v{questionnaire.version}")
    return data


def _report(questionnaire: Questionnaire, profile: RiskProfile) -> dict[str, Any]:
    extra = profile if isinstance(profile, PolicyRiskProfile) else None
    return {
        "questionnaire": f"{questionnaire.key} v{questionnaire.version}",
        "policy": extra.policy if extra else None,
        "categories": {category: {"points": result.points, "tier": result.tier,
                                  "hard_trigger": result.hard_trigger}
                       for category, result in profile.categories.items()},
        "overall": profile.overall,
        "route": profile.route,
        "reviewers_required": profile.reviewers_required,
        "chair_required": profile.chair_required,
        "signoffs": extra.signoffs if extra else (["export_control"] if profile.security_signoff else []),
        "extra_reviewers": extra.extra_reviewers if extra else [],
        "blocking": [finding.model_dump() for finding in extra.blocking] if extra else [],
        "advice": [finding.model_dump() for finding in extra.advice] if extra else [],
        "adjustments": [adjustment.model_dump() for adjustment in extra.adjustments] if extra else [],
        "reasons": [reason.model_dump() for category in CATEGORIES for reason in profile.categories[category].reasons],
    }


def _print_report(report: dict[str, Any]) -> None:
    policy = f", policy {report['policy']}" if report["policy"] else ""
    click.echo(f"Questionnaire: {report['questionnaire']}{policy}")
    for category, result in report["categories"].items():
        click.echo(f"  {category:<12} {result['points']:>3} points  {result['tier']}"
                   + (" (hard trigger)" if result["hard_trigger"] else ""))
    click.echo(f"Overall: {report['overall']}; route: {report['route']} ({report['reviewers_required']} "
               f"reviewer(s), chair {'decides' if report['chair_required'] else 'not needed'})")
    click.echo(f"Sign-offs: {', '.join(report['signoffs']) or 'none'}")
    click.echo(f"Extra reviewers: {', '.join(report['extra_reviewers']) or 'none'}")
    for title, key in (("Blocking", "blocking"), ("Advice", "advice")):
        for finding in report[key]:
            click.echo(f"{title}: {finding['question_id']}: {finding['text']}")
    for adjustment in report["adjustments"]:
        click.echo(f"Adjusted: {adjustment['category']} {adjustment['before']} -> {adjustment['after']}: "
                   f"{adjustment['text']}")
    for reason in report["reasons"]:
        click.echo(f"Reason: [{reason['category']} {reason['level']} +{reason['points']}] {reason['text']}")


@questionnaire_cli.command("score")
@click.argument("answers_path", metavar="ANSWERS.json", type=click.Path(dir_okay=False))
@click.option("--questionnaire", "questionnaire_spec", metavar="ID/VERSION",
              help=f"Questionnaire and version, e.g. {DEFAULT_QUESTIONNAIRE}/1 (default: the latest version of "
                   f"{DEFAULT_QUESTIONNAIRE}).")
@click.option("--policy", "policy_path", metavar="FILE", type=click.Path(dir_okay=False),
              help="An institution policy file to score with, instead of the one the questionnaire names.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def score_command(answers_path: str, questionnaire_spec: str | None, policy_path: str | None, as_json: bool) -> None:
    """Score a set of answers: points and tier per category, the overall tier, the route, the sign-offs and
    extra reviewer roles it needs, issues blocking submission, advice, and every reason with its question id.

    \b
    ANSWERS.json is one JSON object, question id -> answer, as an application's
    assessment.json stores it:
      text, markdown, choice     "text" or "option_value"
      date                       "2026-10-01"
      multi                      ["option_value", ...]
      yes_no                     true or false
      number                     12.5
      footprint_stages           [{"hardware": "a100_pcie_80gb", "count": 4, "hours": 48,
                                   "memory_gb": 64, "platform": "local_server",
                                   "location": "GB", "runs": 50}, ...]
      records                    [{"field_id": "text or option_value", ...}, ...]
                                 one object per row, blank cells left out, e.g.
                                 G2: [{"name": "Ada Lovelace", "role": "pi",
                                       "orcid": "0000-0002-1825-0097"}]
                                 B1b: [{"source": "Materials Project",
                                        "licence": "cc_by"}]
                                 (an ORCID iD without https://orcid.org/)
    Questions left out are unanswered. An unknown question id or an answer its
    question cannot have is reported with the question id, and the exit code is 2.
    """
    questionnaire = _questionnaire(questionnaire_spec)
    policy = _policy(policy_path)
    answers = _answers(answers_path, questionnaire)
    try:
        profile = score(questionnaire, answers, policy)
    except AnswerError as exc:
        raise click.UsageError(f"{exc.question_id}: {exc.message}") from None
    report = _report(questionnaire, profile)
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        _print_report(report)


def register_questionnaire_cli(app: Flask) -> None:
    add_group(app, questionnaire_cli, {"footprint": "footprint"})

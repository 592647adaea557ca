"""Plain dicts for the environmental impact statement: the stages widget of section D and the statement
panel shown on the section page, the check-your-answers page and the submitted round."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.core.charts import chart
from app.questionnaires import footprint
from app.questionnaires.schema import Question


def stage_options(data: footprint.FootprintData) -> dict[str, list[tuple[str, str]]]:
    """(value, label) pairs for the stage selects, grouped hardware first by kind."""
    kinds = {"gpu": "GPU", "tpu": "TPU", "cpu": "CPU"}
    hardware = []
    for kind in ("gpu", "tpu", "cpu"):
        for key, device in data.devices.items():
            if device["kind"] != kind:
                continue
            if kind == "cpu":
                detail = f"{device['tdp_w']:g} W for {device['cores']} cores, {data.device_watts(key):.3g} W per core"
            else:
                detail = f"{device['tdp_w']:g} W"
            hardware.append((key, f"{kinds[kind]}: {device['name']} ({detail})"))
    hardware.append((footprint.OTHER_HARDWARE, "Other (give the power per device or per core)"))
    platforms = [(key, f"{p['name']} (PUE {p['pue']:g})") for key, p in data.platforms.items()]
    locations = [(key, f"{g['name']} ({g['g_per_kwh']:g} g CO2e/kWh)") for key, g in data.grids.items()]
    return {"hardware": hardware, "platform": platforms, "location": locations}


def _shown_stages(raw_or_value: Any) -> list[dict[str, str]]:
    if not isinstance(raw_or_value, list):
        return []
    shown = footprint.stages_to_form([s for s in raw_or_value if isinstance(s, Mapping)])
    return [stage for stage in shown if not footprint.stage_is_blank(stage)]


def stages_item(question: Question, shown_value: Any, has_error: bool, add_stage: bool) -> dict[str, Any]:
    """The stages widget: each stage's field strings and per-field errors, keeping what was typed."""
    data = footprint.current_data()
    constants = data.constants
    stages = _shown_stages(shown_value)
    new_stage = {name: "" for name in footprint.STAGE_FIELDS}
    new_stage.update({"usage": f"{float(constants['default_usage']):g}", "runs": "1",
                      "location": str(constants["default_location"]), "platform": str(constants["default_platform"])})
    rows = []
    for index, stage in enumerate(stages):
        _, errors = footprint.parse_stage(stage, data)
        if has_error:
            for name, message in footprint.missing_fields({k: v or None for k, v in stage.items()}).items():
                errors.setdefault(name, message)
        rows.append({"index": index, "fields": stage, "errors": errors})
    if not rows or add_stage:
        rows.append({"index": len(rows), "fields": dict(new_stage), "errors": {}, "new": add_stage and bool(stages)})
    return {
        "stages": rows,
        "new_stage": new_stage,
        "options": stage_options(data),
        "kinds": {key: device["kind"] for key, device in data.devices.items()},
        "max_stages": footprint.MAX_STAGES,
        "constants": constants,
    }


WATTS_SOURCES = {"rated": "rated power (TDP)", "measured": "measured average power", "given": "power given"}


def statement_view(result: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Formatted figures of a statement (computed now, or read from a frozen round: never recomputed)."""
    if not result:
        return None
    stages = []
    for stage in result["stages"]:
        per = "core" if stage["count_unit"] == "cores" else "device"
        stages.append({
            "label": stage["label"],
            "hardware": f"{stage['count']:,} × {stage['hardware_name']}"
                        + (" cores" if stage["count_unit"] == "cores" else "")
                        # Statements frozen before host cores were counted have no such key.
                        + (f" with {stage['host_cores']:,} host CPU cores at {stage['host_watts_per_core']:.3g} W"
                           if stage.get("host_cores") else ""),
            "watts": f"{stage['watts_per_device']:.4g} W per {per} ({WATTS_SOURCES.get(stage['watts_source'], '')})",
            "pue": f"{stage['pue']:.3g}" + (" (given)" if stage.get("pue_source") == "given" else ""),
            "grid": f"{stage['location_name']} ({stage['intensity_g_per_kwh']:g} g CO2e/kWh)",
            "runs": f"{stage['runs']:,}",
            "hours": f"{stage['hours']:,.10g}",
            "energy": footprint.format_energy(stage["energy_kwh"]),
            "carbon": footprint.format_carbon(stage["co2e_kg"]),
            "share": f"{stage.get('share', 0) * 100:.0f}%",
        })
    dominant = result.get("dominant_stage")
    return {
        "energy": footprint.format_energy(result["energy_kwh"]),
        "carbon": footprint.format_carbon(result["co2e_kg"]),
        "tree_months": footprint.format_number(result["tree_months"]),
        "car_km": footprint.format_number(result["car_km"]),
        "tier": result["tier"],
        "tier_rule": footprint.TIER_RULES.get(result["tier"], ""),
        "dominant": stages[dominant]["label"] if dominant is not None and len(stages) > 1 else None,
        "dominant_share": stages[dominant]["share"] if dominant is not None and len(stages) > 1 else None,
        "stages": stages,
        "incomplete": result.get("incomplete_stages") or [],
        "data_version": result["data_version"],
        "data_label": result.get("data_label", result["data_version"]),
        "attribution": result.get("attribution", ""),
        "chart": chart([(s["label"], float(raw["co2e_kg"]), s["carbon"])
                        for s, raw in zip(stages, result["stages"], strict=True)],
                       "Carbon footprint by stage"),
    }

"""The compute-footprint calculator: the environmental impact statement of section D (Green Algorithms).

Pure Python, no Flask. The reference data (device power, PUE per platform, grid carbon intensity,
constants) lives in a versioned YAML file under questionnaires/data/footprint/, never in code:

    power_W    = PUE * (n_devices * watts_per_device * usage + host_cores * watts_per_host_core * usage
                        + memory_GB * memory_W_per_GB)
    energy_kWh = hours * power_W * runs / 1000
    co2e_g     = energy_kWh * carbon_intensity_g_per_kWh

A GPU or TPU stage also counts the CPU cores of the hosts that drive the accelerators, as Green Algorithms
does: given by the applicant, or by default the cores per accelerator of the facility preset chosen as the
platform (none otherwise). Their power per core is the preset's host CPU, else Green Algorithms' figure for an
unknown CPU.

For CPUs, watts_per_device is the power per core as Green Algorithms publishes it and n_devices the number
of cores. A measured average power per device replaces the rated figure when given; the statement says which
one it used.

A *stage* is one kind of computing (pre-training, fine-tuning, an inference campaign) with its own
hardware. Stored answers are lists of stage dicts (STAGE_FIELDS, None where blank). A *statement* is a
plain JSON-able dict summing the stages, and it always records `data_version`: a stored statement is read
back as it is, never recomputed with newer data.

Callers read the data through `current_data()` (module attribute) so tests can swap it; `data_for_version()`
reads any released version, so a statement can be recomputed with the data it was first computed with.
"""
from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from app.questionnaires import records

DATA_DIR = Path(__file__).resolve().parents[2] / "questionnaires" / "data" / "footprint"
# Every released data file by its data_version. A released file is never edited or removed: rounds record the
# version their statement used. The first file was typed by hand from 22 grids; the second is converted from the
# published Green Algorithms v3.0 files by scripts/import_green_algorithms.py.
DATA_FILES = {
    "green-algorithms-v3.0": DATA_DIR / "green-algorithms-v3.0.yaml",
    "green-algorithms-v3.0+crucible.2": DATA_DIR / "green-algorithms-v3.0+crucible.2.yaml",
}
CURRENT_VERSION = "green-algorithms-v3.0+crucible.2"
DATA_FILE = DATA_FILES[CURRENT_VERSION]

OTHER_HARDWARE = "other"
STAGE_FIELDS = (
    "name", "hardware", "power_w", "count", "hours", "memory_gb", "usage", "platform", "pue", "location", "runs",
)
# Fields added since the first release: kept in a stored stage only when given, so stages saved before them
# (and the fingerprints of rounds holding them) stay exactly as they were.
OPTIONAL_STAGE_FIELDS = ("host_cores", "intensity", "activity")
# What a stage computes; the methods sentence names it (a stage's own name wins).
ACTIVITIES = {
    "training": "Training",
    "fine_tuning": "Fine-tuning",
    "inference": "Inference",
    "data_generation": "Generating training data (DFT/MD)",
    "other": "Computing",
}
# Fields a stage needs before it can be computed (power_w too when the hardware is "other").
REQUIRED_STAGE_FIELDS = ("hardware", "count", "hours", "memory_gb", "platform")
# Fields that, when all blank, make a stage "not started" (dropped when saved); the others carry defaults.
_TYPED_FIELDS = ("name", "hardware", "power_w", "count", "hours", "memory_gb", "pue", "host_cores")
MAX_STAGES = 20
POWER_WARNING_W = 2_000
MAX_NAME_LENGTH = 100

MISSING_MESSAGES = {
    "hardware": "Select the hardware",
    "count": "Enter the number of devices or cores",
    "hours": "Enter the hours one run takes",
    "memory_gb": "Enter the memory in GB (0 if you do not know)",
    "platform": "Select where the computing runs",
    "power_w": "Enter the power per device in watts (for CPUs, per core)",
}
FIELD_LABELS = {
    "name": "Stage name",
    "hardware": "Hardware",
    "power_w": "Power per device",
    "count": "Number of devices or cores",
    "hours": "Hours per run",
    "memory_gb": "Memory",
    "usage": "Usage factor",
    "platform": "Platform",
    "pue": "PUE",
    "location": "Grid location",
    "runs": "Number of runs",
    "host_cores": "Host CPU cores",
    "activity": "Kind of computing",
    "intensity": "Carbon intensity",
}


class FootprintError(ValueError):
    """An input the calculator cannot use; `field` names it (a STAGE_FIELDS name or "intensity")."""

    def __init__(self, field_name: str, message: str):
        self.field = field_name
        self.message = message
        super().__init__(f"{FIELD_LABELS.get(field_name, field_name)}: {message}")


# --- numeric bounds -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Bounds:
    low: float
    high: float
    low_inclusive: bool = True
    integer: bool = False
    unit: str = ""
    # A fraction is allowed, but a whole number is kept as an int so stored answers keep their spelling.
    whole_as_int: bool = False

    def message(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        kind = "a whole number" if self.integer else "a number"
        low = _plain(self.low)
        if self.low_inclusive:
            return f"Enter {kind} from {low} to {_plain(self.high)}{unit}"
        return f"Enter {kind} more than {low} and at most {_plain(self.high)}{unit}"


BOUNDS: dict[str, Bounds] = {
    "count": Bounds(1, 1_000_000, integer=True),
    "hours": Bounds(0, 100_000, low_inclusive=False, unit="hours"),
    "memory_gb": Bounds(0, 100_000, unit="GB"),
    "usage": Bounds(0, 1, low_inclusive=False),
    "pue": Bounds(1, 3),
    # Up to a whole node entered as one device (a GB200 superchip draws about 2,700 W); above
    # POWER_WARNING_W the figure is accepted with a warning, since one accelerator rarely draws that much.
    "power_w": Bounds(0, 15_000, low_inclusive=False, unit="W"),
    # Fractional runs: a run stopped half-way, or 2.5 runs' worth of search.
    "runs": Bounds(0, 1_000_000, low_inclusive=False, whole_as_int=True),
    "host_cores": Bounds(0, 100_000_000, integer=True),
    "intensity": Bounds(0, 2_000, unit="g CO2e/kWh"),
}


def _plain(value: float) -> str:
    return f"{value:,.10g}"


def parse_number(field_name: str, raw: Any) -> int | float | None:
    """The number typed into a field, checked against its bounds; None when blank. Raises FootprintError."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise FootprintError(field_name, "Enter a number")
    if isinstance(raw, (int, float)):
        number = float(raw)
    else:
        text = str(raw).strip().replace(",", "").replace("_", "").replace(" ", "")
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            raise FootprintError(field_name, "Enter a number") from None
    bounds = BOUNDS[field_name]
    if not math.isfinite(number):
        raise FootprintError(field_name, "Enter a number")
    if bounds.integer and not number.is_integer():
        raise FootprintError(field_name, "Enter a whole number")
    too_low = number < bounds.low if bounds.low_inclusive else number <= bounds.low
    if too_low or number > bounds.high:
        raise FootprintError(field_name, bounds.message())
    return int(number) if bounds.integer or (bounds.whole_as_int and number.is_integer()) else number


# --- reference data -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class FootprintData:
    data_version: str
    label: str
    source: str
    licence: str
    attribution: str
    constants: dict[str, Any]
    tiers: dict[str, float]
    devices: dict[str, dict[str, Any]]
    platforms: dict[str, dict[str, Any]]
    grids: dict[str, dict[str, Any]]
    path: str = field(default="", compare=False)
    # Cloud datacentres by "provider/region": the grid they draw from and, where published, their PUE.
    datacentres: dict[str, dict[str, Any]] = field(default_factory=dict)
    upstream_version: str = ""

    def device_watts(self, key: str) -> float:
        """Rated watts per counted unit: per device, or per core for CPUs. Files from the Green Algorithms
        import give `watts` as published; the first file gave only TDP and cores."""
        device = self.devices[key]
        if "watts" in device:
            return float(device["watts"])
        return float(device["tdp_w"]) / int(device.get("cores") or 1)

    def device_kind(self, key: str) -> str:
        return self.devices[key]["kind"] if key in self.devices else OTHER_HARDWARE

    def to_dict(self) -> dict[str, Any]:
        """Everything the browser needs to compute the same figures as the server."""
        return {
            "data_version": self.data_version,
            "label": self.label,
            "constants": self.constants,
            "tiers": self.tiers,
            "devices": {key: {**d, "watts": self.device_watts(key)} for key, d in self.devices.items()},
            "platforms": self.platforms,
            "grids": self.grids,
            "datacentres": self.datacentres,
        }


class FootprintDataError(ValueError):
    pass


_DATA_KEYS = ("data_version", "label", "source", "licence", "attribution", "constants", "tiers", "devices",
              "platforms", "grids")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float))


def _device_problems(devices: dict[str, Any]) -> list[str]:
    problems = []
    for key, device in devices.items():
        if device.get("kind") not in {"gpu", "tpu", "cpu"}:
            problems.append(f"devices.{key}.kind: gpu, tpu or cpu")
        if "watts" in device:
            if not _is_number(device["watts"]) or device["watts"] <= 0:
                problems.append(f"devices.{key}.watts: a positive number")
        elif not _is_number(device.get("tdp_w")) or device["tdp_w"] <= 0:
            problems.append(f"devices.{key}.tdp_w: a positive number")
        elif device.get("kind") == "cpu" and not isinstance(device.get("cores"), int):
            problems.append(f"devices.{key}.cores: CPUs need their number of cores")
        if not device.get("name"):
            problems.append(f"devices.{key}.name: required")
    if OTHER_HARDWARE in devices:
        problems.append(f"devices.{OTHER_HARDWARE}: reserved for hardware given in watts")
    return problems


def _rate_problems(raw: dict[str, Any]) -> list[str]:
    """The platforms' PUE and the grids' carbon intensity."""
    problems = [f"platforms.{key}.pue: a number of 1 or more" for key, platform in raw["platforms"].items()
                if not _is_number(platform.get("pue")) or platform["pue"] < 1]
    problems += [f"grids.{key}.g_per_kwh: a number of 0 or more" for key, grid in raw["grids"].items()
                 if not _is_number(grid.get("g_per_kwh")) or grid["g_per_kwh"] < 0]
    for key, centre in (raw.get("datacentres") or {}).items():
        if centre.get("location") not in raw["grids"]:
            problems.append(f"datacentres.{key}.location: must name a grid")
        if centre.get("platform") not in raw["platforms"]:
            problems.append(f"datacentres.{key}.platform: must name a platform")
    for key, platform in raw["platforms"].items():
        for reference, within in (("location", "grids"), ("hardware", "devices"), ("host_cpu", "devices")):
            if reference in platform and platform[reference] not in raw[within]:
                problems.append(f"platforms.{key}.{reference}: must name one of the {within}")
    return problems


def _constant_problems(raw: dict[str, Any]) -> list[str]:
    constants = raw["constants"]
    problems = [f"constants.{key}: a number" for key in ("memory_w_per_gb", "default_usage", "tree_g_per_year",
                                                         "car_g_per_km") if not _is_number(constants.get(key))]
    if constants.get("default_platform") not in raw["platforms"]:
        problems.append("constants.default_platform: must name a platform")
    if constants.get("default_location") not in raw["grids"]:
        problems.append("constants.default_location: must name a grid")
    return problems


def load_data(path: str | Path) -> FootprintData:
    """Read and check a footprint data file; raises FootprintDataError naming every problem."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise FootprintDataError(f"{path}: cannot read footprint data ({exc})") from exc
    if not isinstance(raw, dict):
        raise FootprintDataError(f"{path}: expected a mapping")
    problems = [f"{key}: required" for key in _DATA_KEYS if key not in raw]
    if problems:
        raise FootprintDataError(f"{path}: " + "; ".join(problems))
    if raw.get("extra"):
        raw = _with_extra(path, raw)
    problems = _device_problems(raw["devices"]) + _rate_problems(raw) + _constant_problems(raw)
    if problems:
        raise FootprintDataError(f"{path}: " + "; ".join(problems))
    constants = raw["constants"]
    return FootprintData(
        data_version=str(raw["data_version"]),
        label=str(raw["label"]),
        source=" ".join(str(raw["source"]).split()),
        licence=str(raw["licence"]),
        attribution=" ".join(str(raw["attribution"]).split()),
        constants=dict(constants),
        tiers={k: float(v) for k, v in raw["tiers"].items()},
        devices={str(k): dict(v) for k, v in raw["devices"].items()},
        platforms={str(k): dict(v) for k, v in raw["platforms"].items()},
        grids={str(k): dict(v) for k, v in raw["grids"].items()},
        path=str(path),
        datacentres={str(k): dict(v) for k, v in (raw.get("datacentres") or {}).items()},
        upstream_version=str(raw.get("upstream_version") or ""),
    )


def _with_extra(path: Path, raw: dict[str, Any]) -> dict[str, Any]:
    """The data with the devices and platforms of its `extra` file (hardware outside Green Algorithms)."""
    extra_path = path.parent / str(raw["extra"])
    try:
        extra = yaml.safe_load(extra_path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise FootprintDataError(f"{extra_path}: cannot read footprint data ({exc})") from exc
    merged = dict(raw)
    for section in ("devices", "platforms"):
        added = (extra or {}).get(section) or {}
        clashes = sorted(set(added) & set(raw[section]))
        if clashes:
            raise FootprintDataError(f"{extra_path}: {section} already in {path.name}: {', '.join(clashes)}")
        merged[section] = {**raw[section], **added}
    return merged


@functools.cache
def _load_cached(path: str) -> FootprintData:
    return load_data(path)


def current_data() -> FootprintData:
    """The data new statements are computed with (the file is read once per process)."""
    return _load_cached(str(DATA_FILE))


def data_for_version(data_version: str) -> FootprintData:
    """The released data a statement names in its `data_version`; FootprintDataError for an unknown one."""
    if data_version not in DATA_FILES:
        raise FootprintDataError(f"no footprint data file has the version {data_version!r}")
    return _load_cached(str(DATA_FILES[data_version]))


# --- looking things up by name --------------------------------------------------------------------------

def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def find_device(data: FootprintData, name: str) -> str:
    """The device key for a key, a display name or the published model ("v100", "NVIDIA V100",
    "NVIDIA Tesla V100")."""
    wanted = _norm(name)
    for key, device in data.devices.items():
        if wanted in (_norm(key), _norm(device["name"]), _norm(device.get("model") or device["name"])):
            return key
    raise FootprintError("hardware", f"unknown hardware {name!r}; choose one of: {', '.join(data.devices)}")


def find_platform(data: FootprintData, name: str) -> str:
    wanted = _norm(name)
    for key, platform in data.platforms.items():
        if wanted in (_norm(key), _norm(platform["name"])):
            return key
    raise FootprintError("platform", f"unknown platform {name!r}; choose one of: {', '.join(data.platforms)}")


def location_key(data: FootprintData, text: str) -> str | None:
    """A grid code ("GB", "us-ca") or a datacentre ("gcp/europe-west1") as the data spells it; None if neither."""
    wanted = text.strip()
    if wanted.upper() in data.grids:
        return wanted.upper()
    if wanted.lower() in data.datacentres:
        return wanted.lower()
    return None


def find_location(data: FootprintData, code: str) -> str:
    found = location_key(data, code)
    if found:
        return found
    for key, grid in data.grids.items():
        if _norm(grid["name"]) == _norm(code):
            return key
    raise FootprintError("location", f"unknown location {code!r}; use a code such as {', '.join(list(data.grids)[:6])} "
                                     f"(all: {', '.join(data.grids)})")


# --- stages: parsing what was typed -------------------------------------------------------------------

def blank_stage() -> dict[str, Any]:
    return {name: None for name in STAGE_FIELDS}


def stage_is_blank(stage: Mapping[str, Any]) -> bool:
    return all(_blank(stage.get(name)) for name in _TYPED_FIELDS)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_stage(raw: Mapping[str, Any], data: FootprintData) -> tuple[dict[str, Any], dict[str, str]]:
    """(stage value, field -> error) for one stage's typed fields. Blank fields are None; missing
    required fields are not errors here (see `missing_fields`)."""
    value = blank_stage()
    errors: dict[str, str] = {}
    name = str(raw.get("name") or "").strip()
    if len(name) > MAX_NAME_LENGTH:
        errors["name"] = f"Enter {MAX_NAME_LENGTH} characters or fewer"
    value["name"] = name or None
    hardware = str(raw.get("hardware") or "").strip()
    if hardware and hardware != OTHER_HARDWARE and hardware not in data.devices:
        errors["hardware"] = "Select one of the listed hardware, or Other"
    value["hardware"] = hardware or None
    platform = str(raw.get("platform") or "").strip()
    if platform and platform not in data.platforms:
        errors["platform"] = "Select one of the platforms"
    value["platform"] = platform or None
    location = str(raw.get("location") or "").strip()
    if location and location_key(data, location) is None:
        errors["location"] = "Select one of the locations"
    value["location"] = (location_key(data, location) or location.upper()) if location else None
    activity = str(raw.get("activity") or "").strip()
    if activity and activity not in ACTIVITIES:
        errors["activity"] = "Select one of the kinds of computing"
    value["activity"] = activity or None
    for number_field in ("power_w", "count", "hours", "memory_gb", "usage", "pue", "runs", "host_cores",
                         "intensity"):
        try:
            value[number_field] = parse_number(number_field, raw.get(number_field))
        except FootprintError as exc:
            errors[number_field] = exc.message
    for optional in OPTIONAL_STAGE_FIELDS:
        if optional not in errors and value[optional] is None:
            del value[optional]
    return value, errors


def missing_fields(stage: Mapping[str, Any]) -> dict[str, str]:
    """field -> message for each field the stage still needs before it can be computed."""
    missing = {name: MISSING_MESSAGES[name] for name in REQUIRED_STAGE_FIELDS if _blank(stage.get(name))}
    if stage.get("hardware") == OTHER_HARDWARE and _blank(stage.get("power_w")):
        missing["power_w"] = MISSING_MESSAGES["power_w"]
    return missing


def parse_stages(
    raw_stages: Sequence[Mapping[str, Any]], data: FootprintData
) -> tuple[list[dict[str, Any]], dict[int, dict[str, str]]]:
    """Parse every stage; stages with nothing typed are dropped. Errors are keyed by the index of the
    stage in the returned list."""
    stages: list[dict[str, Any]] = []
    errors: dict[int, dict[str, str]] = {}
    for raw in raw_stages:
        if stage_is_blank(raw):
            continue
        value, stage_errors = parse_stage(raw, data)
        if stage_errors:
            errors[len(stages)] = stage_errors
        stages.append(value)
    return stages, errors


def stage_problems(stages: Sequence[Mapping[str, Any]]) -> dict[int, dict[str, str]]:
    """index -> missing fields, for the stages that are not complete."""
    return {index: missing for index, stage in enumerate(stages) if (missing := missing_fields(stage))}


def stages_summary_error(errors: Mapping[int, Mapping[str, str]]) -> str:
    """One line naming the stages to correct, for the error summary and the stored message."""
    parts = []
    for index in sorted(errors):
        fields = ", ".join(FIELD_LABELS[f].lower() for f in errors[index])
        parts.append(f"stage {index + 1} ({fields})")
    return "Correct " + "; ".join(parts)


def stages_to_form(stages: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Stage values (or kept raw input) as the strings the form fields show."""
    shown = []
    for stage in stages:
        row = {}
        for name in STAGE_FIELDS + OPTIONAL_STAGE_FIELDS:
            value = stage.get(name) if isinstance(stage, Mapping) else None
            if value is None:
                row[name] = ""
            elif isinstance(value, float) and value.is_integer():
                row[name] = str(int(value))
            elif isinstance(value, float):
                row[name] = f"{value:.10g}"
            else:
                row[name] = str(value)
        shown.append(row)
    return shown


# --- computing ----------------------------------------------------------------------------------------

def _required_number(stage: Mapping[str, Any], field_name: str) -> int | float:
    """The number in a field the stage must have; blank once parsed (a lone comma), it is as good as missing."""
    number = parse_number(field_name, stage[field_name])
    if number is None:
        raise FootprintError(field_name, MISSING_MESSAGES[field_name])
    return number


def compute_stage(stage: Mapping[str, Any], data: FootprintData) -> dict[str, Any]:
    """The figures of one complete stage. Raises FootprintError for anything missing, unknown or out of range.

    Besides the STAGE_FIELDS keys a stage may carry `intensity` (g CO2e/kWh: measured, or the supplier's),
    which replaces the grid's, `host_cores` and `activity`.
    """
    missing = missing_fields(stage)
    if missing:
        name, message = next(iter(missing.items()))
        raise FootprintError(name, message)
    device = _device(stage, data)
    kind, watts = device["kind"], device["watts_per_device"]
    count = _required_number(stage, "count")
    hours = _required_number(stage, "hours")
    memory_gb = _required_number(stage, "memory_gb")
    usage = parse_number("usage", stage.get("usage"))
    usage = float(data.constants["default_usage"]) if usage is None else float(usage)
    runs = parse_number("runs", stage.get("runs"))
    runs = 1 if runs is None else runs
    platform = str(stage["platform"])
    if platform not in data.platforms:
        raise FootprintError("platform", f"unknown platform {platform!r}")
    location, location_name, intensity, centre_pue = _grid(stage, data)
    pue, pue_source = _pue(stage, data.platforms[platform], centre_pue)
    host_cores, host_watts, host_source = _host_cores(stage, kind, count, data)

    memory_w = float(memory_gb) * float(data.constants["memory_w_per_gb"])
    parts_w = _parts(kind, count * watts * usage, host_cores * host_watts * usage, memory_w)
    power_w = pue * sum(parts_w.values())
    energy_kwh = hours * power_w * runs / 1000
    co2e_kg = energy_kwh * intensity / 1000
    # The same sum by component: kWh each part draws through the PUE over the stage's hours and runs.
    part_kwh = {part: pue * watts_drawn * hours * runs / 1000 for part, watts_drawn in parts_w.items()}
    return {
        "activity": _activity(stage),
        "breakdown_kwh": part_kwh,
        "breakdown_co2e_kg": {part: kwh * intensity / 1000 for part, kwh in part_kwh.items()},
        "name": stage.get("name") or None,
        **device,
        "count": count,
        "count_unit": "cores" if kind == "cpu" else "devices",
        "hours": float(hours),
        "memory_gb": float(memory_gb),
        "usage": usage,
        "platform": platform,
        "platform_name": data.platforms[platform]["name"],
        "pue": pue,
        "pue_source": pue_source,
        "host_cores": host_cores,
        "host_watts_per_core": host_watts,
        "host_cores_source": host_source,
        "location": location,
        "location_name": location_name,
        "intensity_g_per_kwh": intensity,
        "intensity_source": "grid" if parse_number("intensity", stage.get("intensity")) is None else "given",
        "runs": runs,
        "power_w": power_w,
        "energy_kwh": energy_kwh,
        "co2e_kg": co2e_kg,
    }


def _device(stage: Mapping[str, Any], data: FootprintData) -> dict[str, Any]:
    """The stage's hardware, its kind and the watts per device used (rated, measured or given)."""
    hardware = str(stage["hardware"])
    power_given = parse_number("power_w", stage.get("power_w"))
    if hardware == OTHER_HARDWARE:
        if power_given is None:  # typed as a lone comma: blank once parsed
            raise FootprintError("power_w", MISSING_MESSAGES["power_w"])
        kind, hardware_name = OTHER_HARDWARE, "Other hardware"
        watts, watts_source = float(power_given), "given"
    elif hardware in data.devices:
        kind, hardware_name = data.devices[hardware]["kind"], data.devices[hardware]["name"]
        if power_given is not None:
            watts, watts_source = float(power_given), "measured"
        else:
            watts, watts_source = data.device_watts(hardware), "rated"
    else:
        raise FootprintError("hardware", f"unknown hardware {hardware!r}")
    warnings = [] if power_given is None or power_given <= POWER_WARNING_W else [
        f"{_plain(power_given)} W per device is more than one device usually draws ({_plain(POWER_WARNING_W)} W): "
        "check it is the power of one device (one core for CPUs), or of the whole node on purpose"]
    return {"hardware": hardware, "hardware_name": hardware_name, "kind": kind, "watts_per_device": watts,
            "watts_source": watts_source, "warnings": warnings}


def _pue(stage: Mapping[str, Any], platform: Mapping[str, Any], centre_pue: float | None) -> tuple[float, str]:
    """The PUE used and where it came from: given, the datacentre's published figure, or the platform's."""
    pue_given = parse_number("pue", stage.get("pue"))
    if pue_given is not None:
        return float(pue_given), "given"
    if centre_pue is not None:
        return centre_pue, "datacentre"
    return float(platform["pue"]), "platform"


def _activity(stage: Mapping[str, Any]) -> str | None:
    activity = stage.get("activity") or None
    if activity is not None and activity not in ACTIVITIES:
        raise FootprintError("activity", f"unknown kind of computing {activity!r}")
    return None if activity is None else str(activity)


def _parts(kind: str, devices_w: float, host_w: float, memory_w: float) -> dict[str, float]:
    """Watts drawn by CPU, GPU (and TPU), memory and other hardware."""
    return {"cpu": host_w + (devices_w if kind == "cpu" else 0.0),
            "gpu": devices_w if kind in ("gpu", "tpu") else 0.0,
            "memory": memory_w,
            "other": devices_w if kind == OTHER_HARDWARE else 0.0}


def _grid(stage: Mapping[str, Any], data: FootprintData) -> tuple[str | None, str, float, float | None]:
    """(location, its name, g CO2e/kWh, the datacentre's published PUE or None) of a stage."""
    intensity_given = parse_number("intensity", stage.get("intensity"))
    location = stage.get("location") or None
    if intensity_given is not None:
        return location, "Given carbon intensity", float(intensity_given), None
    platform = data.platforms[str(stage["platform"])]
    wanted = str(location or platform.get("location") or data.constants["default_location"])
    key = location_key(data, wanted)
    if key is None:
        raise FootprintError("location", f"unknown location {wanted!r}")
    if key in data.datacentres:
        centre = data.datacentres[key]
        grid = data.grids[centre["location"]]
        pue = centre.get("pue")
        return key, _place_name(data, key), float(grid["g_per_kwh"]), None if pue is None else float(pue)
    return key, _place_name(data, key), float(data.grids[key]["g_per_kwh"]), None


def _place_name(data: FootprintData, key: str) -> str:
    """A grid's name ("United Kingdom"), or a datacentre's with its grid's, of a key location_key() found."""
    if key in data.datacentres:
        centre = data.datacentres[key]
        return f"{centre['name']}, {data.grids[centre['location']]['name']}"
    return str(data.grids[key]["name"])


def _host_cores(stage: Mapping[str, Any], kind: str, count: float,
                data: FootprintData) -> tuple[int, float, str]:
    """(host CPU cores, watts per core, "given" | "platform" | "none") of a GPU or TPU stage."""
    if kind == "cpu":
        return 0, 0.0, "none"
    platform = data.platforms[str(stage["platform"])]
    host_cpu = platform.get("host_cpu")
    watts = data.device_watts(host_cpu) if host_cpu else float(data.constants.get("unknown_cpu_w_per_core", 0))
    given = parse_number("host_cores", stage.get("host_cores"))
    if given is not None:
        return int(given), watts, "given"
    per_device = platform.get("host_cores_per_device")
    if per_device:
        return int(per_device * count), watts, "platform"
    return 0, watts, "none"


def equivalents(co2e_kg: float, data: FootprintData) -> dict[str, float]:
    grams = co2e_kg * 1000
    return {
        "tree_months": grams / (float(data.constants["tree_g_per_year"]) / 12),
        "car_km": grams / float(data.constants["car_g_per_km"]),
    }


def tier_for(energy_kwh: float, co2e_kg: float, data: FootprintData) -> str:
    """Environment tier of a statement: Low below 100 kg CO2e; High above 1 t or above 10 MWh; else Medium."""
    tiers = data.tiers
    if co2e_kg > tiers["high_kg"] or energy_kwh > tiers["high_kwh"]:
        return "High"
    if co2e_kg >= tiers["medium_kg"]:
        return "Medium"
    return "Low"


def statement(stages: Sequence[Mapping[str, Any]], data: FootprintData | None = None) -> dict[str, Any]:
    """The environmental impact statement of complete stages (raises FootprintError on a bad stage)."""
    data = data or current_data()
    results = [compute_stage(stage, data) for stage in stages]
    return _summarise(results, [], data)


def statement_for_answer(value: Any, data: FootprintData | None = None) -> dict[str, Any] | None:
    """The statement of a stored stages answer, computed from its complete stages; None when none is.

    Incomplete stages are listed (1-based) under `incomplete_stages` rather than failing the whole statement,
    so a half-filled draft still shows the figures of what is there.
    """
    data = data or current_data()
    if not isinstance(value, list):
        return None
    results, incomplete = [], []
    for index, stage in enumerate(value):
        if not isinstance(stage, Mapping):
            incomplete.append(index + 1)
            continue
        try:
            results.append(compute_stage(stage, data))
        except FootprintError:
            incomplete.append(index + 1)
    if not results:
        return None
    return _summarise(results, incomplete, data)


def _summarise(results: list[dict[str, Any]], incomplete: list[int], data: FootprintData) -> dict[str, Any]:
    energy = sum(stage["energy_kwh"] for stage in results)
    co2e = sum(stage["co2e_kg"] for stage in results)
    for index, stage in enumerate(results):
        stage["label"] = stage["name"] or f"Stage {index + 1}"
        stage["share"] = stage["co2e_kg"] / co2e if co2e else 1.0 / len(results)
    dominant = max(range(len(results)), key=lambda i: (results[i]["co2e_kg"], results[i]["energy_kwh"]), default=None)
    return {
        "data_version": data.data_version,
        "data_label": data.label,
        "attribution": data.attribution,
        "stages": results,
        "incomplete_stages": incomplete,
        "energy_kwh": energy,
        "co2e_kg": co2e,
        **equivalents(co2e, data),
        "tier": tier_for(energy, co2e, data),
        "dominant_stage": dominant,
        "breakdown_kwh": _sum_parts(results, "breakdown_kwh"),
        "breakdown_co2e_kg": _sum_parts(results, "breakdown_co2e_kg"),
        "methods_sentence": methods_sentence(results, energy, co2e, data),
    }


def _sum_parts(results: list[dict[str, Any]], key: str) -> dict[str, float]:
    totals = {"cpu": 0.0, "gpu": 0.0, "memory": 0.0, "other": 0.0}
    for stage in results:
        for part, value in stage[key].items():
            totals[part] += value
    return totals


_HOURS_UNIT = {"gpu": "GPU-hours", "tpu": "TPU-hours", "cpu": "CPU core-hours", OTHER_HARDWARE: "device-hours"}


def methods_sentence(results: Sequence[Mapping[str, Any]], energy_kwh: float, co2e_kg: float,
                     data: FootprintData) -> str:
    """A sentence for a paper's methods section: what ran where, the estimate and its source."""
    clauses = []
    for index, stage in enumerate(results):
        what = stage["name"] or ACTIVITIES.get(str(stage.get("activity"))) or f"Stage {index + 1}"
        hours = stage["count"] * stage["hours"] * stage["runs"]
        # A given intensity (measured, or the supplier's) says nothing of the grid the stage ran on.
        where = f" in {stage['location_name']}" if stage.get("intensity_source") == "grid" else ""
        shown = f"{hours:,.0f}" if hours >= 100 else f"{hours:.3g}"
        clauses.append(f"{what if index == 0 else what[:1].lower() + what[1:]} used {shown} "
                       f"{_HOURS_UNIT[stage['kind']]} on {stage['hardware_name']}{where}")
    version = data.upstream_version or data.label.split()[-1]
    total = ", an estimated" if len(clauses) == 1 else "; in total an estimated"
    return (f"{'; '.join(clauses)}{total} {format_energy(energy_kwh)} and {format_carbon(co2e_kg)} "
            f"(Green Algorithms {version}, Lannelongue et al. 2021).")


# --- the risk model's hook ----------------------------------------------------------------------------

# A calculator tier is turned into the points that put the category at that tier on its own:
# Low 0 points, Medium 2 (the Medium threshold), High a hard trigger.
TIER_RISK = {"Low": ("L", 0), "Medium": ("M", 2), "High": ("H!", 3)}


def risk_reasons(stage_question_ids: Sequence[str], effective: Mapping[str, Any],
                 data: FootprintData | None = None) -> list[tuple[str, str, str, int, str]]:
    """(question id, category, level, points, text) for each answered stages question."""
    found = []
    for qid in stage_question_ids:
        result = statement_for_answer(effective.get(qid), data)
        if result is None:
            continue
        level, points = TIER_RISK[result["tier"]]
        text = (f"estimated footprint {format_carbon(result['co2e_kg'])}, {format_energy(result['energy_kwh'])} "
                f"({result['tier']}: {TIER_RULES[result['tier']]})")
        found.append((qid, "environment", level, points, text))
    return found


TIER_RULES = {
    "Low": "below 100 kg CO2e",
    "Medium": "100 kg to 1 t CO2e",
    "High": "above 1 t CO2e or 10 MWh",
}


# --- display --------------------------------------------------------------------------------------------

def format_number(value: float) -> str:
    """Figures as people read them: 3-4 significant digits, thousands separators."""
    size = abs(value)
    if size >= 100:
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:,.1f}"
    if size >= 1:
        return f"{value:,.2f}"
    return f"{value:.3g}"


def format_energy(kwh: float) -> str:
    return f"{format_number(kwh)} kWh"


def format_carbon(kg: float) -> str:
    if abs(kg) >= 1000:
        return f"{format_number(kg / 1000)} t CO2e"
    return f"{format_number(kg)} kg CO2e"


def _hardware_name(stage: Mapping[str, Any], data: FootprintData) -> str:
    hardware = str(stage.get("hardware") or "")
    if hardware == OTHER_HARDWARE:
        return "other hardware"
    return str(data.devices.get(hardware, {}).get("name", hardware or "hardware not given"))


def describe_stage(stage: Mapping[str, Any], data: FootprintData | None = None) -> str:
    """One line for a stored (or raw) stage: what was entered, for the answers list."""
    data = data or current_data()
    hardware = str(stage.get("hardware") or "")
    hardware_name = _hardware_name(stage, data)
    cores = data.device_kind(hardware) == "cpu"
    parts = [f"{stage.get('count') or '?'} × {hardware_name}" + (" (cores)" if cores else "")]
    if not _blank(stage.get("power_w")):
        parts.append(f"{stage['power_w']} W per {'core' if cores else 'device'}"
                     + ("" if hardware == OTHER_HARDWARE else " measured"))
    if not _blank(stage.get("host_cores")):
        parts.append(f"{stage['host_cores']} host CPU cores")
    parts.append(f"{stage.get('hours') or '?'} h per run")
    parts.append(f"{stage.get('memory_gb') if not _blank(stage.get('memory_gb')) else '?'} GB memory")
    if not _blank(stage.get("usage")):
        parts.append(f"usage {stage['usage']}")
    platform = str(stage.get("platform") or "")
    parts.append(data.platforms.get(platform, {}).get("name", platform or "platform not given"))
    if not _blank(stage.get("pue")):
        parts.append(f"PUE {stage['pue']}")
    location = str(stage.get("location") or data.constants["default_location"])
    parts.append(f"grid {location}")
    parts.append(f"{stage.get('runs') or 1} run(s)")
    return ", ".join(str(part) for part in parts)


def describe_stages(value: Any, data: FootprintData | None = None) -> str:
    if not isinstance(value, list):
        return str(value)
    lines = []
    for index, stage in enumerate(value):
        if isinstance(stage, Mapping):
            name = stage.get("name") or f"Stage {index + 1}"
            lines.append(f"{name}: {describe_stage(stage, data)}")
    return "; ".join(lines)


# The columns of a footprint answer drawn as a table (answers.answer_view), in order, with their headings.
TABLE_COLUMNS = {"stage": "Stage", "hardware": "Hardware", "hours": "Hours per run", "runs": "Runs",
                 "region": "Region", "energy": "Energy", "co2e": "CO2e"}
NOT_COMPUTED = "not computed (stage incomplete)"


def stage_table(value: Any, data: FootprintData | None = None,
                frozen: Mapping[str, Any] | None = None) -> list[dict[str, str]]:
    """Each stored stage as a row of TABLE_COLUMNS texts, with its energy and CO2e computed from the data.

    `frozen` is the statement a submitted round stored (statement_for_answer of this very answer, at submit;
    {} when no stage was complete): each stage's figures are then read from it, never computed again, so a
    change of footprint data changes neither what the round's pages say nor their agreement with the signed
    assessment, which prints that statement."""
    data = data or current_data()
    if not isinstance(value, list):
        return []
    figures = (_frozen_figures(value, frozen) if frozen is not None
               else [_computed_figures(stage, data) for stage in value])
    return [_table_row(index, stage, data, figures[index])
            for index, stage in enumerate(value) if isinstance(stage, Mapping)]


def _computed_figures(stage: Any, data: FootprintData) -> dict[str, Any] | None:
    try:
        return compute_stage(stage, data) if isinstance(stage, Mapping) else None
    except (FootprintError, KeyError, TypeError, ValueError):
        return None


def _frozen_figures(stages: Sequence[Any], frozen: Mapping[str, Any]) -> list[Mapping[str, Any] | None]:
    """The stored figures of each stage, in the answer's order: statement_for_answer lists the complete stages'
    results in order and the others (1-based) under incomplete_stages."""
    results = iter(frozen.get("stages") or [])
    incomplete = set(frozen.get("incomplete_stages") or [])
    return [None if index + 1 in incomplete else next(results, None) for index in range(len(stages))]


def _table_row(index: int, stage: Mapping[str, Any], data: FootprintData,
               figures: Mapping[str, Any] | None) -> dict[str, str]:
    cores = " cores" if data.device_kind(str(stage.get("hardware") or "")) == "cpu" else ""
    return {
        "stage": str(stage.get("name") or f"Stage {index + 1}"),
        "hardware": f"{stage.get('count') or '?'}{cores} × {_hardware_name(stage, data)}",
        "hours": f"{_plain(figures['hours']) if figures else stage.get('hours') or '?'} h",
        "runs": _plain(figures["runs"]) if figures else str(stage.get("runs") or 1),
        "region": figures["location_name"] if figures else _region_typed(stage, data),
        "energy": format_energy(figures["energy_kwh"]) if figures else NOT_COMPUTED,
        "co2e": format_carbon(figures["co2e_kg"]) if figures else NOT_COMPUTED,
    }


def _region_typed(stage: Mapping[str, Any], data: FootprintData) -> str:
    """The region of a stage whose figures are not computed: its grid or datacentre by name, as a computed
    stage's row gives it, or as typed when the data do not know it."""
    typed = str(stage.get("location") or "").strip()
    if not typed:
        return "not given"
    key = location_key(data, typed)
    return typed if key is None else _place_name(data, key)


def stage_table_diff(old: Sequence[Mapping[str, str]], new: Sequence[Mapping[str, str]]) -> list[dict[str, Any]]:
    """Two rounds' stage tables compared stage by stage and cell by cell (records.table_diff): a stage is paired
    with the earlier one of the same name, else the one in its place."""
    return records.table_diff(old, new, list(TABLE_COLUMNS), by_position=True)

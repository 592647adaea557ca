#!/usr/bin/env python3
"""Convert the published Green Algorithms data files (CSV) into the calculator's data file.

    .venv/bin/python scripts/import_green_algorithms.py questionnaires/data/footprint/sources/green-algorithms-v3.0 \
        questionnaires/data/footprint/green-algorithms-v3.0+crucible.2.yaml

The published files are kept, unchanged and with their licence, under questionnaires/data/footprint/sources/.

The figures are copied as published (CPU power per core from TDP_per_core, not TDP / cores); only the keys
and labels are Crucible's. Keys of hardware already offered by an earlier data file are kept so that drafts
saved with them still parse. The output is a new data file with its own `data_version`: a released data
file is never rewritten, because submitted rounds record the version they were computed with.
"""
from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path
from typing import Any

import yaml

UPSTREAM_VERSION = "v3.0"
DATA_VERSION = "green-algorithms-v3.0+crucible.2"
EXTRA_FILE = "extra-hardware.1.yaml"

# Models of the first (hand-typed) data file, under the keys and names stored drafts and scripts use.
LEGACY_KEYS = {
    "NVIDIA A100 40GB PCIe": ("a100_pcie_40gb", "NVIDIA A100 40GB PCIe"),
    "NVIDIA A100 80GB PCIe": ("a100_pcie_80gb", "NVIDIA A100 80GB PCIe"),
    "NVIDIA Tesla V100": ("v100", "NVIDIA V100"),
    "NVIDIA Tesla V100S": ("v100s", "NVIDIA V100S"),
    "NVIDIA Tesla P100": ("p100", "NVIDIA P100"),
    "NVIDIA Tesla T4": ("t4", "NVIDIA T4"),
    "NVIDIA Tesla P4": ("p4", "NVIDIA P4"),
    "NVIDIA Tesla K80": ("k80", "NVIDIA K80"),
    "NVIDIA RTX 2080 Ti": ("rtx_2080_ti", "NVIDIA RTX 2080 Ti"),
    "NVIDIA GTX 1080": ("gtx_1080", "NVIDIA GTX 1080"),
    "NVIDIA Titan V": ("titan_v", "NVIDIA Titan V"),
    "TPU v2": ("tpu_v2", "Google TPU v2"),
    "TPU v3": ("tpu_v3", "Google TPU v3"),
    "TPU v4": ("tpu_v4", "Google TPU v4"),
    "Xeon Gold 6148": ("xeon_gold_6148", "Intel Xeon Gold 6148"),
    "Xeon Gold 6248": ("xeon_gold_6248", "Intel Xeon Gold 6248"),
    "Xeon Platinum 8268": ("xeon_platinum_8268", "Intel Xeon Platinum 8268"),
    "Xeon E5-2683 v4": ("xeon_e5_2683_v4", "Intel Xeon E5-2683 v4"),
    "AMD EPYC 7763": ("epyc_7763", "AMD EPYC 7763"),
    "AMD EPYC 7513": ("epyc_7513", "AMD EPYC 7513"),
    "Core i9-12900K": ("core_i9_12900k", "Intel Core i9-12900K"),
}
# Platforms by the provider codes of defaults_PUE.csv; `personal` (PUE 1) is the calculator's convention for
# a computer with no datacentre around it, and the unknown PUE serves local servers and unnamed clouds.
PLATFORMS = {
    "personal": ("A personal computer", None, False),
    "local_server": ("A local server or HPC cluster", "Unknown", False),
    "gcp": ("Google Cloud", "gcp", True),
    "aws": ("Amazon Web Services", "aws", True),
    "azure": ("Microsoft Azure", "azure", True),
    "ovhcloud": ("OVHcloud", "OVHcloud", True),
    "oracle": ("Oracle Cloud", "Oracle", True),
    "cloud_other": ("Another cloud provider (typical value)", "Unknown", True),
}
PROVIDER_PLATFORM = {"gcp": "gcp", "aws": "aws", "azure": "azure"}


def _rows(folder: Path, name: str) -> list[dict[str, str]]:
    """The rows of a published CSV: its first line describes the units, the second names the columns."""
    with (folder / name).open(encoding="utf-8", newline="") as handle:
        lines = list(csv.reader(handle))
    header = [column.strip() for column in lines[1]]
    return [{header[i]: cell.strip() for i, cell in enumerate(row) if i < len(header)}
            for row in lines[2:] if any(cell.strip() for cell in row)]


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() else value


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _devices(folder: Path) -> tuple[dict[str, dict[str, Any]], dict[str, float]]:
    devices: dict[str, dict[str, Any]] = {}
    unknown: dict[str, float] = {}
    for file_name, kind in (("TDP_gpu.csv", "gpu"), ("TDP_cpu.csv", "cpu")):
        for row in _rows(folder, file_name):
            model = row["model"]
            if model == "Any":
                unknown[kind] = float(row["TDP_per_core"])
                continue
            device_kind = "tpu" if model.startswith("TPU") else kind
            key, name = LEGACY_KEYS.get(model) or (_slug(model), model)
            entry: dict[str, Any] = {"name": name, "kind": device_kind, "watts": _number(row["TDP_per_core"])}
            if name != model:
                entry["model"] = model
            if row.get("TDP"):
                entry["tdp_w"] = _number(row["TDP"])
            if kind == "cpu" and row.get("n_cores"):
                entry["cores"] = int(float(row["n_cores"]))
            if row.get("source"):
                entry["source"] = row["source"]
            if key in devices:
                raise SystemExit(f"{file_name}: {model!r} and {devices[key]['name']!r} share the key {key}")
            devices[key] = entry
    return devices, unknown


def _grids(folder: Path) -> dict[str, dict[str, Any]]:
    grids = {}
    for row in _rows(folder, "CI_aggregated.csv"):
        if row["location"] == "WORLD":
            name = "Other or unknown (world average)"
        elif row["regionName"] and row["regionName"] != "Any":
            name = f"{row['countryName']}: {row['regionName']}"
        else:
            name = row["countryName"]
        grids[row["location"]] = {"name": name, "g_per_kwh": _number(row["carbonIntensity"]),
                                  "source": " ".join(filter(None, (row["source"], row["comments"])))}
    return grids


def _datacentres(folder: Path, grids: dict[str, Any]) -> dict[str, dict[str, Any]]:
    centres = {}
    for file_name in ("cloudProviders_datacenters.csv", "localProviders_datacenters.csv"):
        for row in _rows(folder, file_name):
            if not row["location"]:
                # Published without a location (Azure's Qatar Central in v3.0): nothing to compute it with.
                print(f"{file_name}: skipped {row['Name']}, which has no location", file=sys.stderr)
                continue
            if row["location"] not in grids:
                raise SystemExit(f"{file_name}: {row['Name']} is in {row['location']}, which has no carbon intensity")
            key = f"{row['provider']}/{_slug(row['Name']).replace('_', '-')}"
            entry: dict[str, Any] = {"name": f"{row['Name']} ({row['location_freeForm'] or row['location']})",
                                     "platform": PROVIDER_PLATFORM.get(row["provider"], "local_server"),
                                     "location": row["location"]}
            if row.get("PUE"):
                entry["pue"] = _number(row["PUE"])
            centres[key] = entry
    return centres


def convert(folder: Path) -> dict[str, Any]:
    reference = {row["variable"]: row["value"] for row in _rows(folder, "referenceValues.csv")}
    default_pue = {row["provider"]: _number(row["PUE"]) for row in _rows(folder, "defaults_PUE.csv")}
    devices, unknown = _devices(folder)
    grids = _grids(folder)
    platforms: dict[str, dict[str, Any]] = {}
    for key, (name, provider, cloud) in PLATFORMS.items():
        platforms[key] = {"name": name, "pue": 1.0 if provider is None else default_pue[provider]}
        if cloud:
            platforms[key]["cloud"] = True
    return {
        "data_version": DATA_VERSION,
        "upstream_version": UPSTREAM_VERSION,
        "label": f"Green Algorithms data {UPSTREAM_VERSION}",
        "source": ("Lannelongue, Grealey & Inouye, \"Green Algorithms: Quantifying the Carbon Footprint of "
                   "Computation\", Advanced Science 2021, 2100707 (doi:10.1002/advs.202100707); data files of the "
                   f"GreenAlgorithms/green-algorithms-tool repository, data/{UPSTREAM_VERSION} (commit 30df2fe), "
                   "converted by scripts/import_green_algorithms.py."),
        "licence": "CC BY 4.0",
        "attribution": ("Hardware power, PUE and carbon-intensity figures from the Green Algorithms project "
                        f"(Lannelongue, Grealey & Inouye 2021), data {UPSTREAM_VERSION}, licensed under CC BY 4.0."),
        "extra": EXTRA_FILE,
        "constants": {
            "memory_w_per_gb": _number(reference["memoryPower"]),
            "default_usage": 1.0,
            "tree_g_per_year": _number(reference["treeYear"]),
            "car_g_per_km": _number(reference["passengerCar_EU_perkm"]),
            "unknown_cpu_w_per_core": unknown["cpu"],
            "unknown_gpu_w": unknown["gpu"],
            "default_platform": "local_server",
            "default_location": "GB",
        },
        "tiers": {"medium_kg": 100, "high_kg": 1000, "high_kwh": 10000},
        "devices": devices,
        "platforms": platforms,
        "grids": grids,
        "datacentres": _datacentres(folder, grids),
    }


HEADER = """\
# Generated by scripts/import_green_algorithms.py from the Green Algorithms data files {upstream}
# (CC BY 4.0, see `attribution`). Do not edit: re-run the import into a new file with a new data_version.
# Hardware outside Green Algorithms (and the UK facility presets) is in `{extra}`, read with this file.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="folder holding the published CSV files")
    parser.add_argument("output", type=Path, help="the data file to write (must not exist)")
    args = parser.parse_args(argv)
    if args.output.exists():
        print(f"{args.output} exists: released data files are never rewritten", file=sys.stderr)
        return 1
    data = convert(args.source)
    text = HEADER.format(upstream=UPSTREAM_VERSION, extra=EXTRA_FILE)
    text += yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)
    args.output.write_text(text, encoding="utf-8")
    print(f"{args.output}: {len(data['devices'])} devices, {len(data['grids'])} grids, "
          f"{len(data['datacentres'])} datacentres")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Summarise the wapiti and sqlmap reports in security-reports/ and fail on a finding not on the allowlist.

    python scripts/security_summary.py security-reports scripts/security-allowlist.txt

Allowlist lines: `tool | category | path (fnmatch) | detail (fnmatch) | SECURITY.md entry`; '#' starts a comment.
Every allowlisted finding must be explained in SECURITY.md ("False positives of the scanners").
"""
from __future__ import annotations

import csv
import fnmatch
import json
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit


def wapiti_findings(report: Path) -> list[dict]:
    if not report.exists():
        return [{"tool": "wapiti", "category": "no report", "path": str(report), "detail": "wapiti wrote no report"}]
    data = json.loads(report.read_text())
    findings = []
    for group in ("vulnerabilities", "anomalies"):
        for category, items in (data.get(group) or {}).items():
            for item in items or []:
                findings.append({
                    "tool": "wapiti",
                    "category": category,
                    "path": item.get("path", ""),
                    "detail": f"{item.get('method', '')} {item.get('parameter', '')}: {item.get('info', '')}".strip(),
                })
    return findings


def wapiti_coverage(report: Path) -> str:
    if not report.exists():
        return "no report"
    log = report.with_suffix(".log")
    text = log.read_text(errors="replace") if log.exists() else ""
    found = re.search(r"found (\d+) URLs and forms", text)
    modules = re.findall(r"Launching module (\w+)", text)
    requests = len(re.findall(r"^\[\+\] (?:GET|POST) ", text, flags=re.M))
    return (f"{found.group(1) if found else '?'} URLs and forms found; modules run: {', '.join(modules) or 'none'}; "
            f"{requests} attack requests logged")


def sqlmap_findings(reports: Path) -> list[dict]:
    findings = []
    log = reports / "sqlmap.log"
    if not log.exists() or not re.search(r"found a total of [1-9]\d* targets", log.read_text(errors="replace")):
        findings.append({"tool": "sqlmap", "category": "did not run", "path": str(log),
                         "detail": "sqlmap found no form to test (see sqlmap.log)"})
    results = reports / "sqlmap-results.csv"
    if results.exists():
        with results.open(newline="") as handle:
            for row in csv.DictReader(handle):
                if row.get("Parameter"):
                    findings.append({"tool": "sqlmap", "category": "SQL injection",
                                     "path": urlsplit(row.get("Target URL", "")).path,
                                     "detail": f"{row.get('Place')} {row.get('Parameter')} {row.get('Technique(s)')}"
                                               + (f" ({row['Note(s)']})" if row.get("Note(s)") else "")})
    log = reports / "sqlmap.log"
    if log.exists():
        text = log.read_text(errors="replace")
        for match in re.finditer(r"parameter '([^']+)' is vulnerable", text):
            findings.append({"tool": "sqlmap", "category": "SQL injection", "path": "(see sqlmap.log)",
                             "detail": f"parameter {match.group(1)} reported vulnerable"})
    return findings


def sqlmap_coverage(reports: Path) -> str:
    log = reports / "sqlmap.log"
    if not log.exists():
        return "no log"
    text = log.read_text(errors="replace")
    targets = re.search(r"found a total of (\d+) targets", text)
    forms = int(targets.group(1)) if targets else len(re.findall(r"^\[\d+/\d+\] Form:", text, flags=re.M))
    tested = len(re.findall(r"testing if .*parameter '[^']+' is dynamic", text))
    not_injectable = len(re.findall(r"does not seem to be injectable", text))
    return f"{forms} forms found, {tested} parameters tested, {not_injectable} reported not injectable"


def load_allowlist(path: Path) -> list[tuple[str, str, str, str, str]]:
    entries = []
    if path.exists():
        for line in path.read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = [part.strip() for part in line.split("|")]
            if len(parts) == 5:
                tool, category, pattern, detail, section = parts
                entries.append((tool, category, pattern, detail, section))
    return entries


def allowed(finding: dict, allowlist) -> str | None:
    for tool, category, pattern, detail, section in allowlist:
        if (tool == finding["tool"] and category == finding["category"] and fnmatch.fnmatch(finding["path"], pattern)
                and fnmatch.fnmatch(finding["detail"], detail)):
            return section
    return None


def main() -> int:
    reports = Path(sys.argv[1] if len(sys.argv) > 1 else "security-reports")
    allowlist = load_allowlist(Path(sys.argv[2] if len(sys.argv) > 2 else "scripts/security-allowlist.txt"))
    findings = wapiti_findings(reports / "wapiti.json") + sqlmap_findings(reports)
    lines = [
        f"wapiti: {wapiti_coverage(reports / 'wapiti.json')}",
        f"sqlmap: {sqlmap_coverage(reports)}",
        f"findings: {len(findings)}",
    ]
    unexplained = 0
    for finding in findings:
        section = allowed(finding, allowlist)
        if section is None:
            unexplained += 1
        mark = f"false positive, see SECURITY.md: {section}" if section else "NOT EXPLAINED"
        lines.append(f"  [{finding['tool']}] {finding['category']} {finding['path']} -- {finding['detail'][:200]} "
                     f"({mark})")
    lines.append(f"unexplained findings: {unexplained}")
    summary = "\n".join(lines)
    (reports / "summary.txt").write_text(summary + "\n")
    print(summary)
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())

"""`make security` fails on any scanner finding that SECURITY.md does not explain (scripts/security_summary.py)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SUMMARY = PROJECT_ROOT / "scripts" / "security_summary.py"
ALLOWLIST = PROJECT_ROOT / "scripts" / "security-allowlist.txt"


def _reports(tmp_path: Path, sqlmap_rows: list[str], wapiti: dict | None = None) -> Path:
    (tmp_path / "wapiti.json").write_text(json.dumps(wapiti or {"vulnerabilities": {}, "anomalies": {}}))
    (tmp_path / "sqlmap.log").write_text("[INFO] found a total of 7 targets\n")
    (tmp_path / "sqlmap-results.csv").write_text(
        "Target URL,Place,Parameter,Technique(s),Note(s)\n" + "".join(row + "\n" for row in sqlmap_rows))
    return tmp_path


def _summarise(reports: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SUMMARY), str(reports), str(ALLOWLIST)], capture_output=True,
                          text=True, timeout=60)


def test_a_guess_sqlmap_rejected_itself_is_explained(tmp_path):
    result = _summarise(_reports(tmp_path, [
        "http://127.0.0.1:5000/applications/new,POST,title,B,false positive or unexploitable"]))
    assert result.returncode == 0, result.stdout
    assert "FP-4" in result.stdout and "unexplained findings: 0" in result.stdout


def test_an_injection_sqlmap_confirms_fails_the_scan(tmp_path):
    result = _summarise(_reports(tmp_path, ["http://127.0.0.1:5000/review/queue,GET,search,BT,"]))
    assert result.returncode == 1
    assert "NOT EXPLAINED" in result.stdout and "unexplained findings: 1" in result.stdout


def test_wapiti_header_false_positives_pass_and_an_xss_fails(tmp_path):
    headers = {"vulnerabilities": {"HTTP Secure Headers": [
        {"path": "/", "method": "GET", "parameter": "", "info": "Strict-Transport-Security is not set"}]}}
    assert _summarise(_reports(tmp_path, [], headers)).returncode == 0
    xss = {"vulnerabilities": {"Reflected Cross Site Scripting": [
        {"path": "/review/queue", "method": "GET", "parameter": "search", "info": "XSS vulnerability"}]}}
    result = _summarise(_reports(tmp_path, [], xss))
    assert result.returncode == 1 and "Reflected Cross Site Scripting" in result.stdout

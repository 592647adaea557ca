"""The footprint answer drawn as a table of its stages on every page that shows answers, and compared stage by
stage and figure by figure in the round diff (issue 16 item 11); through the test client on both databases."""
from __future__ import annotations

import html as html_lib
import re

from app.questionnaires.footprint import stage_table_diff
from tests.helpers import LOW_RISK_ANSWERS, comment, decide, in_review, post_section, recommend

SCREENING = {"D1-1-name": "Screening", "D1-1-hardware": "a100_pcie_80gb", "D1-1-count": "2", "D1-1-hours": "4",
             "D1-1-memory_gb": "32", "D1-1-usage": "1", "D1-1-platform": "local_server", "D1-1-location": "GB",
             "D1-1-runs": "650"}
HEADINGS = ["Stage", "Hardware", "Hours per run", "Runs", "Region", "Energy", "CO2e"]


def _two_stages() -> dict:
    answers = {k: dict(v) for k, v in LOW_RISK_ANSWERS.items()}
    answers["D"].update(SCREENING)
    return answers


def _stage_table(page: str) -> list[list[str]]:
    """The rows of the D1 stage table (headings first), each cell's text with its tags dropped."""
    table = re.search(r'aria-label="Stages of D1[^"]*".*?</table>', page, re.S)
    assert table, "no stage table for D1"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(0), re.S)
    return [[html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip())
             for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)] for row in rows]


def _assert_two_stage_table(page: str) -> None:
    rows = _stage_table(page)
    assert rows[0] == HEADINGS
    fine_tuning, screening = rows[1], rows[2]
    assert fine_tuning[:5] == ["Fine-tuning", "1 × NVIDIA A100 80GB PCIe", "10 h", "3", "United Kingdom"]
    assert fine_tuning[5].endswith(" kWh") and fine_tuning[6].endswith(" kg CO2e")
    assert screening[:4] == ["Screening", "2 × NVIDIA A100 80GB PCIe", "4 h", "650"]
    assert "h per run," not in page  # not the one run-on line it was


def test_the_footprint_is_a_table_on_the_check_reviewer_and_decision_pages(app, make_client):
    submission_id, owner, c = in_review(app, make_client, _two_stages())
    _assert_two_stage_table(owner.client.get(f"/applications/{submission_id}/check").get_data(as_text=True))
    _assert_two_stage_table(c.reviewer1.client.get(f"/review/applications/{submission_id}").get_data(as_text=True))
    comment(app, c.reviewer1, submission_id, "D1", "Why 650 screening runs?", visibility="applicant")
    for reviewer in (c.reviewer1, c.reviewer2):
        assert recommend(app, submission_id, reviewer, "changes_requested", "Runs.").status_code == 302
    assert decide(c, submission_id, "changes_requested").status_code == 302
    _assert_two_stage_table(owner.client.get(f"/applications/{submission_id}/feedback").get_data(as_text=True))


def test_the_round_diff_marks_only_the_changed_figures(app, make_client):
    submission_id, owner, c = in_review(app, make_client, _two_stages())
    for reviewer in (c.reviewer1, c.reviewer2):
        assert recommend(app, submission_id, reviewer, "changes_requested", "Runs.").status_code == 302
    assert decide(c, submission_id, "changes_requested").status_code == 302
    revised = {**_two_stages()["D"], "D1-1-runs": "200", "D1-2-name": "Inference", "D1-2-hardware": "a100_pcie_80gb",
               "D1-2-count": "1", "D1-2-hours": "1", "D1-2-memory_gb": "8", "D1-2-platform": "local_server",
               "D1-2-location": "GB", "D1-2-runs": "1"}
    assert post_section(owner.client, submission_id, "D", revised, button="save").status_code == 302
    assert owner.client.post(f"/applications/{submission_id}/submit").status_code == 302
    page = c.reviewer1.client.get(f"/review/applications/{submission_id}/diff").get_data(as_text=True)
    headings, fine_tuning, screening, inference = _stage_table(page)
    assert headings == HEADINGS
    assert not any("(was" in cell for cell in fine_tuning)  # an unchanged stage is marked nowhere
    assert screening[:3] == ["Screening", "2 × NVIDIA A100 80GB PCIe", "4 h"]  # unchanged cells as they are
    assert screening[3] == "200 (was 650)"
    assert re.fullmatch(r"[\d.,]+ kWh \(was [\d.,]+ kWh\)", screening[5])
    assert inference[0] == "Inference New stage" and not any("(was" in cell for cell in inference)
    d1 = page[page.index(">D1. "):]
    assert "<del" not in d1[:d1.index("</tr>", d1.index("</table>"))]  # nothing struck through whole


def test_stages_are_compared_by_name_before_place():
    row = dict.fromkeys(("hardware", "hours", "runs", "region", "energy", "co2e"), "x")
    old = [{**row, "stage": "Pre-training"}, {**row, "stage": "Screening"}]
    new = [{**row, "stage": "Screening", "runs": "y"}]
    compared = stage_table_diff(old, new)
    assert [r["status"] for r in compared] == ["changed", "removed"]
    assert [c["was"] for c in compared[0]["cells"]] == [None, None, None, "x", None, None, None]
    assert compared[1]["cells"][0]["text"] == "Pre-training"

"""The environmental impact statement through the real app: section D stages, live/saved figures, the
check-your-answers page, and the statement frozen into the submitted round."""
from __future__ import annotations

import dataclasses
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.questionnaires import footprint
from app.submissions.models import Answer, Round, Submission
from tests.helpers import (
    LOW_RISK_ANSWERS,
    create_application,
    fill_application,
    in_review,
    login,
    make_user,
    page_text,
    post_section,
    state,
)

PRETRAIN = {"D1-0-name": "Pre-training", "D1-0-hardware": "a100_pcie_80gb", "D1-0-count": "4", "D1-0-hours": "48",
            "D1-0-memory_gb": "64", "D1-0-usage": "1", "D1-0-platform": "local_server", "D1-0-location": "GB",
            "D1-0-runs": "1"}
SCREENING = {"D1-1-name": "Screening", "D1-1-hardware": "other", "D1-1-power_w": "7.5", "D1-1-count": "12",
             "D1-1-hours": "12", "D1-1-memory_gb": "64", "D1-1-usage": "1", "D1-1-platform": "local_server",
             "D1-1-pue": "1.67", "D1-1-location": "WORLD", "D1-1-runs": "1"}


def _start(app, client):
    login(client, make_user(app))
    return create_application(client)


def _d1(app, submission_id):
    with app.app_context():
        row = db.session.scalar(select(Answer).where(Answer.submission_id == submission_id, Answer.question_id == "D1"))
        return None if row is None else (row.value, row.invalid_input, row.invalid_message)


def test_section_d_offers_labelled_stage_fields_and_the_data(app, client):
    submission_id = _start(app, client)
    html = client.get(f"/applications/{submission_id}/sections/D").get_data(as_text=True)
    for name in footprint.STAGE_FIELDS:
        assert f'<label class="form-label" for="D1-0-{name}">' in html
        assert f'id="D1-0-{name}" name="D1-0-{name}"' in html
    ids = re.findall(r'\sid="([^"]+)"', re.sub(r"<template.*?</template>", "", html, flags=re.S))
    assert len(ids) == len(set(ids)), "field ids are unique"
    assert 'NVIDIA A100 80GB PCIe (300 W)' in html and 'value="other"' in html
    assert '<option value="GB" selected>' in html  # default grid
    assert '<script type="application/json" id="footprint-data">' in html
    assert "js/footprint.js" in html
    assert " style=" not in html and "<script>" not in html  # the CSP allows neither
    assert 'name="D1-add"' in html and "Add another stage" in html
    assert "Environmental impact statement" in page_text(client.get(f"/applications/{submission_id}/sections/D"))


def test_saved_stages_show_the_figures_without_javascript(app, client):
    submission_id = _start(app, client)
    response = post_section(client, submission_id, "D", {**PRETRAIN, **SCREENING}, button="save")
    assert response.status_code == 302
    value, invalid, _ = _d1(app, submission_id)
    assert invalid is None and [s["name"] for s in value] == ["Pre-training", "Screening"]
    text = page_text(client.get(f"/applications/{submission_id}/sections/D"))
    # 91.641 + 2.2814 kWh; 21.180 + 1.0836 kg CO2e.
    assert "Energy 93.9 kWh" in text
    assert "Carbon footprint 22.3 kg CO2e" in text
    assert "24.3 tree-months" in text and "127 km by car" in text
    assert "Environment tier Low" in text
    assert "Largest stage Pre-training (95% of the CO2e)" in text
    assert "300 W per device (rated power (TDP))" in text and "7.5 W per device (power given)" in text
    assert "Carbon footprint by stage Pre-training 21.2 kg CO2e Screening 1.08 kg CO2e" in text
    assert "green-algorithms-v3.0" in text and "CC BY 4.0" in text


def test_add_and_remove_stage_work_without_javascript(app, client):
    submission_id = _start(app, client)
    response = post_section(client, submission_id, "D", {**PRETRAIN, "D1-add": "1"}, button="save")
    assert response.status_code == 302 and "add_stage=1" in response.headers["Location"]
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'name="D1-1-hardware"' in html and 'value="Pre-training"' in html
    assert 'name="D1-remove" value="1"' in html
    # Fill the new stage, then remove the first one.
    post_section(client, submission_id, "D", {**PRETRAIN, **SCREENING}, button="save")
    response = post_section(client, submission_id, "D", {**PRETRAIN, **SCREENING, "D1-remove": "0"}, button="save")
    assert response.status_code == 302
    assert [s["name"] for s in _d1(app, submission_id)[0]] == ["Screening"]
    html = client.get(f"/applications/{submission_id}/sections/D").get_data(as_text=True)
    assert 'value="Screening"' in html and 'value="Pre-training"' not in html


def test_stage_errors_appear_next_to_their_fields_and_nothing_typed_is_lost(app, client):
    submission_id = _start(app, client)
    bad = {**PRETRAIN, **SCREENING, "D1-1-count": "twelve", "D1-1-pue": "9", "D2": "Early stopping."}
    response = post_section(client, submission_id, "D", bad, button="save")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="D1-1-count-error"' in html and 'aria-describedby="D1-1-count-error"' in html
    assert 'id="D1-1-pue-error"' in html and "Enter a number from 1 to 3" in html
    assert 'value="twelve"' in html and 'value="9"' in html
    assert "Correct stage 2 (number of devices or cores, pue)" in page_text(response)
    value, invalid, message = _d1(app, submission_id)
    assert value is None and invalid[1]["count"] == "twelve" and invalid[0]["name"] == "Pre-training"
    # Reloading still shows what was typed, with the field's message, and the section needs attention.
    reloaded = client.get(f"/applications/{submission_id}/sections/D").get_data(as_text=True)
    assert 'value="twelve"' in reloaded and 'id="D1-1-count-error"' in reloaded
    assert "Needs attention" in page_text(client.get(f"/applications/{submission_id}"))


def test_continue_with_an_incomplete_stage_names_the_missing_fields(app, client):
    submission_id = _start(app, client)
    response = post_section(client, submission_id, "D", {"D1-0-hardware": "v100", "D1-0-count": "2"})
    assert response.status_code == 200
    text = page_text(response)
    assert "Complete stage 1 (hours per run, memory, platform)" in text
    assert "Enter the hours one run takes" in text
    # The partial stage is kept as a draft answer, not as invalid input.
    value, invalid, _ = _d1(app, submission_id)
    assert invalid is None and value[0]["count"] == 2


def test_check_page_shows_the_statement_and_blocks_incomplete_stages(app, client):
    submission_id = _start(app, client)
    fill_application(client, submission_id)
    text = page_text(client.get(f"/applications/{submission_id}/check"))
    # LOW_RISK_ANSWERS: 1 x A100 80GB, 10 h, 16 GB, PUE 1.56, GB, 3 runs = 14.3 kWh, 3.31 kg CO2e.
    assert "Environmental impact statement" in text
    assert "Energy 14.3 kWh" in text and "Carbon footprint 3.31 kg CO2e" in text
    assert ("D1. Which computing will the project use? Stage Hardware Hours per run Runs Region Energy CO2e "
            "Fine-tuning 1 × NVIDIA A100 80GB PCIe 10 h 3 United Kingdom 14.3 kWh 3.31 kg CO2e") in text
    assert "Environment Low 0 —" in text
    post_section(client, submission_id, "D", {**LOW_RISK_ANSWERS["D"], "D1-0-hours": ""}, button="save")
    text = page_text(client.get(f"/applications/{submission_id}/check"))
    assert "D1: Complete stage 1 (hours per run)" in text
    assert ("Fine-tuning 1 × NVIDIA A100 80GB PCIe ? h 3 United Kingdom not computed (stage incomplete) "
            "not computed (stage incomplete)") in text


def _submit(client, submission_id):
    response = client.post(f"/applications/{submission_id}/submit")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def test_submit_freezes_the_statement_with_its_data_version(app, client, monkeypatch):
    submission_id = _start(app, client)
    fill_application(client, submission_id, {**LOW_RISK_ANSWERS, "D": {**PRETRAIN, **SCREENING}})
    _submit(client, submission_id)
    with app.app_context():
        round_ = db.session.scalar(select(Round).where(Round.submission_id == submission_id))
        frozen = dict(round_.footprint)
    assert frozen["data_version"] == "green-algorithms-v3.0+crucible.2"
    assert frozen["energy_kwh"] == pytest.approx(91.641 + 2.2814, rel=1e-3)
    assert frozen["co2e_kg"] == pytest.approx(21.180 + 1.0836, rel=1e-3)
    assert [s["label"] for s in frozen["stages"]] == ["Pre-training", "Screening"]
    assert round_.risk_profile["categories"]["environment"]["tier"] == "Low"
    before = page_text(client.get(f"/applications/{submission_id}/check"))
    assert "Submitted answers" in before and "Carbon footprint 22.3 kg CO2e" in before

    # New data: a dirtier GB grid and a new version. The frozen round is read back, never recomputed.
    current = footprint.current_data()
    newer = dataclasses.replace(current, data_version="green-algorithms-v9.0", label="Green Algorithms data v9.0",
                                grids={**current.grids, "GB": {"name": "United Kingdom", "g_per_kwh": 900.0}})
    monkeypatch.setattr(footprint, "current_data", lambda: newer)
    after = page_text(client.get(f"/applications/{submission_id}/check"))
    assert "Carbon footprint 22.3 kg CO2e" in after and "green-algorithms-v3.0" in after
    assert "v9.0" not in after
    with app.app_context():
        assert db.session.scalar(select(Round.footprint).where(Round.submission_id == submission_id)) == frozen
    # A draft, by contrast, shows figures from the data in use now.
    other = create_application(client, "Another project")
    post_section(client, other, "D", PRETRAIN, button="save")
    draft = page_text(client.get(f"/applications/{other}/check"))
    assert "green-algorithms-v9.0" in draft and "Carbon footprint 82.5 kg CO2e" in draft


def _stage_rows(statement) -> list[str]:
    """Each stage of a statement as the stage table of its answer reads: name ... region, energy, CO2e."""
    return [rf"{re.escape(s['label'])} \d+ × [^·]*? h \d+ {re.escape(s['location_name'])} "
            rf"{re.escape(footprint.format_energy(s['energy_kwh']))} {re.escape(footprint.format_carbon(s['co2e_kg']))}"
            for s in statement["stages"]]


def test_a_submitted_rounds_stage_table_keeps_the_figures_it_was_submitted_with(app, make_client, monkeypatch):
    submission_id, owner, c = in_review(app, make_client, {**LOW_RISK_ANSWERS, "D": {**PRETRAIN, **SCREENING}})
    with app.app_context():
        round_ = db.session.scalar(select(Round).where(Round.submission_id == submission_id))
        stored, stages = dict(round_.footprint), round_.answers["D1"]
    pages = {"check": (owner.client, f"/applications/{submission_id}/check"),
             "review": (c.reviewer1.client, f"/review/applications/{submission_id}")}
    for name, (client, path) in pages.items():
        text = page_text(client.get(path))
        assert all(re.search(row, text) for row in _stage_rows(stored)), name

    # New data: a dirtier GB grid and a new version, which would give the GB stage other figures.
    current = footprint.current_data()
    newer = dataclasses.replace(current, data_version="green-algorithms-v9.0", label="Green Algorithms data v9.0",
                                grids={**current.grids, "GB": {"name": "United Kingdom", "g_per_kwh": 900.0}})
    monkeypatch.setattr(footprint, "current_data", lambda: newer)
    recomputed = footprint.statement_for_answer(stages, newer)
    assert footprint.format_carbon(recomputed["stages"][0]["co2e_kg"]) != \
        footprint.format_carbon(stored["stages"][0]["co2e_kg"])
    for name, (client, path) in pages.items():
        text = page_text(client.get(path))
        assert all(re.search(row, text) for row in _stage_rows(stored)), name
        assert not re.search(_stage_rows(recomputed)[0], text), name
    # A draft's table is computed with the data in use now.
    draft = create_application(owner.client, "Another project")
    post_section(owner.client, draft, "D", PRETRAIN, button="save")
    assert re.search(_stage_rows(recomputed)[0], page_text(owner.client.get(f"/applications/{draft}/check")))


def test_a_statement_over_one_tonne_asks_for_reductions_and_a_sustainability_reviewer_not_the_full_committee(
        app, client):
    submission_id = _start(app, client)
    heavy = {**PRETRAIN, "D1-0-runs": "60"}  # 1.27 t CO2e
    fill_application(client, submission_id, {**LOW_RISK_ANSWERS, "D": heavy})
    # A High footprint cannot be submitted without saying how it will be reduced.
    refused = client.post(f"/applications/{submission_id}/submit", follow_redirects=True)
    assert "describe how you will reduce it before submitting" in page_text(refused)
    assert state(app, submission_id) == "draft"
    post_section(client, submission_id, "D", {**heavy, "D2": "Early stopping; half the runs on a smaller model."},
                 button="save")
    _submit(client, submission_id)
    with app.app_context():
        submission = db.session.get(Submission, submission_id)
        assert submission.risk_profile["categories"]["environment"]["tier"] == "High"
        # Carbon alone never escalates past standard review; it asks for a sustainability reviewer instead.
        assert submission.route == "standard"
        assert submission.risk_profile["extra_reviewers"] == ["sustainability_reviewer"]
        round_ = db.session.scalar(select(Round).where(Round.submission_id == submission_id))
        assert round_.footprint["tier"] == "High"


def test_host_cores_of_a_facility_preset_are_shown_with_the_stage(app, client):
    submission_id = _start(app, client)
    csd3 = {"D1-0-name": "Fine-tuning", "D1-0-hardware": "a100_sxm4", "D1-0-count": "4", "D1-0-hours": "10",
            "D1-0-memory_gb": "0", "D1-0-platform": "csd3_ampere"}
    assert post_section(client, submission_id, "D", csd3, button="save").status_code == 302
    text = page_text(client.get(f"/applications/{submission_id}/sections/D"))
    # CSD3's A100 nodes: 32 EPYC 7763 cores per GPU at 4.4 W; 1.56 * (4 * 400 + 128 * 4.4) W for 10 h = 33.7 kWh.
    assert "4 × NVIDIA A100 SXM4 with 128 host CPU cores at 4.4 W" in text
    assert "Energy 33.7 kWh" in text

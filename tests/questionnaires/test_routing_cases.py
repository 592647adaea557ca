"""Routing an experienced committee would agree with: questionnaire v2 scored by the default institution policy.

Each case is a realistic application written out as answers, with the route, sign-offs, extra reviewer roles
and blocking issues the committee expects. The first nine are the cases the issue found wrong under v1.
"""
from __future__ import annotations

from typing import Any

import pytest

from app.questionnaires.loader import get_policy, get_questionnaire
from app.questionnaires.policy import FootprintPolicy
from app.questionnaires.scoring import PolicyRiskProfile, score

V2 = get_questionnaire("ml-materials-ethics", 2)


def stage(hardware: str, count: int, hours: float, runs: int, location: str, memory_gb: int = 64) -> dict[str, Any]:
    return {"name": "training", "hardware": hardware, "power_w": None, "count": count, "hours": hours,
            "memory_gb": memory_gb, "usage": 1, "platform": "local_server", "pue": None, "location": location,
            "runs": runs}


SMALL_CPU_JOB = [stage("xeon_e5_2683_v4", 16, 12, 20, "GB")]
# 4 x A100 80GB PCIe, 48 h, 50 runs on the GB grid: about 1.06 t CO2e (4.6 MWh).
ELECTROLYTE_GENERATOR = [stage("a100_pcie_80gb", 4, 48, 50, "GB")]
# 32 x A100 80GB PCIe for 30 days in France: about 0.56 t CO2e but 10.9 MWh.
FRENCH_POTENTIAL = [stage("a100_pcie_80gb", 32, 720, 1, "FR", memory_gb=256)]


def benign(**changes: Any) -> dict[str, Any]:
    """A complete, unremarkable application: property prediction on Materials Project data, UKRI-funded,
    code and model on GitHub (so data leaves the UK), everything FAIR."""
    answers: dict[str, Any] = {
        "A1": "Predicting the stability of solid electrolytes", "A1b": "We predict stability with a GNN.",
        "A2": "property_prediction", "A3": ["ukri"], "A4": False, "A5": False, "A6": "2026-10-01",
        "A7": "2029-09-30", "A8": "Prof. A. Smith", "A9": False, "A11": ["none"], "A12": "none",
        "B1": ["materials_project"], "B1b": [{"source": "Materials Project", "licence": "cc_by"}], "B2": True,
        "B3": "allowed",
        "B4": "Materials Project v2023.11.1, queried 2026-09-01", "B5": "persistent", "B6": "community_schema",
        "B7": "domain", "B7a": "NOMAD", "B8": "open_machine_readable", "B9": "quantified", "B10": False,
        "B12": "DMPonline 123456", "B13": "ten_years", "B14": "managed_access",
        "C1": ["none"], "C2": False, "C4": False, "C5": "open", "C6": False, "C7": True, "C8": False,
        "C9": False, "H5": ["none"], "D1": SMALL_CPU_JOB,
        "E1": False, "E2": False, "E3": False, "E4": ["none"], "E5": "Battery makers; cobalt-free chemistries.",
        "E6": ["none"], "F1": "open_at_publication", "F2": "open_standard", "F3": "open", "F4": True, "F5": True,
        "F6": "machine_readable", "G1": True, "G2": [{"name": "Prof. A. Smith", "role": "pi"}],
        "G4": "A. Smith: Trusted Research 2025",
    }
    answers.update(changes)
    return answers


def outcome(answers: dict[str, Any], policy: Any = None) -> tuple[str, list[str], list[str], list[str]]:
    """(route, sign-offs, extra reviewer roles, questions with a blocking issue)."""
    profile = score(V2, answers, policy)
    assert isinstance(profile, PolicyRiskProfile)
    return (profile.route, profile.signoffs, profile.extra_reviewers, [b.question_id for b in profile.blocking])


def profile_of(answers: dict[str, Any]) -> PolicyRiskProfile:
    profile = score(V2, answers)
    assert isinstance(profile, PolicyRiskProfile)
    return profile


def test_the_benign_application_is_expedited() -> None:
    profile = profile_of(benign())
    assert (profile.route, profile.reviewers_required, profile.chair_required) == ("expedited", 1, False)
    assert {category: result.tier for category, result in profile.categories.items()} == {
        "data": "Low", "dual_use": "Low", "environment": "Low", "people": "Low", "openness": "Low"}
    assert (profile.signoffs, profile.extra_reviewers, profile.blocking) == ([], [], [])


# --- 1. carbon alone ---------------------------------------------------------------------------------------

GENERATIVE_ELECTROLYTES = {"A2": "generative_design", "C2": True, "H1": False, "H2": "screened", "H3": True,
                           "H4": "open_with_card", "D1": ELECTROLYTE_GENERATOR}


def test_1_a_one_tonne_generator_is_standard_with_a_sustainability_reviewer_once_measures_are_given() -> None:
    answers = benign(**GENERATIVE_ELECTROLYTES, D2="Early stopping; reuse of MACE-MP as a starting point.")
    profile = profile_of(answers)
    assert profile.categories["environment"].tier == "High"
    assert outcome(answers) == ("standard", [], ["sustainability_reviewer"], [])


def test_1_a_high_footprint_without_reduction_measures_blocks_submission() -> None:
    profile = profile_of(benign(**GENERATIVE_ELECTROLYTES))
    assert [(b.question_id, b.text) for b in profile.blocking] == [
        ("D2", "The estimated footprint is High; describe how you will reduce it before submitting")]
    assert profile.route == "standard"


def test_1_a_month_on_32_gpus_in_france_alone_is_standard_not_full_committee() -> None:
    answers = benign(A2="interatomic_potentials", D1=FRENCH_POTENTIAL, D2="Fine-tune MACE-MP instead of training.")
    profile = profile_of(answers)
    assert profile.categories["environment"].tier == "High"
    assert all(profile.categories[c].tier == "Low" for c in ("data", "dual_use", "people", "openness"))
    assert outcome(answers) == ("standard", [], ["sustainability_reviewer"], [])


def test_1_footprint_thresholds_are_institution_settings() -> None:
    lenient = get_policy("default").model_copy(
        update={"footprint": FootprintPolicy(medium_kg=100, high_kg=2000, high_kwh=20000)})
    answers = benign(A2="interatomic_potentials", D1=ELECTROLYTE_GENERATOR)
    assert outcome(answers, lenient) == ("standard", [], [], [])
    assert score(V2, answers, lenient).categories["environment"].tier == "Medium"


# --- 2. export-controlled areas ----------------------------------------------------------------------------

UNCLASSIFIED_AEROSPACE = {"C1": ["aerospace"], "C6": False, "C7": False, "C6b": "neither", "C6c": False,
                          "C6d": "no", "C11": "Export check before publication."}


def test_2_an_unclassified_aerospace_project_needs_the_security_officer_whatever_the_tier() -> None:
    profile = profile_of(benign(**UNCLASSIFIED_AEROSPACE))
    assert profile.categories["dual_use"].tier == "Medium"
    assert outcome(benign(**UNCLASSIFIED_AEROSPACE)) == ("standard", ["export_control"], [], [])
    assert profile.security_signoff is True


def test_2_a_classified_aerospace_project_needs_no_signoff() -> None:
    answers = benign(**{**UNCLASSIFIED_AEROSPACE, "C6": True, "C6a": "Dual-Use category 1 considered; not controlled."})
    assert outcome(answers) == ("expedited", [], [], [])


def test_2_a_military_list_area_is_a_hard_trigger() -> None:
    answers = benign(C1=["military_other"], C6=True, C6a="ML22 considered", C6b="neither", C6c=False, C6d="no",
                     C11="Gated release.")
    profile = profile_of(answers)
    assert profile.categories["dual_use"].hard_trigger is True
    assert outcome(answers) == ("full_committee", ["export_control"], [], [])


# --- 3. honesty is not punished ----------------------------------------------------------------------------

TOXICITY_GENERATOR = {"A2": "generative_design", "C2": True, "C4": True, "C5": "open", "F3": "open", "H1": False,
                      "H2": "screened", "H3": True, "H4": "open_with_card", "C11": "Screening before release."}


@pytest.mark.parametrize("reflection", [
    None,
    "Yes: rewarding toxicity instead of penalising it would turn it into a search for toxic compounds.",
    "No, we do not think so.",
])
def test_3_a_toxicity_trained_generator_with_open_weights_goes_to_full_committee_whatever_the_reflection(
        reflection: str | None) -> None:
    answers = benign(**TOXICITY_GENERATOR, C13=reflection)
    assert outcome(answers) == ("full_committee", ["export_control"], [], [])
    assert profile_of(answers).categories["dual_use"].hard_trigger is True


def test_3_the_same_generator_released_gated_is_high_without_a_hard_trigger() -> None:
    profile = profile_of(benign(**{**TOXICITY_GENERATOR, "C5": "gated", "F3": "gated"}))
    dual = profile.categories["dual_use"]
    # A2 generative M + C2 M + C4 labels M + C4 generator on hazard labels H + C7 leaves the UK with hazard
    # labels M = 7 points.
    assert (dual.points, dual.tier, dual.hard_trigger) == (7, "High", False)
    assert profile.route == "full_committee"


# --- 4. licence risk ---------------------------------------------------------------------------------------

LICENSED_OPEN = {"B1": ["icsd", "materials_project"],
                 "B1b": [{"source": "ICSD", "licence": "proprietary"},
                         {"source": "Materials Project", "licence": "cc_by"}],
                 "B3": "partly",
                 "C5": "open", "F3": "open", "H3": True, "H4": "open_with_card"}


def test_4_icsd_with_open_weights_raises_data_and_asks_about_memorisation() -> None:
    profile = profile_of(benign(**LICENSED_OPEN))
    assert profile.categories["data"].tier == "Medium"
    assert [r.question_id for r in profile.categories["data"].reasons] == ["B1", "B3", "B3a"]
    assert outcome(benign(**LICENSED_OPEN)) == ("standard", [], ["data_steward"], [])


def test_4_answering_the_memorisation_question_takes_off_its_blank_point_only() -> None:
    answered = profile_of(benign(**LICENSED_OPEN, B3a="Structure matching against ICSD before release."))
    # B1 ICSD M + B3 licensed source with open release H = 4 points: still Medium.
    assert (answered.categories["data"].points, answered.categories["data"].tier) == (4, "Medium")


def test_4_licensed_data_without_open_release_does_not_ask() -> None:
    profile = profile_of(benign(**{**LICENSED_OPEN, "C5": "none", "F3": "none"}))
    assert [r.question_id for r in profile.categories["data"].reasons] == ["B1"]


# --- 5. research data management ---------------------------------------------------------------------------

def test_5_rdm_shortfalls_go_to_a_data_steward_not_the_full_committee() -> None:
    profile = profile_of(benign(B3="unknown", B7="none", B7a=None))
    assert profile.categories["data"].points == 6
    assert profile.categories["data"].tier == "Medium"
    assert [(a.category, a.before, a.after) for a in profile.adjustments] == [("data", "High", "Medium")]
    assert outcome(benign(B3="unknown", B7="none", B7a=None)) == ("standard", [], ["data_steward"], [])


# --- 6. ATAS -----------------------------------------------------------------------------------------------

def test_6_a_missing_atas_certificate_blocks_submission_and_is_not_an_ethics_risk() -> None:
    profile = profile_of(benign(C8=True))
    assert outcome(benign(C8=True)) == ("expedited", [], [], ["C8"])
    assert "HR or the international office" in profile.blocking[0].text
    assert profile.categories["dual_use"].points == 0


# --- 7. noise ----------------------------------------------------------------------------------------------

def test_7_data_leaving_the_uk_counts_only_with_a_sensitive_area_or_hazard_labels() -> None:
    assert profile_of(benign(C7=True)).categories["dual_use"].points == 0
    assert profile_of(benign(C7=True, C4=True, C11="x")).categories["dual_use"].points == 2
    # C1 aerospace M + C6 unclassified M + C7 M.
    assert profile_of(benign(**{**UNCLASSIFIED_AEROSPACE, "C7": True})).categories["dual_use"].points == 3


def test_7_eu_programmes_and_charities_are_not_foreign_state_funders() -> None:
    assert profile_of(benign(A3=["eu_programme", "charity"])).categories["dual_use"].points == 0
    assert profile_of(benign(A3=["non_uk_government"], A3a="Ministry of X")).categories["dual_use"].points == 1
    assert profile_of(benign(A3=["defence"], A3a="Dstl")).categories["dual_use"].points == 1


# --- 8. safeguards -----------------------------------------------------------------------------------------

GENERATIVE_ALLOYS = {"A2": "generative_design", "C2": True, "H1": False, "H2": "screened", "H3": True,
                     "H4": "open_with_card"}


def test_8_two_safeguards_lower_a_medium_dual_use_tier_with_the_rule_shown() -> None:
    assert outcome(benign(**GENERATIVE_ALLOYS)) == ("standard", [], [], [])
    mitigated = profile_of(benign(**GENERATIVE_ALLOYS, C12=["gated_release", "candidate_screening"]))
    assert mitigated.route == "expedited"
    assert [(a.category, a.before, a.after) for a in mitigated.adjustments] == [("dual_use", "Medium", "Low")]
    assert mitigated.adjustments[0].text.startswith("2 safeguards (gated release of weights or candidate lists")


def test_8_one_safeguard_is_not_enough() -> None:
    assert outcome(benign(**GENERATIVE_ALLOYS, C12=["gated_release"])) == ("standard", [], [], [])


def test_8_safeguards_never_lower_a_hard_trigger() -> None:
    answers = benign(**TOXICITY_GENERATOR, C12=["gated_release", "candidate_screening", "misuse_evaluation"])
    assert outcome(answers) == ("full_committee", ["export_control"], [], [])


# --- 9. advice and the Data Hazards labels ----------------------------------------------------------------

def test_9_zero_point_labels_are_advice_apart_from_risk() -> None:
    profile = profile_of(benign(E4=["general", "difficult_to_understand"], E5=None))
    assert profile.route == "expedited"
    assert [(a.question_id, a.text) for a in profile.advice] == [
        ("E5", "Benefits, supply chains and community involvement not described")]
    assert all(reason.points > 0 for result in profile.categories.values() for reason in result.reasons)


def test_9_direct_harm_and_ranking_people_are_people_risk() -> None:
    answers = benign(E4=["may_cause_direct_harm", "ranks_or_classifies_people"])
    profile = profile_of(answers)
    assert (profile.categories["people"].points, profile.categories["people"].tier) == (2, "Medium")
    assert outcome(answers) == ("standard", [], [], [])


# --- further realistic cases -------------------------------------------------------------------------------

def test_a_student_project_on_public_materials_project_data_is_expedited() -> None:
    answers = benign(A9=True, A9a="Prof. A. Smith", F3="none", C5="none", F1="open_at_publication")
    profile = profile_of(answers)
    assert (profile.route, profile.reviewers_required, profile.chair_required) == ("expedited", 1, False)
    assert outcome(answers) == ("expedited", [], [], [])


def test_high_throughput_dft_screening_of_energetic_materials_goes_to_full_committee_with_signoff() -> None:
    answers = benign(C1=["energetic"], C4=True, C5="none", F3="none", C6=True, C6a="ML8 considered; licence needed",
                     C6b="neither", C6c=False, C6d="no", C7=False, C11="UK-only storage; export check.",
                     D1=[stage("epyc_7763", 256, 24, 20, "GB")])
    profile = profile_of(answers)
    assert profile.categories["dual_use"].hard_trigger is True
    assert profile.categories["environment"].tier == "Medium"
    assert outcome(answers) == ("full_committee", ["export_control"], [], [])


def test_an_llm_fine_tuned_on_partner_data_through_a_us_cloud_api_goes_to_standard_with_a_data_steward() -> None:
    answers = benign(A2="text_mining", A3=["industry"], A3a="Acme Batteries Ltd", A4=True,
                     A4a="- Acme Batteries Inc., USA", C10=True, B1=["industry_partner", "literature"],
                     B1b=[{"source": "Acme measurements", "licence": "proprietary"}],
                     B3="not_allowed", H5=["finetune_open", "third_party_api"], H6=True,
                     H7=True, H8="publisher_licence", C5="none", F3="none", F2="bespoke")
    profile = profile_of(answers)
    # B1 partner data M + H7 partner data sent to a third-party service H = 4.
    assert (profile.categories["data"].points, profile.categories["data"].tier) == (4, "Medium")
    assert profile.categories["dual_use"].tier == "Low"
    assert outcome(answers) == ("standard", [], ["data_steward"], [])


def test_an_autonomous_lab_handling_toxic_precursors_goes_to_full_committee_with_signoff() -> None:
    answers = benign(A2="autonomous_lab", C1=["toxic_chemicals"], C6=True, C6a="CWC schedules checked",
                     C6b="neither", C6c=False, C6d="no", E2=True, E2a="Glovebox; COSHH assessment.",
                     C11="Precursor inventory limits.", C5="none", F3="none", H1=False)
    profile = profile_of(answers)
    assert profile.categories["people"].tier == "Low"
    assert outcome(answers) == ("full_committee", ["export_control"], [], [])


def test_a_horizon_europe_potential_shared_with_a_german_partner_is_expedited() -> None:
    answers = benign(A2="interatomic_potentials", A3=["eu_programme"], A4=True, A4a="- TU Example, Germany",
                     C10=True, B1=["mptrj", "alexandria"],
                     B1b=[{"source": "MPtrj", "licence": "cc_by"}, {"source": "Alexandria", "licence": "cc_by"}])
    assert outcome(answers) == ("expedited", [], [], [])


def test_a_sharealike_source_in_an_industry_project_unchecked_goes_to_a_data_steward() -> None:
    answers = benign(A3=["industry"], A3a="Acme", B1=["chembl", "materials_project"],
                     B1b=[{"source": "ChEMBL", "licence": "cc_by_sa"},
                          {"source": "Materials Project", "licence": "cc_by_nc"}],
                     B1c=False)
    profile = profile_of(answers)
    assert [(a.question_id, a.text) for a in profile.advice] == [
        ("B1c", "NonCommercial-licensed data in an industry-funded project — reviewers check the partner's use")]
    # B1c not checked: data M and openness M, 1 point each — advice for the reviewers, route unchanged.
    assert outcome(answers) == ("expedited", [], [], [])


def test_work_already_started_is_advice_for_the_reviewers() -> None:
    profile = profile_of(benign(A5=True, A5a="Data collected in June."))
    assert [a.question_id for a in profile.advice] == ["A5"]
    assert profile.route == "expedited"


def test_a_sponsor_veto_on_publication_with_closed_release_goes_to_a_data_steward() -> None:
    answers = benign(A3=["industry"], A3a="Acme", A12="restrict", F1="none", F3="none", C5="none")
    profile = profile_of(answers)
    assert (profile.categories["openness"].points, profile.categories["openness"].tier) == (2, "Medium")
    assert outcome(answers) == ("standard", [], ["data_steward"], [])

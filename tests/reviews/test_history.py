"""The committee's history page: every recorded action in words, autosaves folded per person and section, and
other reviewers' recommendations hidden from a reviewer who has not yet recommended."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from app.core.audit import AuditEvent
from app.reviews.history import SENTENCES, history_lines, sentence
from tests.helpers import _start_review as start_review
from tests.helpers import (
    committee,
    create_application,
    fill_application,
    page_text,
    person,
    recommend,
    section_form,
)

APP = Path(__file__).resolve().parents[2] / "app"
# Actions about a person or the archive, never about one application: they never reach its history.
NOT_ABOUT_AN_APPLICATION = {"archive.exported", "document.verification_refused"}


def _autosave(client, submission_id: int, section: str, answers: dict) -> None:
    data = {**section_form(client, submission_id, section), **answers}
    assert client.post(f"/applications/{submission_id}/sections/{section}/autosave", data=data).status_code == 200


def _application_saved_in_runs(app, make_client):
    """Autosaved three times on A, once on B, twice on A again, then filled in, submitted and in review."""
    owner = person(app, make_client, name="Dr Ada Okafor")
    submission_id = create_application(owner.client)
    for summary in ("First", "Second", "Third"):
        _autosave(owner.client, submission_id, "A", {"A1b": f"{summary} summary"})
    _autosave(owner.client, submission_id, "B", {"B2": "yes"})
    for summary in ("Fourth", "Fifth"):
        _autosave(owner.client, submission_id, "A", {"A1b": f"{summary} summary"})
    fill_application(owner.client, submission_id)
    assert owner.client.post(f"/applications/{submission_id}/submit").status_code == 302
    c = committee(app, make_client)
    start_review(app, c, submission_id)
    return submission_id, owner, c


def test_the_history_reads_as_sentences_with_autosaves_folded(app, make_client):
    submission_id, owner, c = _application_saved_in_runs(app, make_client)
    assert c.coordinator.client.post(f"/review/applications/{submission_id}/route", data={
        "route": "full_committee", "reason": "First application from this group."}).status_code == 302
    assert recommend(app, submission_id, c.reviewer1, "changes_requested").status_code == 302
    html = c.coordinator.client.get(f"/review/applications/{submission_id}/history").get_data(as_text=True)
    text = page_text(c.coordinator.client.get(f"/review/applications/{submission_id}/history"))
    assert re.search(r"Dr Ada Okafor saved section A 3 times between \d\d:\d\d and \d\d:\d\d", text)
    assert re.search(r"Dr Ada Okafor saved section B \(questions [^)]*B2\) automatically", text)
    assert re.search(r"saved section A 2 times between", text)
    assert html.count("<details") == 2 and "See the 3 saves" in text and "See the 2 saves" in text
    assert "Dr Ada Okafor saved section A (question A1b) automatically" in text  # each save, inside its fold
    assert "Dr Ada Okafor started the application “Graph networks for perovskite band gaps”" in text
    assert "Dr Ada Okafor submitted the application (round 1)" in text
    assert f"{c.coordinator.user.name} set the route to full committee: First application from this group." in text
    assert f"{c.reviewer1.user.name} recommended changes (round 1)" in text
    assert re.search(f"{c.coordinator.user.name} asked {c.reviewer1.user.name} to review as reviewer, due \\d+ ", text)
    assert f"{c.reviewer2.user.name} declared no conflict of interest" in text
    for internal in ("[", "]", "True", "False", "None", "autosave:", "{"):
        assert internal not in text


def test_a_reviewer_reads_others_recommendations_only_after_their_own(app, make_client):
    submission_id, owner, c = _application_saved_in_runs(app, make_client)
    assert recommend(app, submission_id, c.reviewer1, "reject").status_code == 302
    history = f"/review/applications/{submission_id}/history"
    assert f"{c.reviewer1.user.name} recommended rejection" not in page_text(c.reviewer2.client.get(history))
    assert f"{c.reviewer1.user.name} recommended rejection" in page_text(c.coordinator.client.get(history))
    assert owner.client.get(history).status_code == 403
    assert recommend(app, submission_id, c.reviewer2).status_code == 302
    assert f"{c.reviewer1.user.name} recommended rejection" in page_text(c.reviewer2.client.get(history))


def _recorded_actions() -> set[str]:
    calls = re.compile(r'record\(\s*((?:"[a-z_.]+"(?:\s+if\s+[^"]+?\s+else\s+)?)+)')
    return {action for path in APP.rglob("*.py") for literals in calls.findall(path.read_text())
            for action in re.findall(r'"([a-z_.]+)"', literals)}


def test_every_action_an_application_records_has_a_sentence():
    actions = {a for a in _recorded_actions() if not a.startswith("user.")} - NOT_ABOUT_AN_APPLICATION
    assert {"answers.saved", "route.overridden", "decision.recorded", "submission.resubmitted"} <= actions
    assert actions - set(SENTENCES) == set()


def test_an_unknown_action_reads_as_words_without_its_data():
    event = AuditEvent(action="submission.triaged", actor_id=7, data={"queue": ["a", "b"], "urgent": True})
    assert sentence(event, {7: "Cora Coordinator"}) == "Cora Coordinator: submission triaged"
    assert sentence(AuditEvent(action="reminder.sent", actor_id=None, data={"due": "2027-03-01"}), {}) == (
        "Crucible sent a reminder, due 1 March 2027")


def test_a_save_by_someone_else_ends_the_fold():
    at = datetime(2026, 12, 1, 10, 2, tzinfo=UTC)
    saved = {"section": "A", "questions": ["A3"], "autosave": True}
    saves = [AuditEvent(action="answers.saved", actor_id=actor, at=at, data=saved) for actor in (1, 1, 2, 1)]
    lines = history_lines(saves, {1: "Dr Okafor", 2: "Rhys Reviewer"})
    assert [len(line.saves) for line in lines] == [2, 0, 0]
    assert lines[1].sentence == "Rhys Reviewer saved section A (question A3) automatically"

"""The coordinator's queue over many pages: the pager links a window of pages, not every page."""
from __future__ import annotations

import re
from datetime import timedelta

from app.core.models import utcnow
from app.extensions import db
from app.submissions import services
from app.submissions.models import Submission
from tests.helpers import person

APPLICATIONS = 10 * 25 + 3  # eleven pages of 25


def _fill_queue(app, owner_id: int) -> None:
    with app.app_context():
        version = services.current_questionnaire_version()
        start = utcnow() - timedelta(days=30)
        db.session.add_all(
            Submission(reference=f"ETH-2026-{9000 + n}", title=f"Queued application {n}", owner_id=owner_id,
                       questionnaire_version_id=version.id, state="submitted", round_number=1,
                       submitted_at=start + timedelta(minutes=n))
            for n in range(APPLICATIONS)
        )
        db.session.commit()


def _page_links(html: str) -> list[str]:
    return re.findall(r'<a class="page-link" href="[^"]*page=(\d+)"[^>]*>'
                      r'(?:<span class="visually-hidden">Page </span>)?(\d+)?', html)


def test_the_pager_shows_first_last_and_two_either_side(app, make_client):
    coordinator = person(app, make_client, "coordinator")
    _fill_queue(app, coordinator.user.id)

    html = coordinator.client.get("/review/queue?page=6").get_data(as_text=True)
    numbered = [int(label) for _target, label in _page_links(html) if label]
    assert numbered == [1, 4, 5, 6, 7, 8, 11]
    assert html.count("…") == 2
    assert 'aria-current="page"><span class="visually-hidden">Page </span>6<' in html
    assert "Queued application 125" in html and "Queued application 150" not in html

    first = coordinator.client.get("/review/queue").get_data(as_text=True)
    assert [int(label) for _target, label in _page_links(first) if label] == [1, 2, 3, 11]
    assert first.count("…") == 1

    last = coordinator.client.get("/review/queue?page=11").get_data(as_text=True)
    assert [int(label) for _target, label in _page_links(last) if label] == [1, 9, 10, 11]
    assert "Queued application 252" in last


def test_the_filters_show_what_is_chosen_and_filter(app, make_client):
    coordinator = person(app, make_client, "coordinator")
    _fill_queue(app, coordinator.user.id)
    html = coordinator.client.get("/review/queue?state=triage&tier=High&route=").get_data(as_text=True)
    for field, label in (("state", "State"), ("tier", "Tier"), ("route", "Route"), ("flag", "Flag")):
        assert f'<label class="form-label" for="{field}">{label}</label>' in html
        assert f'<select class="form-select" id="{field}" name="{field}">' in html
    assert re.findall(r'<option value="([^"]*)" selected>', html) == ["triage", "High", "", ""]
    assert '<option value="in_review">In review</option>' in html
    # No application of the filler has a tier, so none is High.
    assert "No applications match." in html
    everything = coordinator.client.get("/review/queue?state=triage").get_data(as_text=True)
    assert re.findall(r'<option value="([^"]*)" selected>', everything) == ["triage", "", "", ""]
    assert "Queued application 0<" in everything


def test_a_row_changes_on_the_page_as_soon_as_its_application_changes(app, make_client):
    coordinator = person(app, make_client, "coordinator")
    _fill_queue(app, coordinator.user.id)

    def first_row() -> str:
        html = coordinator.client.get("/review/queue?state=open").get_data(as_text=True)
        return html.split("<tbody>", 1)[1].split("</tr>", 1)[0]

    assert "Queued application 0<" in first_row() and "Waiting for triage" in first_row()
    with app.app_context():
        submission = db.session.query(Submission).filter_by(title="Queued application 0").one()
        submission.state, submission.route, submission.overall_tier = "in_review", "standard", "High"
        submission.title = "Queued application 0, renamed"
        db.session.commit()
    row = first_row()
    assert "Queued application 0, renamed<" in row and "In review" in row and "Standard review" in row
    assert '<span class="badge tier-High">High</span>' in row and "Waiting for triage" not in row

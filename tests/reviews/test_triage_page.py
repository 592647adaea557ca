"""The coordinator's triage page: choosing whom to assign, and what the page says when nothing changes."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from app.core.audit import AuditEvent
from app.extensions import db
from app.reviews.models import Assignment
from tests.helpers import assign, committee, high_risk_answers, page_text, submitted


def _options(html: str, select_name: str) -> list[tuple[str, str]]:
    body = re.search(rf'<select[^>]*name="{select_name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', body)


def _triage(c, submission_id):
    return c.coordinator.client.get(f"/review/applications/{submission_id}/triage")


def test_reviewer_lists_start_with_a_placeholder_and_assign_nobody_unchosen(app, make_client):
    c = committee(app, make_client)
    submission_id, _owner = submitted(app, make_client, high_risk_answers())
    html = _triage(c, submission_id).get_data(as_text=True)
    assert _options(html, "reviewer_id")[0] == ("", "Choose a reviewer")
    assert _options(html, "security-reviewer_id")[0] == ("", "Choose a security officer")

    pressed = c.coordinator.client.post(f"/review/applications/{submission_id}/assign", data={"reviewer_id": ""})
    assert pressed.status_code == 422
    assert "There is a problem" in page_text(pressed) and "Choose a reviewer" in page_text(pressed)
    pressed = c.coordinator.client.post(f"/review/applications/{submission_id}/assign",
                                        data={"security-reviewer_id": "", "security-kind": "security"})
    assert pressed.status_code == 422 and "Choose a reviewer" in page_text(pressed)
    with app.app_context():
        assert db.session.scalar(select(func.count(Assignment.id))) == 0


def test_the_page_has_no_repeated_ids(app, make_client):
    c = committee(app, make_client)
    submission_id, _owner = submitted(app, make_client, high_risk_answers())
    assign(c, submission_id, c.reviewer1)
    assign(c, submission_id, c.reviewer2)
    html = _triage(c, submission_id).get_data(as_text=True)
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    assert html.count('name="csrf_token"') >= 4  # every form still carries its token


def test_assigning_someone_already_assigned_says_so_and_changes_nothing(app, make_client):
    c = committee(app, make_client)
    submission_id, _owner = submitted(app, make_client, high_risk_answers())
    assert assign(c, submission_id, c.reviewer1).status_code == 302
    assert assign(c, submission_id, c.security, kind="security").status_code == 302
    _triage(c, submission_id)  # shows, and so clears, the two "... assigned." messages

    again = assign(c, submission_id, c.reviewer1)
    assert again.status_code == 422
    assert f"{c.reviewer1.user.name} is already assigned in this round" in page_text(again)
    again = assign(c, submission_id, c.security, kind="security")
    assert again.status_code == 422
    assert f"{c.security.user.name} is already assigned as security officer" in page_text(again)
    assert f"{c.security.user.name} assigned." not in page_text(again)
    with app.app_context():
        assert db.session.scalar(select(func.count(Assignment.id))) == 2
        assert db.session.scalar(select(func.count(AuditEvent.id))
                                 .where(AuditEvent.action == "reviewer.assigned")) == 2

    # Those already asked are no longer offered; the others still are.
    html = _triage(c, submission_id).get_data(as_text=True)
    offered = {value for value, _label in _options(html, "reviewer_id")}
    assert str(c.reviewer1.user.id) not in offered and str(c.reviewer2.user.id) in offered
    assert str(c.security.user.id) not in {v for v, _ in _options(html, "security-reviewer_id")}


def test_a_recused_reviewer_is_not_offered_again(app, make_client):
    c = committee(app, make_client)
    submission_id, _owner = submitted(app, make_client, high_risk_answers())
    assign(c, submission_id, c.reviewer1)
    with app.app_context():
        aid = db.session.scalar(select(Assignment.id).where(Assignment.reviewer_id == c.reviewer1.user.id))
    c.reviewer1.client.post(f"/review/assignments/{aid}",
                            data={"has_conflict": "yes", "statement": "I co-authored with the applicant."})
    html = _triage(c, submission_id).get_data(as_text=True)
    assert "Recused" in html
    assert str(c.reviewer1.user.id) not in {value for value, _label in _options(html, "reviewer_id")}

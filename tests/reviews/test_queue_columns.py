"""The coordinator's queue shows what the office decides by (PI, department, submitted and due dates, flags),
filters by each flag, lays its rows out as cards on a phone and exports the filtered list as CSV."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

from sqlalchemy import select

from app.auth.models import User
from app.core.models import utcnow
from app.extensions import db
from app.reviews.models import Assignment, Condition
from app.submissions import services
from app.submissions.models import Submission
from tests.helpers import committee, person


def _row(html: str, reference: str) -> str:
    """The queue row of the application with this reference."""
    for row in html.split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("<tr>"):
        if f">{reference}<" in row:
            return row
    raise AssertionError(f"{reference} is not in the queue")


def _references(html: str) -> set[str]:
    if "<tbody>" not in html:
        return set()
    return set(re.findall(r">(ETH-\d{4}-\d+)</a>", html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]))


def _reference(app, submission_id: int) -> str:
    with app.app_context():
        return db.session.get(Submission, submission_id).reference


def _flagged(app, make_client, application_in):
    """Five applications, each with one flag (and one with none): {flag: reference}."""
    c = committee(app, make_client)
    overdue = application_in("in_review", c=c)
    recused = application_in("in_review", c=c)
    security = application_in("submitted", c=c)
    conditions = application_in("approved_with_conditions", c=c)
    plain = application_in("submitted", c=c)
    with app.app_context():
        db.session.get(Submission, overdue.id).due_on = date.today() - timedelta(days=2)
        db.session.get(Submission, recused.id).due_on = date.today() + timedelta(days=5)
        db.session.get(Submission, security.id).security_signoff_required = True
        declared = db.session.scalars(select(Assignment).where(Assignment.submission_id == recused.id)).first()
        declared.recommendation, declared.coi_status, declared.active = None, "declared", False
        condition = db.session.scalars(select(Condition).where(Condition.submission_id == conditions.id)).one()
        condition.reported_met_at = utcnow()
        condition.report_note = "Weights deposited under a gated licence."
        owner = db.session.get(User, overdue.owner.user.id)
        owner.department, owner.name = "Department of Materials", "Prof. Ada Lovelace"
        db.session.commit()
    references = {flag: _reference(app, a.id) for flag, a in (
        ("overdue", overdue), ("recusal", recused), ("security", security), ("conditions_reported", conditions),
        ("", plain))}
    return c, references


def test_a_row_shows_pi_department_dates_and_flags(app, make_client, application_in):
    c, references = _flagged(app, make_client, application_in)
    html = c.coordinator.client.get("/review/queue").get_data(as_text=True)
    for heading in ("PI", "Department", "Submitted", "Due", "Flags"):
        assert f">{heading}<" in html
    overdue = _row(html, references["overdue"])
    assert 'data-label="PI">Prof. Ada Lovelace<' in overdue
    assert 'data-label="Department">Department of Materials<' in overdue
    assert f'>{date.today().strftime("%-d %B %Y")}</time>' in overdue  # submitted today
    assert '<span class="badge flag-overdue me-1">Overdue</span>' in overdue
    assert ">Recusal to replace<" in _row(html, references["recusal"])
    assert 'data-label="Flags">—<' in _row(html, references["security"])
    assert ">Conditions reported met<" in _row(html, references["conditions_reported"])
    plain = _row(html, references[""])
    assert 'data-label="Flags">—<' in plain and 'data-label="Department">—<' in plain
    # Each cell names its column for the stacked layout of narrow screens.
    assert 'class="table align-middle table-stack"' in html
    assert plain.count("data-label=") == 10


def test_each_flag_filters_the_queue_to_what_it_flags(app, make_client, application_in):
    c, references = _flagged(app, make_client, application_in)
    client = c.coordinator.client
    for flag in ("overdue", "recusal", "conditions_reported"):
        html = client.get(f"/review/queue?flag={flag}").get_data(as_text=True)
        assert _references(html) == {references[flag]}, flag
        assert f'<option value="{flag}" selected>' in html
    # Combined with the other filters, and the live table's fragment filters the same way.
    assert _references(client.get("/review/queue?flag=overdue&state=triage").get_data(as_text=True)) == set()
    fragment = client.get("/review/queue?flag=overdue", headers={"X-Requested-With": "live-table"})
    assert _references(fragment.get_data(as_text=True)) == {references["overdue"]}
    assert len(_references(client.get("/review/queue?flag=nonsense").get_data(as_text=True))) == 5


def _csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="crucible-queue.csv"'
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_the_csv_holds_every_matching_application_not_one_page(app, make_client):
    coordinator = person(app, make_client, "coordinator")
    owner = person(app, make_client, name="Dr Csv Owner")
    hostile = ["=HYPERLINK(\"http://evil.example\")", "+1+2", "-3", "@SUM(A1:A2)"]
    with app.app_context():
        db.session.get(User, owner.user.id).department = "=cmd|' /C calc'!A0"
        version = services.current_questionnaire_version()
        db.session.add_all(
            Submission(reference=f"ETH-2026-{7000 + n}", title=hostile[n] if n < len(hostile) else f"Exported {n}",
                       owner_id=owner.user.id, questionnaire_version_id=version.id, route="standard",
                       state="in_review" if n % 2 else "submitted", round_number=1, overall_tier="Low",
                       submitted_at=utcnow() - timedelta(days=40 - n),
                       due_on=date.today() - timedelta(days=1) if n % 2 else None)
            for n in range(30))
        db.session.commit()
    client = coordinator.client
    page = client.get("/review/queue?state=in_review&sort=reference").get_data(as_text=True)
    assert 'href="/review/queue.csv?state=in_review&amp;sort=reference"' in page

    rows = _csv(client.get("/review/queue.csv"))
    assert len(rows) == 30  # more than the page of 25
    assert list(rows[0]) == ["reference", "title", "pi", "department", "tier", "route", "state", "submitted_on",
                             "due_on", "flags"]
    first = rows[0]  # longest waiting first, as the queue
    assert first["reference"] == "ETH-2026-7000"
    assert first["pi"] == "Dr Csv Owner" and first["route"] == "Standard review"
    assert first["state"] == "Waiting for triage" and first["due_on"] == ""
    # Text that starts like a formula is kept from being run by a spreadsheet.
    assert [r["title"] for r in rows[:4]] == ["'" + title for title in hostile]
    assert first["department"] == "'=cmd|' /C calc'!A0"

    # The filters and the sort of the page, every row they match.
    in_review = _csv(client.get("/review/queue.csv?state=in_review&sort=reference&dir=desc"))
    assert [r["reference"] for r in in_review] == [f"ETH-2026-{7000 + n}" for n in range(29, 0, -2)]
    assert all(r["flags"] == "Overdue" and r["due_on"] == (date.today() - timedelta(days=1)).isoformat()
               for r in in_review)
    assert len(_csv(client.get("/review/queue.csv?search=exported"))) == 26
    assert _csv(client.get("/review/queue.csv?state=withdrawn")) == []


def test_a_recusal_is_flagged_until_someone_is_assigned_in_its_place(app, make_client, application_in):
    c, references = _flagged(app, make_client, application_in)
    client = c.coordinator.client
    with app.app_context():
        submission = db.session.scalar(select(Submission).where(Submission.reference == references["recusal"]))
        assert submission is not None
        submission_id = submission.id
        declared = db.session.scalars(select(Assignment).where(Assignment.submission_id == submission_id,
                                                               Assignment.coi_status == "declared")).one()
        declared.coi_declared_at = utcnow()  # after the other reviewer was assigned
        db.session.commit()
    assert _references(client.get("/review/queue?flag=recusal").get_data(as_text=True)) == {references["recusal"]}
    replacement = person(app, make_client, "reviewer")
    assert client.post(f"/review/applications/{submission_id}/assign",
                       data={"reviewer_id": replacement.user.id}).status_code == 302
    html = client.get("/review/queue").get_data(as_text=True)
    assert ">Recusal to replace<" not in _row(html, references["recusal"])
    assert _references(client.get("/review/queue?flag=recusal").get_data(as_text=True)) == set()
    counts = html.split('id="work-counts"', 1)[1].split("</ul>", 1)[0]
    assert re.search(r">0</span>\s*<span class=\"d-block\">Recusals to replace<", counts)

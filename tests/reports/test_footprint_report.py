"""The institution-wide footprint report: access, figures equal to the sum of the frozen statements,
per department / year / quarter, largest projects, CSV, and a constant number of SQL statements."""
from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select

from app.auth.models import User
from app.extensions import db
from app.questionnaires import footprint
from app.reports import services, tally
from app.submissions.models import Round, Submission
from tests.helpers import LOW_RISK_ANSWERS, create_application, fill_application, login, make_user, page_text

BIG = {**LOW_RISK_ANSWERS["D"], "D1-0-name": "Pre-training", "D1-0-count": "4", "D1-0-hours": "48",
       "D1-0-memory_gb": "64", "D1-0-runs": "10"}  # 211.8 kg CO2e


def _applicant(app, make_client, department):
    user = make_user(app)
    with app.app_context():
        db.session.get(User, user.id).department = department
        db.session.commit()
    client = make_client()
    login(client, user)
    return client


def _submitted(client, title, d_answers=None, state=None, submitted_at=None, app=None):
    submission_id = create_application(client, title)
    fill_application(client, submission_id, {**LOW_RISK_ANSWERS, "A": {**LOW_RISK_ANSWERS["A"], "A1": title},
                                              "D": d_answers or LOW_RISK_ANSWERS["D"]})
    assert client.post(f"/applications/{submission_id}/submit").status_code == 302
    if state or submitted_at:
        with app.app_context():
            if state:
                db.session.get(Submission, submission_id).state = state
            if submitted_at:
                round_ = db.session.scalar(select(Round).where(Round.submission_id == submission_id))
                round_.submitted_at = submitted_at
            db.session.commit()
    return submission_id


@pytest.fixture
def portfolio(app, make_client):
    """Five applications: three counted (one approved, one from 2025), a withdrawn one and a draft."""
    materials = _applicant(app, make_client, "Materials Science")
    unassigned = _applicant(app, make_client, None)
    ids = {
        "big": _submitted(materials, "Large pre-training", BIG),
        "approved": _submitted(materials, "Approved fine-tuning", state="approved", app=app),
        "old": _submitted(unassigned, "=SUM(A1) legacy study", BIG, app=app,
                          submitted_at=datetime(2025, 11, 5, 10, 0, tzinfo=UTC)),
        "withdrawn": _submitted(unassigned, "Withdrawn work", BIG, state="withdrawn", app=app),
    }
    ids["draft"] = create_application(unassigned, "Draft only")
    return ids


def _frozen(app, submission_ids):
    with app.app_context():
        return db.session.scalars(select(Round.footprint).where(Round.submission_id.in_(submission_ids))).all()


def _coordinator_client(app, make_client, role="coordinator"):
    client = make_client()
    login(client, make_user(app, role))
    return client


@pytest.mark.parametrize("path", ["/reports/footprint", "/reports/footprint.csv", "/reports/"])
def test_only_coordinators_and_admins_see_reports(app, make_client, path):
    anonymous = make_client()
    assert anonymous.get(path).status_code == 302
    for role in ((), ("reviewer",), ("chair",), ("security_officer",)):
        client = make_client()
        login(client, make_user(app, *role))
        assert client.get(path).status_code == 403, role
    for role in ("coordinator", "admin"):
        assert _coordinator_client(app, make_client, role).get(path).status_code in (200, 302)


def test_nav_links_to_reports_for_coordinators_only(app, make_client):
    coordinator = _coordinator_client(app, make_client)
    assert 'href="/reports/footprint"' in coordinator.get("/").get_data(as_text=True)
    applicant = make_client()
    login(applicant, make_user(app))
    assert 'href="/reports/footprint"' not in applicant.get("/").get_data(as_text=True)


def test_figures_equal_the_sum_of_the_statements_they_cover(app, make_client, portfolio):
    counted = [portfolio["big"], portfolio["approved"], portfolio["old"]]
    statements = _frozen(app, counted)
    energy = sum(s["energy_kwh"] for s in statements)
    co2e = sum(s["co2e_kg"] for s in statements)
    approved = _frozen(app, [portfolio["approved"]])[0]

    client = _coordinator_client(app, make_client)
    response = client.get("/reports/footprint")
    assert response.status_code == 200
    text = page_text(response)
    assert f"Applications with a statement 3 Energy {footprint.format_energy(energy)}" in text
    assert f"Carbon footprint {footprint.format_carbon(co2e)}" in text
    assert (f"Of which approved {footprint.format_energy(approved['energy_kwh'])}, "
            f"{footprint.format_carbon(approved['co2e_kg'])} (1 applications)") in text
    # Withdrawn and draft work is not counted.
    assert "Withdrawn work" not in text and "Draft only" not in text

    big, _approved, old = (_frozen(app, [i])[0] for i in counted)
    materials = big["co2e_kg"] + approved["co2e_kg"]
    assert (f"Materials Science 2 {footprint.format_energy(big['energy_kwh'] + approved['energy_kwh'])} "
            f"{footprint.format_carbon(materials)} 1") in text
    assert (f"Unassigned 1 {footprint.format_energy(old['energy_kwh'])} {footprint.format_carbon(old['co2e_kg'])} 0"
            in text)
    this_year = datetime.now(UTC).year
    assert f"2025 1 {footprint.format_energy(old['energy_kwh'])}" in text
    assert f"{this_year} 2 " in text
    assert "2025 Q4 1" in text
    # Largest projects, largest first; the chart over time has a text alternative.
    largest = text.split("Largest projects", 1)[1]
    assert largest.index("Large pre-training") < largest.index("Approved fine-tuning")
    assert "Carbon footprint of submitted work by quarter 2025 Q4 212 kg CO2e" in text


def test_csv_download_lists_each_counted_statement(app, make_client, portfolio):
    client = _coordinator_client(app, make_client)
    response = client.get("/reports/footprint.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 3
    statements = _frozen(app, [portfolio["big"], portfolio["approved"], portfolio["old"]])
    assert sum(float(r["co2e_kg"]) for r in rows) == pytest.approx(sum(s["co2e_kg"] for s in statements))
    assert sum(float(r["energy_kwh"]) for r in rows) == pytest.approx(sum(s["energy_kwh"] for s in statements))
    by_title = {r["title"]: r for r in rows}
    # A title that looks like a formula is neutralised for spreadsheets.
    legacy = by_title["'=SUM(A1) legacy study"]
    assert legacy["department"] == "Unassigned" and legacy["quarter"] == "2025 Q4"
    assert legacy["data_version"] == footprint.CURRENT_VERSION
    assert by_title["Approved fine-tuning"]["state"] == "approved"


def _statement_count(app, client, path):
    count = 0

    def before(*_args):
        nonlocal count
        count += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return count


def test_sql_statements_do_not_grow_with_rows(app, make_client):
    owner = _applicant(app, make_client, "Chemistry")
    coordinator = _coordinator_client(app, make_client)
    _submitted(owner, "First")
    few = {path: _statement_count(app, coordinator, path) for path in ("/reports/footprint", "/reports/footprint.csv")}
    for title in ("Second", "Third", "Fourth"):
        _submitted(owner, title)
    many = {path: _statement_count(app, coordinator, path) for path in ("/reports/footprint", "/reports/footprint.csv")}
    assert many == few


def test_totals_equal_a_direct_computation(app, make_client, portfolio):
    """The sums the database makes equal the statements added up one by one, per department, year and quarter."""
    with app.app_context():
        rows = db.session.execute(
            select(Round.footprint_energy_kwh, Round.footprint_co2e_kg, Round.submitted_at, Submission.state,
                   User.department)
            .join(Submission, Submission.id == Round.submission_id).join(User, User.id == Submission.owner_id)
            .where(Submission.state.in_([s.value for s in tally.REPORTED_STATES]))).all()
        report = services.footprint_report()
    expected: dict[tuple[str, object], list[float]] = {}
    for energy, co2e, at, state, department in rows:
        approved = state in {s.value for s in tally.APPROVED_STATES}
        keys = [("total", None), ("department", (department or "").strip() or tally.UNASSIGNED),
                ("year", at.year), ("quarter", f"{at.year} Q{(at.month - 1) // 3 + 1}")]
        for key in keys:
            sums = expected.setdefault(key, [0, 0.0, 0.0, 0, 0.0, 0.0])
            for offset, value in ((0, 1), (1, energy), (2, co2e)):
                sums[offset] += value
                if approved:
                    sums[offset + 3] += value
    got = {("total", None): report.total,
           **{("department", k): v for k, v in report.by_department.items()},
           **{("year", k): v for k, v in report.by_year.items()},
           **{("quarter", k): v for k, v in report.by_quarter.items()}}
    assert set(got) == set(expected)
    for key, totals in got.items():
        assert [totals.projects, totals.energy_kwh, totals.co2e_kg, totals.approved_projects,
                totals.approved_energy_kwh, totals.approved_co2e_kg] == pytest.approx(expected[key]), key
    assert report.without_statement == 0 and report.data_versions == [footprint.CURRENT_VERSION]


def test_projects_are_listed_a_page_at_a_time_largest_first(app, make_client, portfolio, monkeypatch):
    monkeypatch.setattr(services, "PROJECTS_PER_PAGE", 2)
    client = _coordinator_client(app, make_client)
    first = page_text(client.get("/reports/footprint"))
    second = client.get("/reports/footprint?page=2")
    largest = first.split("Largest projects", 1)[1]
    # The two with the large pre-training stage on page 1; the fine-tuning one alone on page 2.
    assert "Large pre-training" in largest and "legacy study" in largest and "Approved fine-tuning" not in largest
    later = page_text(second).split("Largest projects", 1)[1]
    assert "Approved fine-tuning" in later and "Large pre-training" not in later
    assert 'href="/reports/footprint?page=2"' in client.get("/reports/footprint").get_data(as_text=True)
    # The totals above the list do not depend on the page.
    assert "Applications with a statement 3" in page_text(second)


def test_figures_follow_a_change_at_once(app, make_client, portfolio):
    """The sums are made again as soon as an application or a department changes (app/reports/tally.py)."""
    client = _coordinator_client(app, make_client)
    assert "Applications with a statement 3" in page_text(client.get("/reports/footprint"))
    with app.app_context():
        db.session.get(Submission, portfolio["approved"]).state = "withdrawn"
        db.session.commit()
    text = page_text(client.get("/reports/footprint"))
    assert "Applications with a statement 2" in text and "(0 applications)" in text
    with app.app_context():
        owner_id = db.session.get(Submission, portfolio["big"]).owner_id
        db.session.get(User, owner_id).department = "Physics"
        db.session.commit()
    text = page_text(client.get("/reports/footprint"))
    assert "Physics 1 " in text and "Materials Science" not in text


def test_each_scrolling_table_has_its_own_caption_and_name(app, make_client, portfolio):
    html = _coordinator_client(app, make_client).get("/reports/footprint").get_data(as_text=True)
    regions = re.findall(r'<div class="table-responsive"[^>]*role="region"[^>]*>\s*<table[^>]*>\s*<caption id="([^"]+)"'
                         r'[^>]*>([^<]+)</caption>', html)
    assert len(regions) == 4
    names = [caption for _id, caption in regions]
    assert len(set(names)) == 4
    for caption_id, _caption in regions:
        assert f'aria-labelledby="{caption_id}"' in html

"""On PostgreSQL, every list's queries are served by indexes: the coordinator's queue for each filter and sort
it offers, the archive search for each filter, the footprint report's projects, the chair's and reviewers'
lists and "My applications". Skipped on SQLite (the suite runs on PostgreSQL in CI).

The test seeds 100,000 applications (with rounds, reviews, decisions and archived documents) in SQL, runs
ANALYZE, signs in, loads each page through the test client, and EXPLAINs every statement the page ran with its
own parameters. Enough rows that the planner chooses for itself: no setting steers it. A sequential scan of
one of the big tables means the page costs more as the data grows.
"""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import event, text

from app.extensions import db
from app.reports.tally import rebuild as rebuild_footprint_sums
from tests.helpers import login, make_user

APPLICATIONS = 100_000
APPLICANTS = 2_000
RISK_PROFILE = {category: {"tier": "Low", "reasons": [f"{category}: answer {n} scored low" for n in range(6)]}
                for category in ("data", "dual_use", "environment", "people", "security")}
BIG_TABLES = ("submission", "round", "answer", "assignment", "comment", "decision", "document", "audit_event")
SEQ_SCAN = re.compile(r"Seq Scan on (\w+)")

SEED = [
    # Applicants: a couple of thousand, each with a few dozen applications.
    """INSERT INTO "user" (email, name, department, password_hash, active, mail_digest, created_at, updated_at)
       SELECT 'applicant' || n || '@example.ac.uk', 'Applicant ' || n, 'Chemistry', 'x', true, false, now(), now()
       FROM generate_series(1, :applicants) AS n""",
    # Applications in every state, all tiers and routes, due dates on those in review; the test's applicant
    # has as many as the others.
    """INSERT INTO submission (id, reference, title, owner_id, questionnaire_version_id, state, route, due_on,
           overall_tier, security_signoff_required, risk_profile, round_number, submitted_at, created_at, updated_at)
       SELECT n, CASE WHEN n % 10 < 4 THEN NULL ELSE 'ETH-2026-' || lpad(n::text, 6, '0') END,
              'Study ' || n || ' of ' || (ARRAY['perovskite', 'zeolite', 'catalyst', 'alloy', 'battery'])[n % 5 + 1],
              CASE WHEN n % :applicants = 0 THEN :owner ELSE :first_applicant + n % :applicants END, :version,
              (ARRAY['draft', 'draft', 'draft', 'draft', 'submitted', 'in_review', 'in_review',
                     'changes_requested', 'approved', 'rejected'])[n % 10 + 1],
              CASE WHEN n % 10 < 4 THEN NULL ELSE (ARRAY['expedited', 'standard', 'full_committee'])[n % 3 + 1] END,
              CASE WHEN n % 10 IN (5, 6) THEN DATE '2026-01-01' + n % 300 END,
              CASE WHEN n % 10 < 4 THEN NULL ELSE (ARRAY['Low', 'Medium', 'High'])[n % 7 % 3 + 1] END,
              false, :risk_profile, CASE WHEN n % 10 < 4 THEN 0 ELSE 1 END,
              CASE WHEN n % 10 >= 4 THEN TIMESTAMPTZ '2024-01-01' + n * INTERVAL '1 hour' END,
              TIMESTAMPTZ '2024-01-01' + n * INTERVAL '1 hour', TIMESTAMPTZ '2024-01-01' + n * INTERVAL '1 hour'
       FROM generate_series(100, 99 + :applications) AS n""",
    """INSERT INTO round (submission_id, number, questionnaire_version_id, answers, risk_profile, route, overall_tier,
           submitted_at, sha256, footprint, footprint_energy_kwh, footprint_co2e_kg, footprint_tier,
           footprint_data_version)
       SELECT id, 1, questionnaire_version_id, '{}', '{}', route, overall_tier, submitted_at, md5(id::text),
              '{}', id % 97 + 0.5, id % 89 + 0.25, 'Low', 'green-algorithms-v3.0'
       FROM submission WHERE round_number = 1""",
    # An assignment on every application past triage; the test's reviewer has one in a hundred.
    """INSERT INTO assignment (submission_id, round_number, reviewer_id, kind, assigned_at, due_on, coi_status,
           recommendation, active)
       SELECT s.id, 1, CASE WHEN s.id % 100 = 5 THEN :reviewer ELSE :other_reviewer END, 'reviewer', now(),
              DATE '2026-01-01' + s.id % 200, 'none', CASE WHEN s.id % 3 = 0 THEN 'approve' END, true
       FROM submission s WHERE s.state NOT IN ('draft', 'submitted')""",
    """INSERT INTO decision (submission_id, round_number, outcome, summary, decided_by_id, decided_at, signature_name,
           signature_meaning)
       SELECT id, 1, state, repeat('The committee approves the study as described. ', 12), :owner,
              submitted_at + INTERVAL '20 days', 'Chair', 'Decision'
       FROM submission WHERE state IN ('approved', 'rejected', 'changes_requested')""",
    """INSERT INTO document (uid, submission_id, round_number, kind, sha256, size, storage_key, signed_by, created_at)
       SELECT md5('uid' || id), id, 1, 'decision', md5(id::text) || md5(id::text), 1000,
              'sha256/' || md5(id::text) || '.pdf', 'CN=Crucible Ethics Committee,OU=Research Office,O=University',
              submitted_at + INTERVAL '21 days'
       FROM submission WHERE state IN ('approved', 'rejected')""",
]

QUEUE_SORTS = ("reference", "title", "tier", "route", "state", "waiting", "due")
PAGES = {
    "coordinator": [
        *(f"/review/queue?sort={sort}&dir={direction}" for sort in QUEUE_SORTS for direction in ("asc", "desc")),
        *(f"/review/queue?state={state}" for state in ("triage", "in_review", "changes_requested", "decided",
                                                       "withdrawn")),
        "/review/queue?tier=High", "/review/queue?route=expedited&sort=due", "/review/queue?search=zeolite",
        "/review/queue?search=ETH-2026-012345", "/review/queue?page=40",
        *(f"/review/queue?flag={flag}" for flag in ("overdue", "recusal", "conditions_reported")),
        "/review/queue?flag=recusal&state=in_review&sort=title&dir=desc",
        "/archive", "/archive?reference=ETH-2026-012345", "/archive?title=zeolite",
        "/archive?date_from=2024-06-01&date_to=2024-06-30", "/archive?applicant=owner@", "/archive?outcome=approved",
        "/archive?title=study+1&page=8",
        "/reports/footprint", "/reports/footprint?page=30",
    ],
    "chair": ["/review/chair", "/review/chair?page=3"],
    "reviewer": ["/review/mine", "/review/mine?show=todo", "/review/mine?sort=title", "/review/mine?sort=due&dir=desc"],
    "owner": ["/", "/?page=3"],
}


@pytest.fixture
def seeded(app, make_client):
    if not _bound(app):
        pytest.skip("query plans are checked on PostgreSQL")
    people = {"coordinator": make_user(app, "coordinator"), "chair": make_user(app, "chair", "reviewer"),
              "reviewer": make_user(app, "reviewer")}
    people["owner"] = make_user(app, email="owner@example.ac.uk")
    other_reviewer = make_user(app, "reviewer")
    with app.app_context():
        from app.submissions.services import current_questionnaire_version

        version = current_questionnaire_version().id
        db.session.commit()
        # Rows as wide as the application's own (its risk profile is a few hundred bytes of JSON), so that
        # the planner weighs reading a table against its indexes as it would in service.
        values = {"owner": people["owner"].id, "version": version, "reviewer": people["reviewer"].id,
                  "other_reviewer": other_reviewer.id, "applications": APPLICATIONS, "applicants": APPLICANTS,
                  "first_applicant": other_reviewer.id + 1, "risk_profile": json.dumps(RISK_PROFILE)}
        for statement in SEED:
            db.session.execute(text(statement), {k: v for k, v in values.items() if f":{k}" in statement})
        rebuild_footprint_sums(db.session.connection())
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    clients = {}
    for role, user in people.items():
        clients[role] = make_client()
        login(clients[role], user)
    yield clients
    with app.app_context():
        # The next tests start from empty tables: forget these statistics with them.
        db.session.execute(text("TRUNCATE submission, round, assignment, decision, document, footprint_statement, "
                                "footprint_tally CASCADE"))
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))


def _bound(app) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "postgresql"


def _statements(app, client, path):
    ran = []
    with app.app_context():
        engine = db.engine

    def listener(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            ran.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        response = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == 200, path
    return ran


def test_every_list_is_served_by_indexes(app, seeded):
    scans = {}
    with app.app_context():
        engine = db.engine
    for role, paths in PAGES.items():
        for path in paths:
            for statement, parameters in _statements(app, seeded[role], path):
                with engine.connect() as connection:
                    plan = "\n".join(connection.exec_driver_sql("EXPLAIN " + statement, parameters).scalars())
                big = [table for table in SEQ_SCAN.findall(plan) if table in BIG_TABLES]
                if big:
                    scans[f"{path}: {statement[:160]}"] = plan
    assert not scans, "sequential scans of big tables:\n\n" + "\n\n".join(f"{k}\n{v}" for k, v in scans.items())


def test_a_text_search_counts_a_few_pages_ahead(seeded):
    # A fifth of the 100,000 titles hold "zeolite": the count stops four pages past the page shown.
    first = seeded["coordinator"].get("/review/queue?search=zeolite").get_data(as_text=True)
    assert "more than 125 applications, page 1" in first
    third = seeded["coordinator"].get("/review/queue?search=zeolite&page=3").get_data(as_text=True)
    assert "more than 175 applications, page 3" in third
    # Every rejected study is one "of battery" (the seed's titles and states both follow n % 10).
    archive = seeded["coordinator"].get("/archive?title=battery").get_data(as_text=True)
    assert "More than 125 documents" in archive
    # A filter on a column the index holds still counts to the list's limit.
    assert "more than 1000 applications" in seeded["coordinator"].get("/review/queue").get_data(as_text=True)

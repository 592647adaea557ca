"""The footprint report's kept sums (app/reports/tally.py) equal a fresh count of the source tables after every
kind of change people make, and a rebuild from the tables gives the same sums."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.reports.models import FootprintStatement, FootprintTally
from app.reports.tally import rebuild
from app.submissions.models import Round, Submission
from tests.helpers import BUILDABLE_STATES, committee

COUNTED = {"submitted", "in_review", "changes_requested", "approved", "approved_with_conditions"}
APPROVED = {"approved", "approved_with_conditions"}


def expected_sums(app) -> dict[tuple, tuple]:
    """The sums counted afresh, one application at a time, written here apart from the code under test."""
    sums: dict[tuple, list] = {}
    with app.app_context():
        for submission in db.session.scalars(select(Submission)):
            if submission.state not in COUNTED:
                continue
            latest = db.session.scalar(select(Round).where(Round.submission_id == submission.id,
                                                           Round.number == submission.round_number))
            department = (db.session.get(User, submission.owner_id).department or "").strip() or "Unassigned"
            at = latest.submitted_at
            key = (department, at.year, (at.month - 1) // 3 + 1, submission.state in APPROVED,
                   latest.footprint_data_version or "")
            row = sums.setdefault(key, [0, 0, 0.0, 0.0])
            row[0] += 1
            if latest.footprint_energy_kwh is not None:
                row[1] += 1
                row[2] += latest.footprint_energy_kwh
                row[3] += latest.footprint_co2e_kg
    return {key: (n, counted, pytest.approx(energy), pytest.approx(co2e))
            for key, (n, counted, energy, co2e) in sums.items()}


def kept_sums(app) -> dict[tuple, tuple]:
    with app.app_context():
        return {(t.department, t.year, t.quarter, t.approved, t.data_version):
                (t.statements, t.counted, t.energy_kwh, t.co2e_kg)
                for t in db.session.scalars(select(FootprintTally))}


def test_the_sums_follow_every_change(app, make_client, application_in):
    c = committee(app, make_client)
    built = {wanted: application_in(wanted, c=c) for wanted in BUILDABLE_STATES}
    assert kept_sums(app) == expected_sums(app)
    assert len(kept_sums(app)) >= 1
    with app.app_context():
        # An owner moves department; an application is withdrawn; a draft is deleted; a counted one is deleted
        # (as a restore tool or an administrator's repair would).
        db.session.get(User, built["approved"].owner.user.id).department = "Physics"
        db.session.get(Submission, built["in_review"].id).state = "withdrawn"
        db.session.delete(db.session.get(Submission, built["draft"].id))
        db.session.commit()
    assert kept_sums(app) == expected_sums(app)
    with app.app_context():
        db.session.get(User, built["approved"].owner.user.id).department = "  "
        submission = db.session.get(Submission, built["submitted"].id)
        db.session.delete(submission)
        db.session.commit()
    assert kept_sums(app) == expected_sums(app)
    with app.app_context():
        # Each counted application has its share recorded once; nothing else is.
        recorded = set(db.session.scalars(select(FootprintStatement.submission_id)))
        counted = set(db.session.scalars(select(Submission.id).where(Submission.state.in_(COUNTED))))
        assert recorded == counted


def test_a_rebuild_gives_the_kept_sums(app, make_client, application_in):
    c = committee(app, make_client)
    for wanted in ("submitted", "approved", "approved_with_conditions", "rejected"):
        application_in(wanted, c=c)
    kept = kept_sums(app)
    with app.app_context():
        counted = rebuild(db.session.connection())
        db.session.commit()
    assert counted == 3
    assert kept_sums(app) == kept == expected_sums(app)

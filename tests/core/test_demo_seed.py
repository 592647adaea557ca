"""`flask demo seed` (what `make run` calls) runs to the end on an empty database, leaves an application in
each state the README's demo promises, and changes nothing when run again."""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.submissions.models import Submission


def _states(app) -> dict[str, int]:
    with app.app_context():
        counts = select(Submission.state, func.count()).group_by(Submission.state)
        return dict(db.session.execute(counts).tuples().all())


def test_the_demo_seeds_every_state_and_is_safe_to_run_again(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0, first.output
    assert first.output.strip().endswith("demo data ready")
    states = _states(app)
    for state in ("draft", "in_review", "changes_requested", "approved", "approved_with_conditions", "rejected",
                  "withdrawn"):
        assert states.get(state), (state, states)

    again = runner.invoke(args=["demo", "seed"])
    assert again.exit_code == 0, again.output
    assert "created" not in again.output
    assert _states(app) == states

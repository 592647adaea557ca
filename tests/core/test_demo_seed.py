"""`flask demo seed` (what `make run` calls) runs to the end on an empty database, leaves an application in
each state the README's demo promises (an expired approval and one ending within 30 days among them), and
changes nothing when run again."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.submissions.models import QuestionnaireVersion, Round, Submission


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
                  "withdrawn", "expired"):
        assert states.get(state), (state, states)
    with app.app_context():
        soon = db.session.scalars(select(Submission.valid_until).where(
            Submission.state == "approved", Submission.valid_until <= date.today() + timedelta(days=30))).all()
    assert soon and all(day >= date.today() for day in soon)

    # Rounds keep the version they were submitted on (1); a draft begun now is on the current version (2), and one
    # begun before it was released is still on 1, with the move offered.
    with app.app_context():
        round_versions = set(db.session.scalars(select(QuestionnaireVersion.version).join(
            Round, Round.questionnaire_version_id == QuestionnaireVersion.id)))
        drafts = dict(db.session.execute(select(Submission.title, QuestionnaireVersion.version).join(
            QuestionnaireVersion, Submission.questionnaire_version_id == QuestionnaireVersion.id).where(
            Submission.state == "draft")).tuples().all())
    assert round_versions == {1}
    assert drafts == {"Autonomous synthesis of solid electrolytes": 2,
                      "Machine-learned phase diagrams of lithium alloys": 1}

    again = runner.invoke(args=["demo", "seed"])
    assert again.exit_code == 0, again.output
    assert "created" not in again.output
    assert _states(app) == states

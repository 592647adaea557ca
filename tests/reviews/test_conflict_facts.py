"""The conflict-of-interest form shows what a conflict is judged on (the applicant, the team, the PI, named team
members, partner institutions and funders, from the answers as submitted) and nothing else of the answers."""
from __future__ import annotations

from app.auth.models import User
from app.extensions import db
from app.submissions.models import Submission
from tests.helpers import (
    LOW_RISK_ANSWERS,
    assign,
    assignment_id,
    committee,
    create_application,
    fill_application,
    join_team,
    login,
    make_user,
    page_text,
    person,
)


def _answers() -> dict:
    answers = {section: dict(values) for section, values in LOW_RISK_ANSWERS.items()}
    answers["A"].update({"A3": ["industry", "defence"], "A3a": "Acme Batteries Ltd; Dstl via DASA",
                         "A4": "yes", "A4a": "- University of Example, Germany\n- Example Materials Inc., USA"})
    answers["C"]["C10"] = "yes"
    answers["G"] = {**{k: v for k, v in answers["G"].items() if not k.startswith("G2-")},
                    "G2-0-name": "Dr Grace Hopper", "G2-0-role": "pi", "G2-1-name": "Bo Jones", "G2-1-role": "student",
                    "G2-1-organisation": "University of Example"}
    return answers


def test_the_declaration_shows_who_is_involved_and_no_other_answer(app, make_client):
    c = committee(app, make_client)
    owner = person(app, make_client, name="Dr Amara Okafor")
    with app.app_context():
        db.session.get(User, owner.user.id).department = "Department of Chemistry"
        db.session.commit()
    colleague = make_user(app, name="Dr Tomasz Nowak")
    submission_id = create_application(owner.client)
    colleague_client = make_client()
    login(colleague_client, colleague)
    join_team(app, owner.client, colleague_client, submission_id, colleague.email)
    # Invited and never accepted: not on the team.
    assert owner.client.post(f"/applications/{submission_id}/team",
                             data={"email": "visitor@partner.example", "role": "viewer"}).status_code == 302
    fill_application(owner.client, submission_id, _answers())
    assert owner.client.post(f"/applications/{submission_id}/submit").status_code == 302
    assert assign(c, submission_id, c.reviewer1).status_code == 302
    assert c.coordinator.client.post(f"/review/applications/{submission_id}/start").status_code == 302

    page = c.reviewer1.client.get(f"/review/assignments/{assignment_id(app, submission_id, c.reviewer1)}")
    assert page.status_code == 200
    text = page_text(page)
    facts = text.split("Who is involved", 1)[1].split("Do you have a conflict of interest", 1)[0]
    assert "Applicant Dr Amara Okafor, Department of Chemistry" in facts
    assert "Dr Tomasz Nowak (editor)" in facts and "visitor@partner.example" not in facts
    assert "Who funds the project?" in facts and "Industry" in facts and "Defence" in facts
    assert "Acme Batteries Ltd; Dstl via DASA" in facts
    assert "University of Example, Germany" in facts and "Example Materials Inc., USA" in facts
    # The team table, a row per person.
    assert ("Named team members Name Role Organisation ORCID iD Dr Grace Hopper Principal investigator "
            "Bo Jones Student University of Example") in facts
    # Nothing else of the answers before the declaration.
    for hidden in (LOW_RISK_ANSWERS["B"]["B4"], LOW_RISK_ANSWERS["A"]["A1b"], LOW_RISK_ANSWERS["C"]["C11"],
                   "Are any partner institutions or companies based outside the UK?"):
        assert hidden not in text
    with app.app_context():
        title = db.session.get(Submission, submission_id).title
    assert title in text  # the title, as before

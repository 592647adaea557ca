"""Records questions through the real pages, on questionnaire v2: the team (G2) and the licence of each data source
(B1b) as tables on the section page, with "Add another row" and "Remove" keeping what was typed, messages beside
the cells and linked from the error summary; then the answers on check your answers, the reviewer's page, the
round diff and the signed assessment (a real PDF), and a v1 draft's free-text team kept beside the new table."""
from __future__ import annotations

import re
import subprocess
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.questionnaires import get_questionnaire
from app.submissions.models import Answer, Submission
from tests.helpers import (
    V1_LOW_RISK_ANSWERS,
    _start_review,
    as_posted,
    assessment_text,
    committee,
    create_application,
    create_application_on_version,
    decide,
    fill_application,
    page_text,
    person,
    post_section,
    recommend,
    sent,
)
from tests.questionnaires.test_routing_cases import benign
from tests.tools import require_tool

V2 = get_questionnaire("ml-materials-ethics", 2)
TEAM = [{"name": "Ada Lovelace", "role": "pi", "orcid": "https://orcid.org/0000-0002-1825-0097"},
        {"name": "Tomasz Nowak", "role": "partner", "organisation": "Acme Batteries"}]
SOURCES = [{"source": "Materials Project", "licence": "cc_by"}]


def v2_answers(**changes: Any) -> dict[str, dict[str, Any]]:
    """A complete, low-risk v2 application (test_routing_cases.benign) as a browser posts each section; section H
    last, as it asks about the weights' release only once section F says they are released."""
    # benign() is scored, not submitted: H3 and H4 are asked of open weights (C5) and required to submit.
    by_section = as_posted(V2, benign(B1b=SOURCES, G2=TEAM, H3=True, H4="open_with_card", **changes))
    by_section["H"] = by_section.pop("H")
    return by_section


def v2_draft(app, client) -> int:
    """A new draft, on questionnaire v2 (the version new drafts start on)."""
    submission_id = create_application(client)
    with app.app_context():
        assert db.session.get(Submission, submission_id).questionnaire_version.version == 2
    return submission_id


def _stored(app, submission_id: int, qid: str) -> tuple[Any, Any, Any]:
    with app.app_context():
        row = db.session.scalar(select(Answer).where(Answer.submission_id == submission_id,
                                                     Answer.question_id == qid))
        return (row.value, row.invalid_input, row.invalid_message) if row else (None, None, None)


def _section_html(client, submission_id: int, section_id: str) -> str:
    return client.get(f"/applications/{submission_id}/sections/{section_id}").get_data(as_text=True)


def _input(html: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*value="([^"]*)"', html)
    return match.group(1) if match else None


def _selected(html: str, name: str) -> str | None:
    select_html = re.search(rf'<select[^>]*name="{re.escape(name)}".*?</select>', html, re.S)
    chosen = re.search(r'<option value="([^"]*)" selected>', select_html.group(0)) if select_html else None
    return chosen.group(1) if chosen else None


# --- the section page ---------------------------------------------------------------------------------------

def test_the_team_table_labels_every_cell_with_its_row_and_column(app, login_as):
    owner = login_as()
    submission_id = v2_draft(app, owner.client)
    html = _section_html(owner.client, submission_id, "G")
    # Empty: one blank row to type into, and the button to add another.
    assert '<label class="visually-hidden" for="G2-0-name">Team member 1: Name</label>' in html
    assert '<label class="visually-hidden" for="G2-0-orcid">Team member 1: ORCID iD</label>' in html
    assert 'name="G2-1-name"' not in html
    assert '<th scope="col">Role <span class="fw-normal">(optional)</span>' in html
    assert 'name="G2-add"' in html and "Add another row" in html
    assert "Date of the declaration" not in html and 'name="G3"' not in html


def test_add_another_row_saves_and_keeps_everything_typed(app, login_as):
    owner = login_as()
    submission_id = v2_draft(app, owner.client)
    response = post_section(owner.client, submission_id, "G", {
        "G2-0-name": "Ada Lovelace", "G2-0-role": "pi", "G2-0-orcid": "0000-0002-1825-0097"}, button="G2-add")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#G2-rows-end")
    assert _stored(app, submission_id, "G2")[0] == [{"name": "Ada Lovelace", "role": "pi",
                                                    "orcid": "0000-0002-1825-0097"}]
    html = _section_html(owner.client, submission_id, "G")
    assert _input(html, "G2-0-name") == "Ada Lovelace" and _selected(html, "G2-0-role") == "pi"
    # The typed row, and a fresh blank one after it.
    assert _input(html, "G2-1-name") == "" and 'name="G2-2-name"' not in html
    assert '<button type="submit" name="G2-remove" value="0"' in html
    assert "Remove team member 1" in page_text(owner.client.get(f"/applications/{submission_id}/sections/G"))


def test_remove_drops_one_row_and_keeps_the_others(app, login_as):
    owner = login_as()
    submission_id = v2_draft(app, owner.client)
    rows = {"G2-0-name": "Ada", "G2-1-name": "Bo Jones", "G2-1-role": "student", "G2-2-name": "Cy"}
    assert post_section(owner.client, submission_id, "G", rows, button="save").status_code == 302
    response = post_section(owner.client, submission_id, "G", {**rows, "G2-remove": "1"}, button="save")
    assert response.status_code == 302 and response.headers["Location"].endswith("#q-G2")
    assert _stored(app, submission_id, "G2")[0] == [{"name": "Ada"}, {"name": "Cy"}]


def test_a_bad_orcid_is_pointed_out_beside_its_cell_and_nothing_typed_is_lost(app, login_as):
    owner = login_as()
    submission_id = v2_draft(app, owner.client)
    typed = {"G2-0-name": "Ada Lovelace", "G2-0-orcid": "0000-0002-1825-0097",
             "G2-1-name": "Bo Jones", "G2-1-organisation": "Example University", "G2-1-orcid": "0000-0002-1825-0098"}
    # Even "Add another row" does not drop the row in error.
    response = post_section(owner.client, submission_id, "G", typed, button="G2-add")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    message = "Enter an ORCID iD like 0000-0002-1825-0097; the last character does not match the others"
    assert re.search(r'<p id="G2-1-orcid-error" class="invalid-feedback d-block mb-1">'
                     r'<span class="visually-hidden">Error:</span> ' + re.escape(message), html)
    assert re.search(r'id="G2-1-orcid" name="G2-1-orcid" value="0000-0002-1825-0098"[^>]*'
                     r'aria-describedby="G2-orcid-hint G2-1-orcid-error" aria-invalid="true"', html)
    # The error summary names the row and links to the cell.
    assert '<a href="#G2-1-orcid">Team member 2: enter an ORCID iD like 0000-0002-1825-0097; the last' in html
    assert _input(html, "G2-1-organisation") == "Example University" and _input(html, "G2-0-name") == "Ada Lovelace"
    # Kept as typed in the database too, with the message naming the row.
    value, kept, stored_message = _stored(app, submission_id, "G2")
    assert value is None and kept[1]["orcid"] == "0000-0002-1825-0098"
    assert stored_message == f"Team member 2: {message[0].lower()}{message[1:]}"
    again = _section_html(owner.client, submission_id, "G")
    assert _input(again, "G2-1-orcid") == "0000-0002-1825-0098" and 'id="G2-1-orcid-error"' in again


def test_save_and_continue_points_at_a_blank_required_cell(app, login_as):
    owner = login_as()
    submission_id = v2_draft(app, owner.client)
    response = post_section(owner.client, submission_id, "G", {"G1": "yes", "G4": "Training planned.",
                                                               "G2-0-name": "Ada", "G2-1-role": "student"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<a href="#G2-1-name">Team member 2: enter a name</a>' in html
    assert 'id="G2-1-name-error"' in html and _selected(html, "G2-1-role") == "student"
    # Saved as a draft all the same.
    assert _stored(app, submission_id, "G2")[0] == [{"name": "Ada"}, {"role": "student"}]


def test_autosave_reads_the_table_like_the_form(app, login_as):
    owner = login_as()
    submission_id = v2_draft(app, owner.client)
    base = {"__present__": ["G2"]}
    response = owner.client.post(f"/applications/{submission_id}/sections/G/autosave",
                                 data={**base, "G2-0-name": "Ada", "G2-0-orcid": "0000-0001-5109-3700"})
    assert response.status_code == 200 and response.json["saved"] == ["G2"]
    assert _stored(app, submission_id, "G2")[0] == [{"name": "Ada", "orcid": "0000-0001-5109-3700"}]
    response = owner.client.post(f"/applications/{submission_id}/sections/G/autosave",
                                 data={**base, "G2-0-name": "Ada", "G2-0-orcid": "0000-0001-5109-3701"})
    assert response.json["errors"]["G2"].startswith("Team member 1: enter an ORCID iD like")


def test_the_licence_table_shows_the_terms_check_for_a_noncommercial_row(app, login_as):
    owner = login_as()
    submission_id = v2_draft(app, owner.client)
    sources = {"B1": ["chembl"], "B1b-0-source": "ChEMBL", "B1b-0-licence": "cc_by_nc"}
    assert post_section(owner.client, submission_id, "B", sources, button="save").status_code == 302
    html = _section_html(owner.client, submission_id, "B")
    assert re.search(r'id="q-B1c" data-question="B1c" data-type="yes_no" data-show-if="[^"]*field[^"]*licence',
                     html)
    assert not re.search(r'id="q-B1c"[^>]*hidden', html)
    assert '<label class="visually-hidden" for="B1b-0-licence">Data source 1: Licence</label>' in html


# --- a v1 draft's free-text team --------------------------------------------------------------------------------

def test_a_moved_v1_team_stays_beside_the_table_while_it_is_re_answered(app, login_as, monkeypatch):
    owner = login_as()
    submission_id = create_application_on_version(owner.client, monkeypatch, 1)
    fill_application(owner.client, submission_id, {"G": V1_LOW_RISK_ANSWERS["G"]})
    assert owner.client.post(f"/applications/{submission_id}/move-questionnaire").status_code == 302
    earlier = V1_LOW_RISK_ANSWERS["G"]["G2"]
    page = page_text(owner.client.get(f"/applications/{submission_id}/sections/G"))
    assert f"Your answer in version 1 of the questionnaire, kept for you to copy into the table {earlier}" in page
    assert "Changed in version 2: Team members" in page
    # Re-answering row by row keeps it in view.
    assert post_section(owner.client, submission_id, "G", {"G2-0-name": "Ada Lovelace"},
                        button="G2-add").status_code == 302
    assert _stored(app, submission_id, "G2") == ([{"name": "Ada Lovelace"}], None, None)
    assert f"kept for you to copy into the table {earlier}" in page_text(
        owner.client.get(f"/applications/{submission_id}/sections/G"))


# --- once submitted: check page, reviewer, diff, signed assessment --------------------------------------------

def _submitted_v2(app, make_client, **changes: Any) -> tuple[int, Any]:
    owner = person(app, make_client)
    submission_id = v2_draft(app, owner.client)
    fill_application(owner.client, submission_id, v2_answers(**changes))
    assert owner.client.post(f"/applications/{submission_id}/submit").status_code == 302
    with app.app_context():
        assert db.session.get(Submission, submission_id).state == "submitted"
    return submission_id, owner


# The team's table as a page's text reads it: the headings, then each row's cells (blank cells are empty).
TEAM_TABLE_TEXT = ("Name Role Organisation ORCID iD Ada Lovelace Principal investigator 0000-0002-1825-0097 "
                   "Tomasz Nowak Partner or collaborator Acme Batteries")


def test_check_your_answers_and_the_reviewer_show_the_team_as_a_table(app, make_client):
    submission_id, owner = _submitted_v2(app, make_client)
    check = owner.client.get(f"/applications/{submission_id}/check").get_data(as_text=True)
    assert '<th scope="col">ORCID iD</th>' in check and '<th scope=row>Ada Lovelace</th>' in check
    assert TEAM_TABLE_TEXT in page_text(owner.client.get(f"/applications/{submission_id}/check"))
    assert "Declared on" in page_text(owner.client.get(f"/applications/{submission_id}/check"))
    c = committee(app, make_client)
    _start_review(app, c, submission_id)
    review = c.reviewer1.client.get(f"/review/applications/{submission_id}")
    assert review.status_code == 200
    assert "G2. Named team members " + TEAM_TABLE_TEXT in page_text(review)
    assert "B1b. The licence of each data source Data source Licence Materials Project CC BY (attribution)" in \
        page_text(review)


def test_the_round_diff_compares_the_team_row_by_row(app, make_client):
    submission_id, owner = _submitted_v2(app, make_client)
    c = committee(app, make_client)
    _start_review(app, c, submission_id)
    for reviewer in (c.reviewer1, c.reviewer2):
        assert recommend(app, submission_id, reviewer, "changes_requested").status_code == 302
    assert sent(decide(c, submission_id, "changes_requested")).status_code == 302
    rows = {"G2-0-name": "Ada Lovelace", "G2-0-role": "co_investigator", "G2-0-orcid": "0000-0002-1825-0097",
            "G2-1-name": "Grace Hopper", "G2-1-role": "researcher"}
    assert post_section(owner.client, submission_id, "G", {"G1": "yes", "G4": "Trusted Research 2025", **rows}
                        ).status_code == 302
    assert owner.client.post(f"/applications/{submission_id}/submit").status_code == 302
    diff = c.reviewer1.client.get(f"/review/applications/{submission_id}/diff?old=1&new=2")
    assert diff.status_code == 200, diff.status_code
    html = diff.get_data(as_text=True)
    text = page_text(diff)
    assert "Each changed cell is marked, with its round 1 value beside it." in text
    assert re.search(r'<td class="table-warning"><ins>Co-investigator</ins> <span class="d-block small">'
                     r'\(was Principal investigator\)</span></td>', html)
    assert "Grace Hopper New team member" in text
    assert re.search(r"<del>Tomasz Nowak</del> <span class=\"badge text-bg-secondary\">Removed</span>", html)


def test_the_signed_assessment_prints_the_team_as_a_table(rendering_app, make_client, tmp_path):
    app = rendering_app
    submission_id, owner = _submitted_v2(app, make_client)
    c = committee(app, make_client)
    _start_review(app, c, submission_id)
    for reviewer in (c.reviewer1, c.reviewer2):
        assert recommend(app, submission_id, reviewer).status_code == 302
    assert sent(decide(c, submission_id, "approved")).status_code == 302
    text = assessment_text(app, owner.client, submission_id, tmp_path)
    assert "Named team members" in text and "Declaration Declared on" in text
    # Laid out as a table: each team member's cells side by side (the narrow columns wrap), under the headings.
    lines = _pdf_lines(tmp_path / "assessment.pdf")
    heading = next(line for line in lines if "ORCID iD" in line and "Organisation" in line)
    assert re.search(r"Name\s+Role\s+Organisation\s+ORCID iD", heading)
    assert any(re.search(r"Ada\s+Principal\s+0000-0002-1825-0097", line) for line in lines)
    assert any(re.search(r"Tomasz\s+Partner or\s+Acme", line) for line in lines)
    assert "Lovelace" in text and "collaborator" in text and "Batteries" in text
    assert any(re.search(r"Materials Project\s+CC BY \(attribution\)", line) for line in lines)
    # Tagged with header cells, as the footprint's table is: a table whose header row names the columns.
    from pypdf import PdfReader

    from tests.documents.test_assessment_pdf import _structure
    root = PdfReader(tmp_path / "assessment.pdf").trailer["/Root"]
    elements = _structure(root["/StructTreeRoot"], [])
    tables = [index for index, element in enumerate(elements) if element["type"] == "Table"]
    # The answers' tables hold the records tables: more tables than without them, each with header cells.
    nested = [index for index in tables if any(e["type"] == "THead" for e in elements[index:index + 3])]
    assert nested
    cells = [element for element in elements if element["type"] == "TD"]
    assert all(cell["headers"] for cell in cells)


def _pdf_lines(pdf) -> list[str]:
    require_tool("pdftotext", "poppler-utils")
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout.splitlines()

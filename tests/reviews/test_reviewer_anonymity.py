"""What the applicant's team reads of the committee: "Reviewer 1", "Reviewer 2" by default (numbered in the order
they were assigned, the same on the page and in the signed PDF), their names beside their roles when the
institution sets REVIEWERS_NAMED_TO_APPLICANT; and the committee's forms say when the team will read them."""
from __future__ import annotations

import re

import pytest

from tests.helpers import assessment_text, comment, decide, in_review, page_text, recommend, sent

FIRST = "Please say who vets requests for the trained weights."
SECOND = "Could the hyper-parameter search run in a low-carbon region?"
REPLY = "Agreed: gated release with vetting would be proportionate."
TEAM_ANSWER = "The security officer will vet each request."


@pytest.fixture(params=[False, True], ids=["anonymous", "named"])
def named(request, app):
    app.config["REVIEWERS_NAMED_TO_APPLICANT"] = request.param
    yield request.param
    app.config["REVIEWERS_NAMED_TO_APPLICANT"] = False


def _changes_requested(app, make_client):
    """Both reviewers comment to the applicant (reviewer 2 also replies in reviewer 1's thread); the chair asks
    for changes, which releases the comments."""
    submission_id, owner, c = in_review(app, make_client)
    thread = comment(app, c.reviewer1, submission_id, "B4", FIRST, visibility="applicant")
    comment(app, c.reviewer2, submission_id, "C11", SECOND, visibility="applicant")
    assert c.reviewer2.client.post(f"/review/applications/{submission_id}/comments",
                                   data={"body": REPLY, "parent_id": thread}).status_code == 302
    for reviewer in (c.reviewer1, c.reviewer2):
        assert recommend(app, submission_id, reviewer, "changes_requested").status_code == 302
    assert sent(decide(c, submission_id, "changes_requested")).status_code == 302
    return submission_id, owner, c, thread


def _who(text: str, body: str) -> str:
    """The author printed just before a comment's text."""
    before = text[:text.index(body)]
    return re.findall(r"(Reviewer \d(?:: [^·\n]+?)?|Committee(?:: [^·\n]+?)?)\s*·", before)[-1].strip()


def test_the_feedback_page_names_reviewers_only_when_the_institution_does(app, make_client, named):
    submission_id, owner, c, thread = _changes_requested(app, make_client)
    assert owner.client.post(f"/applications/{submission_id}/feedback/reply",
                             data={"parent_id": thread, "body": TEAM_ANSWER}).status_code == 302
    text = page_text(owner.client.get(f"/applications/{submission_id}/feedback"))
    first, second = c.reviewer1.user.name, c.reviewer2.user.name
    if named:
        assert _who(text, FIRST) == f"Reviewer 1: {first}"
        assert _who(text, SECOND) == f"Reviewer 2: {second}"
        assert _who(text, REPLY) == f"Reviewer 2: {second}"
    else:
        assert (_who(text, FIRST), _who(text, SECOND), _who(text, REPLY)) == ("Reviewer 1", "Reviewer 2",
                                                                            "Reviewer 2")
        assert first not in text and second not in text
    # The team's own answers keep their author's name, and committee pages keep every name.
    assert owner.user.name in text[text.index(REPLY):]
    committee_page = page_text(c.chair.client.get(f"/review/applications/{submission_id}"))
    assert first in committee_page and second in committee_page
    assert "Reviewer 1" not in committee_page


def test_the_committees_forms_say_the_applicant_team_will_read_it(app, make_client, named):
    submission_id, _, c = in_review(app, make_client)
    thread = comment(app, c.reviewer1, submission_id, "B4", FIRST, visibility="applicant")
    private = comment(app, c.reviewer1, submission_id, "C11", SECOND)
    reviewer = c.reviewer2
    page = reviewer.client.get(f"/review/applications/{submission_id}?reply={thread}").get_data(as_text=True)
    said = (f"the applicant team will see this once the decision is sent, with your name (“Reviewer 2: "
            f"{reviewer.user.name}”)" if named else
            "the applicant team will see this once the decision is sent, as “Reviewer 2”, without your name")
    reply_form = page[page.index(f'id="c-B4-r{thread}"'):]
    reply_form = reply_form[:reply_form.index("</form>")]
    assert said in reply_form and f'c-B4-r{thread}-team"' in reply_form
    # A reply in a committee-only thread reaches nobody outside the committee, and says nothing of the team.
    page = reviewer.client.get(f"/review/applications/{submission_id}?reply={private}").get_data(as_text=True)
    committee_reply = page[page.index(f'id="c-C11-r{private}"'):]
    assert "applicant team" not in committee_reply[:committee_reply.index("</form>")]
    # A new comment: beside the "To the applicant" choice.
    general = page[page.index('id="c-general"'):]
    assert 'id="c-general-applicant" value="applicant" checked aria-describedby="c-general-team"' in general
    assert said in general[:general.index("</form>")]


def test_the_signed_assessment_numbers_reviewers_as_the_page_does(rendering_app, make_client, named, tmp_path):
    app = rendering_app
    submission_id, owner, c, _ = _changes_requested(app, make_client)
    text = assessment_text(app, owner.client, submission_id, tmp_path)
    first, second = c.reviewer1.user.name, c.reviewer2.user.name
    for number, name, body in ((1, first, FIRST), (2, second, SECOND), (2, second, REPLY)):
        expected = f"Reviewer {number}: {name}" if named else f"Reviewer {number}"
        assert expected in text[:text.index(body)][-200:], (expected, body)
    assert (first in text) is named and (second in text) is named
    # The chair signs the decision by name whatever the setting.
    assert c.chair.user.name in text


def test_a_reviewer_only_invited_to_the_team_stays_anonymous_to_it(app, make_client):
    submission_id, owner, c, _thread = _changes_requested(app, make_client)
    assert owner.client.post(f"/applications/{submission_id}/team",
                             data={"email": c.reviewer1.user.email, "role": "viewer"}).status_code == 302
    text = page_text(owner.client.get(f"/applications/{submission_id}/feedback"))
    assert _who(text, FIRST) == "Reviewer 1"
    assert c.reviewer1.user.name not in text.split("People with access", 1)[0]

"""Who can reach which page: every route, for every kind of user, including other applications' ids."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from app.extensions import db
from app.reviews.models import Assignment
from tests.helpers import Person, create_application, invitation_id, join_team, person, submitted

# chair_reviewer: a chair also in the reviewer pool, assigned to the application like the assigned reviewer.
# team_reviewer: a reviewer the owner invited to the application's team as an editor, who accepted (team, and
# staff). unassigned_reviewer: also invited (as a viewer), and has not answered: a pending invitation changes
# nothing of what they may do.
# deputy_chair: a deputy chair; no chair is recused on the application, so the decision is not theirs.
ROLES = ["anonymous", "owner", "other_applicant", "assigned_reviewer", "unassigned_reviewer", "chair",
         "chair_reviewer", "deputy_chair", "team_reviewer", "coordinator", "security_officer", "admin"]
SIGNED_IN = ROLES[1:]


@dataclass
class World:
    people: dict[str, Person | None]
    submission_id: int
    other_submission_id: int
    assignment_id: int
    chair_assignment_id: int
    security_assignment_id: int
    other_member_id: int
    condition_id: int
    team_member_id: int
    invitation_id: int


def _declare_no_conflict(app, who: Person, submission_id: int) -> int:
    with app.app_context():
        assignment_id = db.session.scalar(select(Assignment.id).where(Assignment.submission_id == submission_id,
                                                                      Assignment.reviewer_id == who.user.id))
    assert who.client.post(f"/review/assignments/{assignment_id}",
                           data={"has_conflict": "no", "statement": ""}).status_code == 302
    return assignment_id


@pytest.fixture
def world(app, make_client) -> World:
    people: dict[str, Person | None] = {"anonymous": Person(None, make_client())}
    for role, grants in [("other_applicant", ()), ("assigned_reviewer", ("reviewer",)),
                         ("unassigned_reviewer", ("reviewer",)), ("chair", ("chair",)),
                         ("chair_reviewer", ("chair", "reviewer")), ("deputy_chair", ("deputy_chair",)),
                         ("team_reviewer", ("reviewer",)),
                         ("coordinator", ("coordinator",)), ("security_officer", ("security_officer",)),
                         ("admin", ("admin",))]:
        people[role] = person(app, make_client, *grants)
    submission_id, owner = submitted(app, make_client)
    people["owner"] = owner
    join_team(app, owner.client, people["team_reviewer"].client, submission_id, people["team_reviewer"].user.email)
    assert owner.client.post(f"/applications/{submission_id}/team", data={
        "email": people["unassigned_reviewer"].user.email, "role": "viewer"}).status_code == 302
    coordinator = people["coordinator"]
    for reviewer in ("assigned_reviewer", "chair_reviewer"):
        # The chair is assigned as a reviewer once the office confirms it (the confirmation's own button).
        assert coordinator.client.post(f"/review/applications/{submission_id}/assign",
                                       data={"reviewer_id": people[reviewer].user.id,
                                             "confirm_chair": "yes"}).status_code == 302
    assert coordinator.client.post(f"/review/applications/{submission_id}/assign", data={
        "security-reviewer_id": people["security_officer"].user.id, "security-kind": "security"}).status_code == 302
    assert coordinator.client.post(f"/review/applications/{submission_id}/start").status_code == 302
    assignment_id = _declare_no_conflict(app, people["assigned_reviewer"], submission_id)
    chair_assignment_id = _declare_no_conflict(app, people["chair_reviewer"], submission_id)
    security_assignment_id = _declare_no_conflict(app, people["security_officer"], submission_id)
    # Another applicant's application (a draft), with a team member, to put its ids into the first one's URLs.
    other = people["other_applicant"]
    other_submission_id = create_application(other.client, "Someone else's project")
    other.client.post(f"/applications/{other_submission_id}/team", data={"email": "x@example.ac.uk", "role": "viewer"})
    from app.submissions.models import SubmissionMember
    with app.app_context():
        other_member_id = db.session.scalar(select(SubmissionMember.id).where(
            SubmissionMember.submission_id == other_submission_id))
    # A condition on the application (still in review, so those let through meet 409, never a change).
    from app.reviews.models import Condition, Decision
    with app.app_context():
        decision = Decision(submission_id=submission_id, round_number=1, outcome="approved_with_conditions",
                            decided_by_id=people["chair"].user.id, signature_name="Chair",
                            signature_meaning="Approved with conditions — chair")
        db.session.add(decision)
        db.session.flush()
        condition = Condition(decision_id=decision.id, submission_id=submission_id, text="A condition")
        db.session.add(condition)
        db.session.commit()
        condition_id = condition.id
    return World(people, submission_id, other_submission_id, assignment_id, chair_assignment_id,
                 security_assignment_id, other_member_id, condition_id,
                 invitation_id(app, submission_id, people["team_reviewer"].user.email),
                 invitation_id(app, submission_id, people["unassigned_reviewer"].user.email))


def _expect(allowed: set[str], *, hidden: set[str] = frozenset(), ok: int = 200) -> dict[str, int]:
    """`allowed` get `ok`; `hidden` get 404 (the application or assignment is not theirs to know of, as if it
    did not exist); every other signed-in role 403; anonymous visitors are sent to sign in (302)."""
    assert not allowed & hidden
    return {role: 302 if role == "anonymous" else ok if role in allowed else 404 if role in hidden else 403
            for role in ROLES}


def _public(status: int = 200) -> dict[str, int]:
    """A public page: the same answer for everyone, signed in or not."""
    return {role: status for role in ROLES}


# Written out by hand from the access rules (SECURITY.md, README), never computed from the predicates under test.
TEAM = {"owner", "team_reviewer"}  # of the application {s}
NOT_STAFF_NOR_TEAM = {"other_applicant"}  # {s} answers them 404
# The security officer is assigned the application's sign-off.
COMMITTEE_READERS = {"assigned_reviewer", "chair", "chair_reviewer", "deputy_chair", "coordinator", "admin",
                     "security_officer"}
OFFICE = {"coordinator", "admin"}
CHAIRS = {"chair", "chair_reviewer"}
REVIEWING = {"assigned_reviewer", "unassigned_reviewer", "chair", "chair_reviewer", "team_reviewer", "security_officer"}
# An assignment is known to its reviewer and to the office only.
NOT_ASSIGNMENT_KEEPERS = set(SIGNED_IN) - OFFICE

# (url pattern, expected status by role). {s}: the application (in review); {o}: another applicant's draft;
# {a}: the assigned reviewer's assignment; {c}: the chair-reviewer's assignment; {k}: the security officer's.
GET_ROUTES = [
    ("/", _expect(set(SIGNED_IN))),
    ("/account", _expect(set(SIGNED_IN))),
    ("/applications/new", _expect(set(SIGNED_IN))),
    ("/applications/{s}", _expect(TEAM, hidden=NOT_STAFF_NOR_TEAM)),
    ("/applications/{s}/check", _expect(TEAM, hidden=NOT_STAFF_NOR_TEAM)),
    # Submitted: the team is sent to the answers as submitted.
    ("/applications/{s}/sections/A", _expect(TEAM, hidden=NOT_STAFF_NOR_TEAM, ok=302)),
    ("/applications/{s}/team", _expect(TEAM, hidden=NOT_STAFF_NOR_TEAM)),
    # {t}: the team reviewer's membership of {s}; {m}: a member of {o}, known under {o} only.
    ("/applications/{s}/team/{t}/remove", _expect({"owner"}, hidden=NOT_STAFF_NOR_TEAM)),
    ("/applications/{o}/team/{m}/remove", _expect({"other_applicant"}, hidden={"owner"})),
    ("/applications/{s}/team/{m}/remove", _expect({"owner"}, hidden=NOT_STAFF_NOR_TEAM, ok=404)),
    ("/invitations", _expect(set(SIGNED_IN))),
    ("/applications/{s}/withdraw", _expect({"owner"}, hidden=NOT_STAFF_NOR_TEAM)),
    # Only a draft never submitted can be deleted: {s} is in review, so its owner meets 409.
    ("/applications/{s}/delete", _expect({"owner"}, hidden=NOT_STAFF_NOR_TEAM, ok=409)),
    ("/applications/{o}/delete", _expect({"other_applicant"}, hidden={"owner"})),
    ("/applications/{s}/feedback", _expect(TEAM, hidden=NOT_STAFF_NOR_TEAM)),
    ("/applications/{s}/documents", _expect(TEAM | OFFICE, hidden=NOT_STAFF_NOR_TEAM)),
    # The draft is the other applicant's alone; the owner of {s} is not told it exists, staff are refused it.
    ("/applications/{o}", _expect({"other_applicant"}, hidden={"owner"})),
    ("/review/queue", _expect(OFFICE)),
    ("/review/queue.csv", _expect(OFFICE)),
    ("/review/queue.csv?state=decided&flag=overdue", _expect(OFFICE)),
    ("/review/applications/{s}/triage", _expect(OFFICE, hidden=NOT_STAFF_NOR_TEAM)),
    ("/review/applications/{s}", _expect(COMMITTEE_READERS, hidden=NOT_STAFF_NOR_TEAM)),
    ("/review/applications/{s}/history", _expect(COMMITTEE_READERS, hidden=NOT_STAFF_NOR_TEAM)),
    # A draft is not the committee's; its own applicant sees it only as its team.
    ("/review/applications/{o}", _expect(set(), hidden={"owner"})),
    ("/review/applications/{o}/triage", _expect(set(), hidden={"owner"})),
    ("/review/applications/{s}/decide", _expect(CHAIRS, hidden=NOT_STAFF_NOR_TEAM)),
    ("/review/mine", _expect(REVIEWING)),
    ("/review/chair", _expect(CHAIRS | {"deputy_chair"})),
    # Declared no conflict: the declaration page sends its reviewer on to the application.
    ("/review/assignments/{a}", _expect({"assigned_reviewer"}, hidden=NOT_ASSIGNMENT_KEEPERS - {"assigned_reviewer"},
                                        ok=302)),
    ("/review/assignments/{c}", _expect({"chair_reviewer"}, hidden=NOT_ASSIGNMENT_KEEPERS - {"chair_reviewer"},
                                        ok=302)),
    ("/review/assignments/{k}", _expect({"security_officer"},
                                        hidden=NOT_ASSIGNMENT_KEEPERS - {"security_officer"}, ok=302)),
    ("/reports/footprint", _expect(OFFICE)),
    ("/archive", _expect(OFFICE)),
    ("/archive/export", _expect(OFFICE)),
    # Verification is public (the link printed in every PDF); an identifier the archive does not hold is 404.
    # The link mailed to a new email address is the credential: a broken one is refused alike for everyone.
    ("/account/email/confirm/not-a-token", _public(400)),
    ("/verify", _public()),
    # Single sign-on through a provider the institution has not configured (tests/sso runs configured ones).
    ("/login/sso/nowhere", _public(404)),
    ("/login/sso/nowhere/callback?state=x&code=y", _public(404)),
    ("/verify?document=00000000-0000-4000-8000-000000000000", _public(404)),
    ("/admin/users", _expect({"admin"})),
    ("/admin/outbox", _expect({"admin"})),
]


def _url(pattern: str, world: World) -> str:
    return pattern.format(s=world.submission_id, o=world.other_submission_id, a=world.assignment_id,
                          c=world.chair_assignment_id, k=world.security_assignment_id, m=world.other_member_id,
                          n=world.condition_id, t=world.team_member_id, i=world.invitation_id)


def test_get_access(world, subtests):
    # One world for every route keeps the matrix quick; each route is reported as its own subtest.
    for pattern, expected in GET_ROUTES:
        with subtests.test(route=pattern):
            url = _url(pattern, world)
            actual = {role: world.people[role].client.get(url).status_code for role in ROLES}
            assert actual == expected


# (url pattern, form, roles the access rules let through, roles not told the object exists). Every other
# signed-in role gets 403; those let through may still meet a rule or state refusal (409, 422), never 403/404.
POST_ROUTES = [
    ("/applications/{s}/submit", {}, {"owner"}, NOT_STAFF_NOR_TEAM),
    # Submitted, so the owner meets 409 (only a draft moves); the rest are refused before the state is looked at.
    ("/applications/{s}/move-questionnaire", {}, {"owner"}, NOT_STAFF_NOR_TEAM),
    # Submitted: the editing team gets 409 (locked), everyone else is refused before the state is looked at.
    ("/applications/{s}/sections/A/autosave", {"A1": "changed"}, TEAM, NOT_STAFF_NOR_TEAM),
    ("/applications/{s}/sections/A", {"A1": "changed", "save": "1"}, TEAM, NOT_STAFF_NOR_TEAM),
    ("/applications/{s}/team", {"email": "new@example.ac.uk", "role": "viewer"}, {"owner"}, NOT_STAFF_NOR_TEAM),
    # In review: the owner meets 409 (only a draft never submitted is deleted).
    ("/applications/{s}/delete", {}, {"owner"}, NOT_STAFF_NOR_TEAM),
    ("/applications/{s}/feedback/reply", {"body": "an answer", "parent_id": "1"}, TEAM, NOT_STAFF_NOR_TEAM),
    ("/review/applications/{s}/assign", {"reviewer_id": "1"}, OFFICE, NOT_STAFF_NOR_TEAM),
    ("/account/expertise", {"expertise": "DFT"}, set(SIGNED_IN), set()),
    ("/account/details", {"name": "A Person", "department": "Materials"}, set(SIGNED_IN), set()),
    ("/account/email", {"email": "moving@example.ac.uk"}, set(SIGNED_IN), set()),
    ("/review/applications/{s}/route", {"route": "standard", "reason": "r"}, OFFICE, NOT_STAFF_NOR_TEAM),
    ("/review/applications/{s}/comments", {"body": "hello", "question_id": "B2", "visibility": "committee"},
     COMMITTEE_READERS, NOT_STAFF_NOR_TEAM),
    ("/review/assignments/{a}/recommend", {"recommendation": "approve", "summary": "ok"}, {"assigned_reviewer"},
     NOT_ASSIGNMENT_KEEPERS - {"assigned_reviewer"}),
    # The security officer signs off on a form of their own; the office knows of the assignment, no one else.
    ("/review/assignments/{k}/recommend", {"recommendation": "approve", "summary": "ok"}, set(),
     NOT_ASSIGNMENT_KEEPERS - {"security_officer"}),
    ("/review/assignments/{a}/sign-off", {"classification": "not_listed", "basis": "b"}, set(),
     NOT_ASSIGNMENT_KEEPERS - {"assigned_reviewer"}),
    ("/review/assignments/{k}/sign-off", {"classification": "not_listed", "basis": "b"}, {"security_officer"},
     NOT_ASSIGNMENT_KEEPERS - {"security_officer"}),
    ("/review/applications/{s}/decide", {"outcome": "approved", "password": "x"}, CHAIRS, NOT_STAFF_NOR_TEAM),
    # {n}: a condition of {s}; {s} is in review, so those let through meet 409.
    ("/applications/{s}/conditions/{n}/report", {"note": "Done."}, TEAM, NOT_STAFF_NOR_TEAM),
    ("/review/conditions/{n}/confirm", {}, OFFICE, NOT_STAFF_NOR_TEAM),
    ("/review/conditions/{n}/send-back", {"reason": "Not enough."}, OFFICE, NOT_STAFF_NOR_TEAM),
    # {i}: the unassigned reviewer's pending invitation to {s}, known to them alone. A reviewer accepting is
    # shown the recusal warning first (200); declining removes it.
    ("/invitations/{i}/accept", {}, {"unassigned_reviewer"}, set(SIGNED_IN) - {"unassigned_reviewer"}),
    ("/invitations/{i}/decline", {}, {"unassigned_reviewer"}, set(SIGNED_IN) - {"unassigned_reviewer"}),
    # An answered invitation is no one's to answer.
    ("/invitations/{t}/accept", {}, set(), set(SIGNED_IN)),
    ("/applications/{o}/team/{m}/remove", {}, {"other_applicant"}, {"owner"}),
    # Last: the office's first attempt removes the reviewer.
    ("/review/assignments/{a}/unassign", {}, OFFICE, NOT_ASSIGNMENT_KEEPERS - {"assigned_reviewer"}),
]


def test_post_access(world, subtests):
    for pattern, data, allowed, hidden in POST_ROUTES:
        with subtests.test(route=pattern):
            url = _url(pattern, world)
            actual = {role: world.people[role].client.post(url, data=data).status_code for role in ROLES}
            assert actual["anonymous"] == 302
            assert {role for role in SIGNED_IN if actual[role] == 404} == hidden, actual
            assert {role for role in SIGNED_IN if actual[role] == 403} == set(SIGNED_IN) - allowed - hidden, actual


def test_other_applications_ids_in_urls_are_refused(world):
    owner = world.people["owner"].client
    s, o = world.submission_id, world.other_submission_id
    assert owner.post(f"/applications/{s}/team/{world.other_member_id}/remove").status_code == 404
    assert owner.post(f"/applications/{o}/team/{world.other_member_id}/remove").status_code == 404
    assert owner.post(f"/applications/{s}/conditions/999999/report").status_code == 404
    assert owner.get(f"/applications/{o}/check").status_code == 404
    assert owner.post(f"/applications/{o}/sections/A", data={"A1": "hijack", "save": "1"}).status_code == 404
    reviewer = world.people["assigned_reviewer"].client
    assert reviewer.get(f"/review/applications/{o}").status_code == 403  # staff know of it; a draft is not theirs
    unassigned = world.people["unassigned_reviewer"].client
    assert unassigned.post(f"/review/assignments/{world.assignment_id}/recommend",
                           data={"recommendation": "approve", "summary": "x"}).status_code == 404
    coordinator = world.people["coordinator"].client
    assert coordinator.post("/review/conditions/999999/confirm").status_code == 404
    assert coordinator.post("/review/conditions/999999/send-back", data={"reason": "r"}).status_code == 404
    # A condition of {s}, by the address of another application.
    assert owner.post(f"/applications/{o}/conditions/{world.condition_id}/report",
                      data={"note": "Done."}).status_code == 404


PROBED = ["/applications/{id}", "/applications/{id}/check", "/applications/{id}/sections/A",
          "/applications/{id}/team", "/applications/{id}/withdraw", "/applications/{id}/delete",
          "/applications/{id}/feedback",
          "/applications/{id}/documents", "/review/applications/{id}", "/review/applications/{id}/triage",
          "/review/applications/{id}/history", "/review/applications/{id}/decide"]


def test_an_applicant_cannot_tell_a_missing_application_from_someone_elses(world):
    """Probing ids: an application that is not theirs answers exactly as one that does not exist."""
    prober = world.people["other_applicant"].client
    for pattern in PROBED:
        someone_elses = prober.get(pattern.format(id=world.submission_id))
        missing = prober.get(pattern.format(id=999999))
        assert (someone_elses.status_code, missing.status_code) == (404, 404), pattern
        assert _title(someone_elses) == _title(missing), pattern
    for pattern in ("/applications/{id}/sections/A", "/applications/{id}/submit", "/review/applications/{id}/assign"):
        assert prober.post(pattern.format(id=world.submission_id), data={}).status_code == 404, pattern
        assert prober.post(pattern.format(id=999999), data={}).status_code == 404, pattern


def _title(response) -> str:
    page = response.get_data(as_text=True)
    return page[page.index("<title>"):page.index("</title>")]

"""Who can reach which page: every route, for every kind of user, including other applications' ids."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from app.extensions import db
from app.reviews.models import Assignment
from tests.factories import create_application
from tests.reviews.helpers import Person, person, submitted

ROLES = ["anonymous", "owner", "other_applicant", "assigned_reviewer", "unassigned_reviewer", "chair",
         "coordinator", "security_officer", "admin"]
SIGNED_IN = ROLES[1:]


@dataclass
class World:
    people: dict[str, Person | None]
    submission_id: int
    other_submission_id: int
    assignment_id: int
    other_member_id: int


@pytest.fixture
def world(app, make_client) -> World:
    people: dict[str, Person | None] = {"anonymous": Person(None, make_client())}
    for role, grants in [("other_applicant", ()), ("assigned_reviewer", ("reviewer",)),
                         ("unassigned_reviewer", ("reviewer",)), ("chair", ("chair",)),
                         ("coordinator", ("coordinator",)), ("security_officer", ("security_officer",)),
                         ("admin", ("admin",))]:
        people[role] = person(app, make_client, *grants)
    submission_id, owner = submitted(app, make_client)
    people["owner"] = owner
    coordinator = people["coordinator"]
    coordinator.client.post(f"/review/applications/{submission_id}/assign",
                            data={"reviewer_id": people["assigned_reviewer"].user.id})
    coordinator.client.post(f"/review/applications/{submission_id}/start")
    with app.app_context():
        assignment_id = db.session.scalar(select(Assignment.id).where(Assignment.submission_id == submission_id))
    people["assigned_reviewer"].client.post(f"/review/assignments/{assignment_id}",
                                            data={"has_conflict": "no", "statement": ""})
    # Another applicant's application, with a team member, to put its ids into the first one's URLs.
    other = people["other_applicant"]
    other_submission_id = create_application(other.client, "Someone else's project")
    other.client.post(f"/applications/{other_submission_id}/team", data={"email": "x@example.ac.uk", "role": "viewer"})
    from app.submissions.models import SubmissionMember
    with app.app_context():
        other_member_id = db.session.scalar(select(SubmissionMember.id).where(
            SubmissionMember.submission_id == other_submission_id))
    return World(people, submission_id, other_submission_id, assignment_id, other_member_id)


def _expect(allowed: set[str], *, denied: int = 403, ok: int = 200, anonymous: int = 302) -> dict[str, int]:
    return {role: (anonymous if role == "anonymous" else ok if role in allowed else denied) for role in ROLES}


COMMITTEE_READERS = {"assigned_reviewer", "chair", "coordinator", "admin"}

# (method, url pattern, expected status by role). {s}: the application; {o}: another applicant's application.
GET_ROUTES = [
    ("/", _expect(set(SIGNED_IN))),
    ("/account", _expect(set(SIGNED_IN))),
    ("/applications/new", _expect(set(SIGNED_IN))),
    ("/applications/{s}", _expect({"owner"})),
    ("/applications/{s}/check", _expect({"owner"})),
    ("/applications/{s}/sections/A", {**_expect({"owner"}), "owner": 302}),
    ("/applications/{s}/team", _expect({"owner"})),
    ("/applications/{s}/withdraw", _expect({"owner"})),
    ("/applications/{s}/feedback", _expect({"owner"})),
    ("/applications/{o}", _expect({"other_applicant"})),
    ("/review/queue", _expect({"coordinator", "admin"})),
    ("/review/applications/{s}/triage", _expect({"coordinator", "admin"})),
    ("/review/applications/{s}", _expect(COMMITTEE_READERS)),
    ("/review/applications/{s}/history", _expect(COMMITTEE_READERS)),
    ("/review/applications/{o}", _expect(set(), denied=403)),
    ("/review/applications/{s}/decide", _expect({"chair"})),
    ("/review/mine", _expect({"assigned_reviewer", "unassigned_reviewer", "chair", "security_officer"})),
    ("/review/chair", _expect({"chair"})),
    ("/review/assignments/{a}", {**_expect({"assigned_reviewer"}), "assigned_reviewer": 302}),
    ("/admin/users", _expect({"admin"})),
    ("/admin/outbox", _expect({"admin"})),
]


def _url(pattern: str, world: World) -> str:
    return pattern.format(s=world.submission_id, o=world.other_submission_id, a=world.assignment_id,
                          m=world.other_member_id)


def test_get_access(world, subtests):
    # One world for every route keeps the matrix quick; each route is reported as its own subtest.
    for pattern, expected in GET_ROUTES:
        with subtests.test(route=pattern):
            url = _url(pattern, world)
            actual = {role: world.people[role].client.get(url).status_code for role in ROLES}
            assert actual == expected


POST_ROUTES = [
    # Changing someone else's application or doing another role's job is refused; the owner is refused
    # committee actions on their own application.
    ("/applications/{s}/submit", {}, {"owner"}),
    ("/applications/{s}/sections/A/autosave", {"A1": "changed"}, set()),
    ("/applications/{s}/team", {"email": "new@example.ac.uk", "role": "viewer"}, {"owner"}),
    ("/review/applications/{s}/assign", {"reviewer_id": "1"}, {"coordinator", "admin"}),
    ("/review/applications/{s}/route", {"route": "standard", "reason": "r"}, {"coordinator", "admin"}),
    ("/review/applications/{s}/comments", {"body": "hello", "question_id": "B2", "visibility": "committee"},
     COMMITTEE_READERS),
    ("/review/assignments/{a}/recommend", {"recommendation": "approve", "summary": "ok"}, {"assigned_reviewer"}),
    ("/review/applications/{s}/decide", {"outcome": "approved", "password": "x"}, {"chair"}),
]


def test_post_access(world, subtests):
    for pattern, data, allowed in POST_ROUTES:
        with subtests.test(route=pattern):
            url = _url(pattern, world)
            for role in ROLES:
                status = world.people[role].client.post(url, data=data).status_code
                if role == "anonymous":
                    assert status in (302, 401), (role, status)
                elif role in allowed:
                    assert status not in (401, 403), (role, status)
                else:
                    # 409 only where the state refuses before the role is looked at; never a success.
                    assert status in (403, 409), (role, status)


def test_other_applications_ids_in_urls_are_refused(world):
    owner = world.people["owner"].client
    s, o = world.submission_id, world.other_submission_id
    assert owner.post(f"/applications/{s}/team/{world.other_member_id}/remove").status_code == 404
    assert owner.post(f"/applications/{o}/team/{world.other_member_id}/remove").status_code == 403
    assert owner.post(f"/applications/{s}/conditions/999999/report").status_code == 404
    assert owner.get(f"/applications/{o}/check").status_code == 403
    assert owner.post(f"/applications/{o}/sections/A", data={"A1": "hijack", "save": "1"}).status_code == 403
    reviewer = world.people["assigned_reviewer"].client
    assert reviewer.get(f"/review/applications/{o}").status_code == 403
    unassigned = world.people["unassigned_reviewer"].client
    assert unassigned.post(f"/review/assignments/{world.assignment_id}/recommend",
                           data={"recommendation": "approve", "summary": "x"}).status_code == 403

"""Objects for the access predicates' own tests: models made in memory, never stored (the predicates read only
what their loaders load with the object, so no database is needed)."""
from __future__ import annotations

import itertools

from app.auth.models import User, UserRole
from app.reviews.models import Assignment
from app.submissions.models import Submission, SubmissionMember

_ids = itertools.count(1000)


def user(*roles: str) -> User:
    ident = next(_ids)
    made = User(id=ident, email=f"user{ident}@example.ac.uk", name=f"User {ident}", active=True)
    made.role_grants = [UserRole(role=role) for role in roles]
    return made


def application(owner: User, *, state: str = "in_review", members: dict[User, str] | None = None) -> Submission:
    return Submission(id=next(_ids), owner_id=owner.id, state=state, round_number=1,
                      members=[SubmissionMember(email=u.email, role=role) for u, role in (members or {}).items()])


def assignment(reviewer: User, submission: Submission, *, coi: str = "none", active: bool = True) -> Assignment:
    return Assignment(id=next(_ids), submission_id=submission.id, round_number=submission.round_number,
                      reviewer_id=reviewer.id, kind="reviewer", coi_status=coi, active=active, submission=submission)

"""How the applicant's team sees the committee's people, on every page, mail and document the team reads.

By default reviewers are anonymous to the team: each is "Reviewer 1", "Reviewer 2", ... numbered per application
in the order they were first assigned, so a reviewer keeps their number across rounds and in every copy of the
assessment; the security officer is "Security officer", an extra reviewer the policy asked for is named by their
role ("Sustainability reviewer") and anyone else on the committee "Committee". An
institution that names reviewers to applicants sets REVIEWERS_NAMED_TO_APPLICANT, and the name follows the role
("Reviewer 1: Prof. Helen Marsh"). The chair's signature under a decision always carries their name: a signed
decision names its signer. Committee pages always show names.
"""
from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any, NamedTuple

from flask import current_app
from sqlalchemy import select

from app.auth.models import User
from app.core.permissions import ROLES
from app.extensions import db
from app.reviews.models import EXTRA_REVIEW_KINDS, Assignment
from app.submissions.models import Submission

COMMITTEE = "Committee"
SECURITY_OFFICER = "Security officer"


def reviewers_named() -> bool:
    return bool(current_app.config.get("REVIEWERS_NAMED_TO_APPLICANT"))


def committee_roles(submission_id: int) -> dict[int, str]:
    """User id -> the role the team knows them by, for everyone ever assigned to the application."""
    roles: dict[int, str] = {}
    reviewers = 0
    for reviewer_id, kind in db.session.execute(
        select(Assignment.reviewer_id, Assignment.kind)
        .where(Assignment.submission_id == submission_id).order_by(Assignment.id)
    ):
        if reviewer_id in roles:
            continue
        if kind == "security":
            roles[reviewer_id] = SECURITY_OFFICER
        elif kind in EXTRA_REVIEW_KINDS:
            roles[reviewer_id] = ROLES[EXTRA_REVIEW_KINDS[kind]]
        else:
            reviewers += 1
            roles[reviewer_id] = f"Reviewer {reviewers}"
    return roles


def as_team_sees(role: str | None, name: str, *, named: bool) -> str:
    """A committee member as the team reads them: the role ("Committee" without an assignment), and the name
    only where the institution names reviewers."""
    role = role or COMMITTEE
    return f"{role}: {name}" if named and name else role


def as_team_reads(submission: Submission, comments: Sequence[Any]) -> list[Any]:
    """Comment rows (with author_id and author_name) as the team reads them: the committee's authors by role,
    the team's own by name."""
    roles, named, team = committee_roles(submission.id), reviewers_named(), _team_user_ids(submission)
    return [comment if comment.author_id in team else SimpleNamespace(**{
        **comment._asdict(), "author_name": as_team_sees(roles.get(comment.author_id), comment.author_name,
                                                         named=named)})
        for comment in comments]


def _team_user_ids(submission: Submission) -> set[int]:
    emails = [member.email for member in submission.joined_members]
    team = {submission.owner_id}
    if emails:
        team.update(db.session.scalars(select(User.id).where(User.email.in_(emails))))
    return team


class TeamView(NamedTuple):
    label: str
    named: bool


def as_team_sees_user(user: User, submission_id: int) -> TeamView:
    """How the team will read what this committee member writes to them, said beside the forms they write it in."""
    named = reviewers_named()
    return TeamView(as_team_sees(committee_roles(submission_id).get(user.id), user.name, named=named), named)

"""Who may see and change an application on the applicant's side: pure predicates over (user, application).

They read only the application and its team (`Submission.members`, loaded with every page's application), never
the database. Only members who accepted their invitation count: a pending one grants nothing. The application's
state is not theirs to judge: a submitted application refuses changes with 409, whoever asks.
"""
from __future__ import annotations

from typing import Any

from app.core.permissions import COMMITTEE_ROLES
from app.submissions.models import Submission, SubmissionMember

# The team roles that may change the answers, reply to the committee and report conditions met; viewers read.
EDITING_ROLES = frozenset({"owner", "editor"})


def team_role(user: Any, submission: Submission) -> str | None:
    """'owner', 'editor', 'viewer' or None: the user's place in the application's team."""
    if not user.is_authenticated:
        return None
    if submission.owner_id == user.id:
        return "owner"
    for member in submission.joined_members:
        if member.email == user.email:
            return member.role
    return None


def is_team_member(user: Any, submission: Submission) -> bool:
    return team_role(user, submission) is not None


def can_see_application(user: Any, submission: Submission) -> bool:
    """Visibility: its team and the committee's staff know the application exists; to anyone else every URL
    about it answers 404, like a missing one, so ids cannot be probed."""
    return is_team_member(user, submission) or user.has_any_role(*COMMITTEE_ROLES)


def can_read_application(user: Any, submission: Submission) -> bool:
    """The applicant's pages (task list, answers, team, decision and comments): the team only. Staff read an
    application through the committee's pages."""
    return is_team_member(user, submission)


def can_edit_answers(user: Any, submission: Submission) -> bool:
    return team_role(user, submission) in EDITING_ROLES


def is_owner(user: Any, submission: Submission) -> bool:
    """Submit, withdraw and manage the team: the owner alone."""
    return team_role(user, submission) == "owner"



def can_answer_invitation(user: Any, member: SubmissionMember) -> bool:
    """Accept or decline a pending invitation: the person it is addressed to, and nobody else (to anyone else it
    answers 404, like a missing one)."""
    return user.is_authenticated and member.email == user.email and not member.joined


def recusing_roles(user: Any) -> list[str]:
    """The committee and office roles a user holds: joining an application's team recuses them in these, as
    nobody reviews, triages or decides on their own application."""
    return sorted(role for role in COMMITTEE_ROLES if user.has_role(role))

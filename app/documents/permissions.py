"""Who may follow and retry the rendering of a signed assessment: a render job follows its application."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.core.permissions import OVERSIGHT_ROLES
from app.documents.models import RenderJob
from app.submissions.permissions import can_see_application, is_team_member


@dataclass(frozen=True)
class JobOfApplication:
    """A render job with the application (and its team) it renders, which says who may see it."""

    job: RenderJob
    # The application, as submissions' model: documents names no model of the features that ask for documents.
    submission: Any


def job_visible(user: Any, target: JobOfApplication) -> bool:
    return can_see_application(user, target.submission)


def can_follow_job(user: Any, target: JobOfApplication) -> bool:
    """Its progress page: the application's team, and the chair and the office (who decided or confirmed)."""
    return is_team_member(user, target.submission) or user.has_any_role(*OVERSIGHT_ROLES)


def can_retry_job(user: Any, target: JobOfApplication) -> bool:
    """Run a failed rendering again, and read why it failed: the chair and the office."""
    return user.has_any_role(*OVERSIGHT_ROLES)

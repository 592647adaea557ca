"""Render jobs follow their application: its team follows the progress, the chair and office retry."""
from __future__ import annotations

from app.documents.models import RenderJob
from app.documents.permissions import JobOfApplication, can_follow_job, can_retry_job, job_visible
from tests.helpers import unsaved_application, unsaved_user


def test_a_render_job_follows_its_application():
    owner, viewer, outsider = unsaved_user(), unsaved_user(), unsaved_user()
    reviewer, chair = unsaved_user("reviewer"), unsaved_user("chair")
    submission = unsaved_application(owner, members={viewer: "viewer"})
    target = JobOfApplication(RenderJob(submission_id=submission.id, round_number=1, kind="decision"), submission)
    assert not job_visible(outsider, target)
    assert job_visible(reviewer, target) and not can_follow_job(reviewer, target)
    assert can_follow_job(viewer, target) and not can_retry_job(viewer, target)
    assert can_follow_job(chair, target) and can_retry_job(chair, target)

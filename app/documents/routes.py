"""Render-job progress: a page that polls a JSON status (static/js/render-status.js), and a retry button."""
from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, url_for
from flask_login import current_user

from app.core.permissions import allowed
from app.documents import services
from app.documents.models import DOCUMENT_KINDS
from app.documents.permissions import JobOfApplication, can_follow_job, can_retry_job
from app.documents.services import JOB
from app.submissions.permissions import is_team_member

bp = Blueprint("documents", __name__, url_prefix="/documents", template_folder="templates")


@bp.route("/jobs/<int:job_id>")
@allowed(can_follow_job, load=JOB)
def job(target: JobOfApplication):
    render_job = target.job
    submission = target.submission
    # The team goes back to its task list; the chair and the office to the committee's page.
    back = "submissions.task_list" if is_team_member(current_user, submission) else "reviews.application"
    return render_template(
        "documents/job.html", job=render_job, status=services.job_status(render_job), submission=submission,
        kind_label=DOCUMENT_KINDS[render_job.kind], can_retry=can_retry_job(current_user, target),
        back_url=url_for(back, submission_id=submission.id), page_title="Signed assessment",
    )


@bp.route("/jobs/<int:job_id>/status")
@allowed(can_follow_job, load=JOB)
def job_status(target: JobOfApplication):
    render_job = target.job
    data = services.job_status(render_job)
    if render_job.document_id:
        data["download_url"] = url_for("archive.download", document_id=render_job.document_id)
    if not can_retry_job(current_user, target):
        told = "The document could not be produced yet; the research office has been told."
        data["error"] = told if data["error"] else None
    return jsonify(data)


@bp.route("/jobs/<int:job_id>/retry", methods=["POST"])
@allowed(can_retry_job, load=JOB)
def retry(target: JobOfApplication):
    render_job = target.job
    if services.job_status(render_job)["retryable"]:
        services.retry_job(render_job.id, current_user.id, deferred=True)
        flash("The document is being produced again.", "info")
    return redirect(url_for(".job", job_id=render_job.id))

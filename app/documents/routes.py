"""Render-job progress: a page that polls a JSON status (static/js/render-status.js), and a retry button."""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, url_for
from flask_login import current_user, login_required

from app.documents import services
from app.documents.models import DOCUMENT_KINDS, RenderJob
from app.extensions import db
from app.submissions.models import Submission
from app.submissions.services import access_level

bp = Blueprint("documents", __name__, url_prefix="/documents", template_folder="templates")

OVERSIGHT_ROLES = ("chair", "coordinator", "admin")


def _load_job(job_id: int) -> RenderJob:
    job = db.session.get(RenderJob, job_id)
    if job is None:
        abort(404)
    submission = db.session.get_one(Submission, job.submission_id)
    if not (current_user.has_any_role(*OVERSIGHT_ROLES) or access_level(current_user, submission)):
        abort(403)
    return job


@bp.route("/jobs/<int:job_id>")
@login_required
def job(job_id: int):
    render_job = _load_job(job_id)
    submission = db.session.get(Submission, render_job.submission_id)
    return render_template(
        "documents/job.html", job=render_job, status=services.job_status(render_job), submission=submission,
        kind_label=DOCUMENT_KINDS[render_job.kind], can_retry=current_user.has_any_role(*OVERSIGHT_ROLES),
        page_title="Signed assessment",
    )


@bp.route("/jobs/<int:job_id>/status")
@login_required
def job_status(job_id: int):
    render_job = _load_job(job_id)
    data = services.job_status(render_job)
    if render_job.document_id:
        data["download_url"] = url_for("archive.download", document_id=render_job.document_id)
    if not current_user.has_any_role(*OVERSIGHT_ROLES):
        told = "The document could not be produced yet; the research office has been told."
        data["error"] = told if data["error"] else None
    return jsonify(data)


@bp.route("/jobs/<int:job_id>/retry", methods=["POST"])
@login_required
def retry(job_id: int):
    render_job = _load_job(job_id)
    if not current_user.has_any_role(*OVERSIGHT_ROLES):
        abort(403)
    if services.job_status(render_job)["retryable"]:
        services.retry_job(render_job.id, current_user.id)
        flash("The document is being produced again.", "info")
    return redirect(url_for(".job", job_id=render_job.id))

"""Archive pages. Search and export: the research office. Download: the office, or the application's team.
Verification: public, limited per address (archive.services.verification)."""
from __future__ import annotations

import time
from datetime import date

from flask import Blueprint, Response, abort, current_app, render_template, request, stream_with_context
from flask_limiter import RateLimitExceeded
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

from app.archive.forms import ExportForm
from app.archive.permissions import can_read_document, can_read_documents, can_search_archive
from app.archive.services import archive as archive_services
from app.archive.services.archive import DOCUMENT
from app.archive.services.verification import (
    VerificationRefused,
    document_by_uid,
    record_refusal,
    record_verification,
    shown_document,
    verify_pdf_bytes,
)
from app.core.errors import render_error
from app.core.permissions import allowed, public
from app.core.storage import NotFound, get_storage
from app.documents.models import DOCUMENT_KINDS, Document
from app.documents.services import document_filename, documents_for, unfinished_jobs
from app.extensions import csrf, limiter
from app.submissions.models import Submission
from app.submissions.services import APPLICATION

bp = Blueprint("archive", __name__, template_folder="templates")

def _parse_date(name: str) -> date | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


@bp.route("/archive")
@allowed(can_search_archive)
def search():
    filters = archive_services.SearchFilters(
        reference=(request.args.get("reference") or "").strip()[:64],
        title=(request.args.get("title") or "").strip()[:200],
        applicant=(request.args.get("applicant") or "").strip()[:200],
        outcome=(request.args.get("outcome") or "").strip(),
        date_from=_parse_date("date_from"),
        date_to=_parse_date("date_to"),
    )
    page, more = archive_services.search_page(filters)
    args = {key: value for key, value in request.args.items() if key != "page" and value}
    decisions = archive_services.decisions_for(page.items)
    rows = [(d, d.submission, d.submission.owner,
             archive_services.document_outcome(d, decisions.get((d.submission_id, d.round_number))))
            for d in page.items]
    return render_template(
        "archive/search.html", page=page, more=more, rows=rows, filters=filters, args=args,
        outcomes=archive_services.DOCUMENT_OUTCOMES,
        kinds=DOCUMENT_KINDS, page_title="Archive",
    )


@bp.route("/archive/export", methods=["GET", "POST"])
@allowed(can_search_archive)
def export():
    """The form choosing what to export (opened from the archive with its filters filled in), and the bag it
    sends: every signed assessment archived in a date range, of one outcome or kind if chosen, as a BagIt zip."""
    if request.method == "GET":
        form = ExportForm(data={"date_from": _parse_date("date_from"), "date_to": _parse_date("date_to"),
                                "outcome": (request.args.get("outcome") or "").strip()[:32],
                                "kind": (request.args.get("kind") or "").strip()[:32]})
    else:
        form = ExportForm()
    if not form.validate_on_submit():
        return render_template("archive/export.html", form=form, page_title="Export signed assessments"), (
            422 if form.errors else 200)
    choice = form.chosen()
    documents = archive_services.export_documents(choice)
    name = archive_services.bag_name(choice.date_from, choice.date_to)
    # Plain dicts: the generator only reads storage, so it needs no open session.
    stream = archive_services.stream_bag(
        documents, choice, organisation=current_app.config.get("SIGNING_ORGANISATION", "Crucible"),
        base_url=current_app.config["BASE_URL"],
    )
    archive_services.record_export(current_user, name, choice, documents)
    return Response(
        stream_with_context(stream), mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}.zip"'},
    )


@bp.route("/archive/documents/<int:document_id>/download")
@allowed(can_read_document, load=DOCUMENT)
def download(document: Document):
    try:
        chunks = get_storage().iter_chunks(document.storage_key)
        first = next(chunks, b"")
    except NotFound:
        current_app.logger.error("archived file missing for document %s (%s)", document.id, document.storage_key)
        abort(500)

    def body():
        yield first
        yield from chunks

    return Response(
        body(), mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{document_filename(document)}"',
            "Content-Length": str(document.size),
            "X-Content-SHA256": document.sha256,
        },
    )


@bp.route("/applications/<int:submission_id>/documents")
@allowed(can_read_documents, load=APPLICATION)
def application_documents(submission: Submission):
    documents = documents_for(submission.id)
    decisions = archive_services.decisions_for(documents)
    rows = [(d, archive_services.document_outcome(d, decisions.get((d.submission_id, d.round_number))))
            for d in documents]
    return render_template(
        "archive/application_documents.html", submission=submission, rows=rows,
        jobs=unfinished_jobs(submission.id), kinds=DOCUMENT_KINDS,
        page_title=f"Signed assessments – {submission.reference or submission.title}",
    )


UNKNOWN_DOCUMENT = ("No signed assessment in this archive has that document identifier. Check it against the one "
                    "printed in the PDF, under “Document identifier”.")


def _verify_limit() -> str:
    return current_app.config.get("VERIFY_RATE_LIMIT", "20 per hour")


def _lookup_limit() -> str:
    return current_app.config.get("VERIFY_LOOKUP_RATE_LIMIT", "60 per hour")


def _not_a_lookup() -> bool:
    """The bare page (the forms) costs nothing to show: only looking a document up counts against the limit."""
    return not request.args.get("document")


def _signed_in_user_key() -> str:
    # An anonymous request is keyed by its address, like the per-address limit.
    return f"user:{current_user.id}" if current_user.is_authenticated else f"address:{request.remote_addr}"


@bp.errorhandler(RateLimitExceeded)
def too_many_verifications(error: RateLimitExceeded):
    """A verification limit hit: 429, saying what the limit is and when to come back."""
    current = limiter.current_limit
    wait = max(1, int(current.reset_at - time.time())) if current else 60
    minutes = max(1, round(wait / 60))
    item = error.limit.limit
    unit = item.GRANULARITY.name
    per = unit if item.multiples == 1 else f"{item.multiples} {unit}s"
    response = current_app.make_response(render_error(429, (
        f"Verification is limited to {item.amount} checks per {per} from one address or account, so that it stays "
        f"available to everyone. Try again in about {minutes} minute{'' if minutes == 1 else 's'}."
    )))
    response.headers["Retry-After"] = str(wait)
    return response


@bp.route("/verify", methods=["GET", "POST"])
@csrf.exempt  # checked below, after this view has raised the body-size limit (the global check reads the form first)
# Each upload costs a child process up to VERIFY_CPU_SECONDS: limited per address and per signed-in user.
@limiter.limit(_verify_limit, methods=["POST"], key_func=_signed_in_user_key, scope="verify-user")
@limiter.limit(_verify_limit, methods=["POST"], scope="verify-address")
# Looking a document up by its identifier: limited per address.
@limiter.limit(_lookup_limit, methods=["GET"], scope="verify-lookup", exempt_when=_not_a_lookup)
@public("verification: the link printed in every signed assessment is for readers without an account")
def verify():
    expected = None
    uid = (request.args.get("document") or "").strip()[:36]
    if uid:
        expected = document_by_uid(uid)
        if expected is None:
            return render_error(404, UNKNOWN_DOCUMENT)
    result = None
    error = None
    status = 400
    if request.method == "POST":
        # This page alone accepts larger bodies than the app-wide MAX_CONTENT_LENGTH; beyond MAX_UPLOAD: 413.
        request.max_content_length = current_app.config["MAX_UPLOAD"] + 64 * 1024
        try:
            validate_csrf(request.form.get("csrf_token"))
        except ValidationError:
            abort(400)
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            error = "Choose the PDF file to check."
        else:
            data = upload.read(current_app.config["MAX_UPLOAD"] + 1)
            if len(data) > current_app.config["MAX_UPLOAD"]:
                abort(413)
            try:
                result = verify_pdf_bytes(data)
            except VerificationRefused as refused:
                error, status = str(refused), 422
                record_refusal(data, refused, current_user)
        if result is not None:
            record_verification(result, current_user)
    viewer = current_user._get_current_object()
    return render_template(
        "archive/verify.html", result=result, error=error, expected=expected,
        looked_up=shown_document(viewer, expected) if expected else None,
        found=shown_document(viewer, result.document) if result and result.document else None,
        max_upload_mb=current_app.config["MAX_UPLOAD"] // (1024 * 1024), page_title="Verify a signed assessment",
    ), (status if error else 200)

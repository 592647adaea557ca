"""The research office's pages: the queue, and an application's triage (route, reviewers, start of review)."""
from __future__ import annotations

from datetime import date
from typing import Any, NamedTuple

from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user

from app.core import lists
from app.core.forms import ConfirmForm, choices
from app.core.permissions import allowed
from app.reviews import services
from app.reviews.forms import AssignForm, ConditionSendBackForm, QueueFilterForm, RouteForm
from app.reviews.models import ASSIGNMENT_KINDS, Assignment
from app.reviews.permissions import can_open_queue, can_triage, can_unassign
from app.reviews.services import ASSIGNMENT
from app.reviews.web import bp, flash_back_to, if_rule_broken, table_state, wants_fragment
from app.submissions import workflow
from app.submissions.models import Submission
from app.submissions.services import APPLICATION


@bp.route("/review/queue")
@allowed(can_open_queue)
def queue():
    form, table, filters = _queue_filters()
    today = date.today()
    rows, total, more = services.coordinator_queue(filters, today)
    pages = lists.page_count(total, more, filters.per_page, filters.page)
    template = "reviews/_queue_results.html" if wants_fragment() else "reviews/queue.html"
    counts = [] if wants_fragment() else services.work_counts(today)
    return render_template(template, form=form, rows=rows, total=total, more=more, page=filters.page, pages=pages,
                           table=table, today=today, counts=counts, flags=services.QUEUE_FLAGS,
                           csv_url=_csv_url(),
                           page_title="Applications queue")


def _csv_url() -> str:
    """The CSV of the list as filtered and sorted on the page."""
    args: dict[str, Any] = {k: v for k, v in request.args.items() if v and k != "page"}
    return url_for(".queue_csv", **args)


@bp.route("/review/queue.csv")
@allowed(can_open_queue)
def queue_csv():
    """The queue as filtered and sorted, every matching application (not one page)."""
    _form, _table, filters = _queue_filters()
    return Response(stream_with_context(services.queue_csv(filters, date.today())), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="crucible-queue.csv"'})


def _queue_filters():
    """The queue's filter form, sort and page from the query string, and the filters they make."""
    form = QueueFilterForm(request.args)
    table = table_state(services.QUEUE_SORTS, "waiting")
    filters = services.QueueFilters(
        state=form.state.data or "open", tier=form.tier.data or "", route=form.route.data or "",
        flag=form.flag.data or "", search=(form.search.data or "")[:200], page=table["page"], sort=table["sort"],
        direction=table["direction"],
    )
    return form, table, filters


@bp.route("/review/applications/<int:submission_id>/triage")
@allowed(can_triage, load=APPLICATION)
def triage(submission: Submission):
    return render_triage(submission)


def render_triage(submission, route_form=None, assign_form=None, security_form=None, send_back_form=None,
                  send_back_id=None, status=200, chair=None, extra_form=None, confirm_start=None):
    """The page; a refused form is drawn again with what was typed and the message beside the field (a refused
    sending back: `send_back_form`, for condition `send_back_id`; a refused extra reviewer's: `extra_form`);
    `chair`: the chair about to be assigned as a reviewer, whose assignment is confirmed first; `confirm_start`:
    the extra reviewers still missing when the review is started, which the office confirms."""
    route_form = route_form or RouteForm(route=submission.route)
    assign_form = assign_form or AssignForm(kind="reviewer")
    candidates = services.reviewer_candidates(submission, "reviewer")
    assign_form.reviewer_id.choices = _pool_choices(candidates, "reviewer")
    security_form = security_form or AssignForm(kind="security", prefix="security")
    security_candidates = services.reviewer_candidates(submission, "security")
    security_form.reviewer_id.choices = _pool_choices(security_candidates, "security")
    return render_template(
        "reviews/triage.html", submission=submission, review=services.under_review_of(submission),
        route_form=route_form, assign_form=assign_form, candidates=candidates, chair=chair,
        security_form=security_form, security_candidates=security_candidates,
        assignments=services.assignments_of(submission), recused_members=services.recused_team_members(submission),
        conditions=services.conditions_of(submission),
        missing=services.review_requirements(submission) if submission.state == workflow.State.SUBMITTED else [],
        confirm=ConfirmForm(), send_back_form=send_back_form or ConditionSendBackForm(), send_back_id=send_back_id,
        can_assign=workflow.can("assign", submission.state), page_title=f"Triage {submission.reference}",
        extra_pools=_extra_pools(submission, extra_form), confirm_start=confirm_start,
    ), status


class ExtraPool(NamedTuple):
    """A needed extra reviewer on the triage page: why, who is assigned, and the form and pool to assign from."""
    need: services.ExtraNeed
    assigned: list[Assignment]
    form: AssignForm
    candidates: list[services.Candidate]


def _extra_pools(submission: Submission, refused: AssignForm | None) -> list[ExtraPool]:
    """One pool per extra reviewer the round needs, each form under its kind's prefix (`<kind>-reviewer_id`)."""
    current = [a for a in services.active_assignments(submission) if a.coi_status != "declared"]
    pools = []
    for need in services.extra_reviewers_needed(submission):
        form = refused if refused is not None and refused.kind.data == need.kind else \
            AssignForm(kind=need.kind, prefix=need.kind)
        candidates = services.reviewer_candidates(submission, need.kind)
        form.reviewer_id.choices = _pool_choices(candidates, need.kind, need.label)
        pools.append(ExtraPool(need, [a for a in current if a.kind == need.kind], form, candidates))
    return pools


def _pool_choices(candidates: list[services.Candidate], kind: str, label: str = ""):
    """The people who may be assigned, after a placeholder: without one, pressing Assign without choosing would
    assign whoever happens to be listed first."""
    placeholder = "Choose a security officer" if kind == "security" else \
        f"Choose a {label[:1].lower()}{label[1:]}" if label else "Choose a reviewer"
    return choices([("", placeholder), *((c.user.id, c.user.name) for c in candidates)])


def _back_to_triage(submission: Submission):
    return flash_back_to(".triage", submission_id=submission.id)


@bp.post("/review/applications/<int:submission_id>/route")
@allowed(can_triage, load=APPLICATION)
def override_route(submission: Submission):
    form = RouteForm()
    if not form.validate_on_submit():
        return render_triage(submission, route_form=form, status=422)

    def show(message: str):
        form.reason.errors = [message]
        return render_triage(submission, route_form=form, status=422)

    if_rule_broken(show)
    services.override_route(submission, current_user, form.route.data, form.reason.data)
    flash(f"Route changed to {workflow.ROUTES[form.route.data].lower()}.", "success")
    return redirect(url_for(".triage", submission_id=submission.id))


@bp.post("/review/applications/<int:submission_id>/assign")
@allowed(can_triage, load=APPLICATION)
def assign(submission: Submission):
    kind = _posted_kind()
    form = AssignForm() if kind == "reviewer" else AssignForm(prefix=kind)
    candidates = services.reviewer_candidates(submission, kind)
    form.reviewer_id.choices = _pool_choices(candidates, kind)

    def show_form():
        drawn = {"reviewer": "assign_form", "security": "security_form"}.get(kind, "extra_form")
        return render_triage(submission, **{drawn: form}, status=422)

    if not form.validate_on_submit():
        return show_form()

    def show(message: str):
        form.reviewer_id.errors = [message]
        return show_form()

    # Sent only by the confirmation's own button: never carried over into the form drawn again.
    confirmed = request.form.get("confirm_chair") == "yes"
    # Someone outside the pool (on the team, already asked) is refused by the service's rule below, not asked about.
    in_pool = any(c.user.id == form.reviewer_id.data for c in candidates)
    chair = None if confirmed or not in_pool else services.chair_to_confirm(form.reviewer_id.data, kind)
    if chair is not None:
        return render_triage(submission, assign_form=form, chair=chair)
    if_rule_broken(show)
    assignment = services.assign(submission, current_user, form.reviewer_id.data, kind=kind, due_on=form.due_on.data,
                                 chair_confirmed=confirmed)
    flash(f"{assignment.reviewer.name} assigned.", "success")
    return redirect(url_for(".triage", submission_id=submission.id))


def _posted_kind() -> str:
    """The kind of assignment the form asks for: every form but the reviewers' names its fields `<kind>-...`."""
    return next((kind for kind in ASSIGNMENT_KINDS if kind != "reviewer" and request.form.get(f"{kind}-kind") == kind),
                "reviewer")


@bp.post("/review/assignments/<int:assignment_id>/unassign")
@allowed(can_unassign, load=ASSIGNMENT)
def unassign(assignment: Assignment):
    submission = assignment.submission
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if_rule_broken(_back_to_triage(submission))
    services.unassign(assignment, current_user)
    flash("Reviewer removed.", "success")
    return redirect(url_for(".triage", submission_id=submission.id))


@bp.post("/review/applications/<int:submission_id>/start")
@allowed(can_triage, load=APPLICATION)
def start_review(submission: Submission):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if submission.state == workflow.State.IN_REVIEW:
        flash("Review has started.", "success")  # a repeated click
        return redirect(url_for(".triage", submission_id=submission.id))
    confirmed = request.form.get("confirm_without_extras") == "yes"
    missing_extras = [] if confirmed else services.missing_extra_reviewers(submission)
    if missing_extras and not services.review_requirements(submission):
        return render_triage(submission, confirm_start=missing_extras)
    if_rule_broken(_back_to_triage(submission))
    services.start_review(submission, current_user, without_extras_confirmed=confirmed)
    flash("Review has started; the reviewers have been told.", "success")
    return redirect(url_for(".triage", submission_id=submission.id))

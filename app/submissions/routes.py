"""Applicant pages: dashboard, task list, sections (with autosave), team, check answers, submit, withdraw,
deleting a draft never submitted, and answering invitations to a team."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.core import lists
from app.core.charts import chart
from app.core.errors import render_error
from app.core.forms import ConfirmForm
from app.core.models import utcnow
from app.core.permissions import ROLES, allowed, signed_in
from app.extensions import db
from app.questionnaires.answers import answer_view, section_status
from app.questionnaires.conditions import visible_question_ids
from app.questionnaires.schema import CATEGORY_LABELS, RECORDS_TYPE
from app.questionnaires.scoring import score
from app.submissions import committee_comments, services, workflow
from app.submissions import invitations as invitation_services
from app.submissions.footprint_presenter import statement_view
from app.submissions.forms import InviteForm, NewSubmissionForm, WithdrawForm
from app.submissions.invitations import INVITATION, RecusalNotConfirmed
from app.submissions.models import Submission, SubmissionMember
from app.submissions.permissions import (
    can_answer_invitation,
    can_edit_answers,
    can_read_application,
    is_owner,
    recusing_roles,
    team_role,
)
from app.submissions.presenters import dropped_answers, next_steps, section_context, task_rows
from app.submissions.services import APPLICATION

bp = Blueprint("submissions", __name__, template_folder="templates")


@bp.record_once
def _template_globals(state: BlueprintSetupState) -> None:
    state.app.jinja_env.globals["base_prefix"] = services.BASE_FIELD_PREFIX
    # Every page may name a state or a route; globals, so that imported macros (which see no page's context)
    # see them too.
    state.app.jinja_env.globals["state_labels"] = workflow.STATE_LABELS
    state.app.jinja_env.globals["routes"] = workflow.ROUTES


@bp.app_context_processor
def _invitations_waiting() -> dict[str, Any]:
    """The nav and the dashboard say when invitations wait; asked only by a page that shows it."""
    def count() -> int:
        if "invitations_waiting" not in g:  # the nav and the dashboard both ask: one query per request
            g.invitations_waiting = (invitation_services.pending_invitation_count(current_user)
                                     if current_user.is_authenticated else 0)
        return int(g.invitations_waiting)
    return {"invitations_waiting": count}


def _editable(submission: Submission) -> bool:
    return workflow.State(submission.state) in workflow.EDITABLE_STATES


def _questionnaire_with_section(submission: Submission, section_id: str):
    questionnaire = services.questionnaire_for(submission)
    try:
        questionnaire.section(section_id)
    except KeyError:
        abort(404)
    return questionnaire


# ---------------------------------------------------------------- refusals


def refusal_message(error: workflow.TransitionError) -> str:
    if error.action == "edit" and error.state in (workflow.State.SUBMITTED, workflow.State.IN_REVIEW):
        return ("This application has been submitted, so its answers cannot be changed until it comes back for "
                "revision.")
    return str(error)


@bp.errorhandler(workflow.TransitionError)
def refused_in_this_state(error: workflow.TransitionError) -> ResponseReturnValue:
    """A step the application's state refuses (an edit after submission, a second withdrawal) answers 409 with
    the reason; the autosave's script reads it as JSON and shows it beside the form, where the typed answers
    stay."""
    db.session.rollback()
    if request.endpoint == "submissions.autosave":
        return jsonify(status="locked", message=refusal_message(error)), 409
    return render_error(409, refusal_message(error))


@bp.route("/")
@allowed(signed_in)
def dashboard():
    page = max(1, request.args.get("page", 1, type=int) or 1)
    rows, total, more = services.submissions_for(current_user, page)
    return render_template("submissions/dashboard.html", rows=rows, total=total, more=more, page=page,
                           pages=lists.page_count(total, more, services.DASHBOARD_PER_PAGE, page),
                           pager={"link": lambda page: url_for("submissions.dashboard", page=page)},
                           page_title="My applications")


@bp.route("/applications/new", methods=["GET", "POST"])
@allowed(signed_in)
def new():
    form = NewSubmissionForm()
    if form.validate_on_submit():
        submission = services.create_submission(current_user, form.title.data)
        flash("Application started. Work through the sections in any order; answers save as you go.", "success")
        return redirect(url_for(".task_list", submission_id=submission.id))
    return render_template("submissions/new.html", form=form, page_title="Start a new application")


@bp.route("/applications/<int:submission_id>")
@allowed(can_read_application, load=APPLICATION)
def task_list(submission: Submission):
    questionnaire = services.questionnaire_for(submission)
    rows = services.stored_answers(submission)
    tasks = task_rows(questionnaire, rows)
    completed = sum(1 for task in tasks if task["status"] == "completed")
    return render_template(
        "submissions/task_list.html",
        submission=submission,
        tasks=tasks,
        completed=completed,
        open_comments=committee_comments.open_per_section(questionnaire,
                                                          committee_comments.while_revising(submission)),
        level=team_role(current_user, submission),
        editable=workflow.State(submission.state) in workflow.EDITABLE_STATES,
        newer_version=services.newer_questionnaire(submission),
        next_steps=next_steps(submission, date.today()),
        office_email=current_app.config["RESEARCH_OFFICE_EMAIL"],
        form=ConfirmForm(),
        page_title=submission.title,
    )


@bp.get("/applications/<int:submission_id>/sections/<section_id>")
@allowed(can_read_application, load=APPLICATION)
def section(submission: Submission, section_id: str):
    questionnaire = _questionnaire_with_section(submission, section_id)
    if not (can_edit_answers(current_user, submission) and _editable(submission)):
        return redirect(url_for(".check_answers", submission_id=submission.id, _anchor=f"section-{section_id}"))
    return _render_section(submission, questionnaire, section_id, add_stage=bool(request.args.get("add_stage")))


@bp.post("/applications/<int:submission_id>/sections/<section_id>")
@allowed(can_edit_answers, load=APPLICATION)
def save_section(submission: Submission, section_id: str):
    questionnaire = _questionnaire_with_section(submission, section_id)
    form = request.form.to_dict(flat=False)
    continuing = "continue" in request.form
    # "Add another stage" (footprint stages, without JavaScript): save, then show one more empty stage. A records
    # table always ends with a blank row, so its "Add another row" saves and shows the table with a fresh one.
    adding = next((key.removesuffix("-add") for key in request.form if key.endswith("-add")), None)
    adding_stage = adding is not None
    removing = next((key.removesuffix("-remove") for key in request.form if key.endswith("-remove")), None)
    result = services.save_section_retrying(submission, section_id, form, current_user, check_required=continuing)
    if result.conflicts:
        return _render_conflict(submission, questionnaire, section_id, form, result)
    for qid in result.ignored_hidden:
        flash(f"Your answer to “{questionnaire.question(qid).label}” was not saved, because the question "
              "does not apply given your other answers.", "warning")
    if result.errors:
        return _render_section(submission, questionnaire, section_id, result=result, add_stage=adding_stage)
    if adding is not None and _is_records(questionnaire, adding):
        return redirect(url_for(".section", submission_id=submission.id, section_id=section_id,
                                _anchor=f"{adding}-rows-end"))
    if adding_stage:
        return redirect(url_for(".section", submission_id=submission.id, section_id=section_id, add_stage=1,
                                _anchor="footprint-stages-end"))
    if removing is not None and _is_records(questionnaire, removing):
        flash("Your answers have been saved.", "success")
        return redirect(url_for(".section", submission_id=submission.id, section_id=section_id,
                                _anchor=f"q-{removing}"))
    if continuing:
        flash(f"Section {section_id} saved.", "success")
        following = _next_section(questionnaire, section_id)
        if following:
            return redirect(url_for(".section", submission_id=submission.id, section_id=following))
        return redirect(url_for(".check_answers", submission_id=submission.id))
    flash("Your answers have been saved.", "success")
    return redirect(url_for(".section", submission_id=submission.id, section_id=section_id))


@bp.post("/applications/<int:submission_id>/sections/<section_id>/autosave")
@allowed(can_edit_answers, load=APPLICATION)
def autosave(submission: Submission, section_id: str):
    questionnaire = _questionnaire_with_section(submission, section_id)
    form = request.form.to_dict(flat=False)
    result = services.save_section_retrying(submission, section_id, form, current_user, check_required=False,
                                            autosave=True)
    if result.section_status is None:  # nothing saved (or a conflict): report the section as it is stored
        rows = services.stored_answers(submission)
        result.section_status = section_status(questionnaire, section_id, services.answer_values(rows),
                                               services.invalid_ids(rows))
    body: dict[str, Any] = {
        "status": "conflict" if result.conflicts else "saved",
        "saved": result.saved,
        "errors": result.errors,
        "conflicts": [c.question_id for c in result.conflicts],
        "changed_elsewhere": result.changed_elsewhere,
        "saved_at": utcnow().strftime("%H:%M:%S"),
        # New base tokens only for answers whose stored value is what this page shows.
        "bases": result.bases,
        "section_status": result.section_status,
    }
    return jsonify(body), 409 if result.conflicts else 200


@bp.post("/applications/<int:submission_id>/sections/<section_id>/resolve")
@allowed(can_edit_answers, load=APPLICATION)
def resolve(submission: Submission, section_id: str):
    """The conflict page's answer: for each conflicting question, keep mine or keep theirs."""
    questionnaire = _questionnaire_with_section(submission, section_id)
    form = request.form.to_dict(flat=False)
    for key in list(form):
        if key.startswith("__choice__"):
            qid = key.removeprefix("__choice__")
            choice = form.pop(key)[0]
            if choice == "theirs":
                form.pop(qid, None)
                form.pop(services.BASE_FIELD_PREFIX + qid, None)
    result = services.save_section(submission, section_id, form, current_user, check_required=False)
    if result.conflicts:
        return _render_conflict(submission, questionnaire, section_id, form, result)
    flash("Your choices have been saved.", "success")
    return redirect(url_for(".section", submission_id=submission.id, section_id=section_id))


def _render_section(submission, questionnaire, section_id, result: services.SaveResult | None = None,
                    add_stage: bool = False):
    context = section_context(submission, questionnaire, section_id, services.stored_answers(submission), result,
                              add_stage=add_stage)
    return render_template("submissions/section.html", submission=submission, **context,
                           threads=committee_comments.while_revising(submission),
                           page_title=context["section"].title)


def _render_conflict(submission, questionnaire, section_id, form, result: services.SaveResult):
    rows = services.stored_answers(submission)
    conflicts = []
    for conflict in result.conflicts:
        question = questionnaire.question(conflict.question_id)
        conflicts.append({
            "question": question,
            "mine": _display(question, conflict.mine),
            "theirs": _display(question, conflict.theirs),
            "theirs_by": conflict.theirs_by,
            "theirs_at": conflict.theirs_at,
        })
    conflicting = {c.question_id for c in result.conflicts}
    carried = []
    for key, values in form.items():
        if key == "csrf_token" or key in ("save", "continue"):
            continue
        if key.startswith(services.BASE_FIELD_PREFIX):
            qid = key.removeprefix(services.BASE_FIELD_PREFIX)
            if qid in conflicting:
                # The resolution is made against the answer as it is now.
                values = [services.base_token(rows.get(qid))]
        for value in values:
            carried.append((key, value))
    return render_template(
        "submissions/conflict.html", submission=submission, section=questionnaire.section(section_id),
        conflicts=conflicts, carried=carried, page_title="Someone else changed these answers",
    ), 409


def _display(question, value) -> str:
    return str(answer_view(question, value, as_typed=True)["text"])


def _is_records(questionnaire, question_id: str) -> bool:
    return questionnaire.has_question(question_id) and questionnaire.question(question_id).type == RECORDS_TYPE


def _next_section(questionnaire, section_id: str) -> str | None:
    ids = [s.id for s in questionnaire.sections]
    index = ids.index(section_id)
    return ids[index + 1] if index + 1 < len(ids) else None


@bp.route("/applications/<int:submission_id>/check")
@allowed(can_read_application, load=APPLICATION)
def check_answers(submission: Submission):
    level = team_role(current_user, submission)
    questionnaire = services.questionnaire_for(submission)
    rows = services.stored_answers(submission)
    values = services.answer_values(rows)
    editable = _editable(submission)
    if editable:
        visible = visible_question_ids(questionnaire, values)
        profile = score(questionnaire, values).to_dict()
        problems = services.submission_problems(questionnaire, rows)
        statement = services.footprint_statement(questionnaire, services.visible_answers(questionnaire, values))
        frozen = None
    else:
        latest = services.latest_round(submission)
        values = dict(latest.answers) if latest else values
        visible = set(values)
        profile = latest.risk_profile if latest else score(questionnaire, values).to_dict()
        # The statement frozen at submit, as stored: never recomputed with newer footprint data.
        statement = latest.footprint if latest else None
        # The stage table too: the round's figures as submitted, as the statement and the signed PDF give them.
        frozen = (statement or {}) if latest else None
        problems = {}
    sections = []
    for section in questionnaire.sections:
        items = []
        for question in section.questions:
            if question.id not in visible:
                continue
            row = rows.get(question.id)
            raw_invalid = row.invalid_input if (editable and row is not None) else None
            items.append({
                "question": question,
                "answer": answer_view(question, raw_invalid if raw_invalid is not None else values.get(question.id),
                                      as_typed=True, footprint_statement=frozen),
                "problem": problems.get(question.id),
            })
        sections.append({"section": section, "items": items})
    return render_template(
        "submissions/check.html", submission=submission, sections=sections, profile=profile,
        risk_chart=risk_chart(profile),
        problems=problems, editable=editable and level != "viewer", level=level, form=ConfirmForm(),
        footprint=statement_view(statement), questionnaire=questionnaire,
        dropped=dropped_answers(questionnaire, rows) if editable else [],
        page_title="Check your answers" if editable else "Submitted answers",
    )


@bp.post("/applications/<int:submission_id>/move-questionnaire")
@allowed(is_owner, load=APPLICATION)
def move_questionnaire(submission: Submission):
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    # A draft already on the newest version, or no longer a draft, answers 409 through the blueprint's handler.
    moved = services.move_to_newer_questionnaire(submission, current_user)
    reanswer, dropped = moved.reanswer, moved.dropped
    again = f"; {len(reanswer)} changed {'question needs' if len(reanswer) == 1 else 'questions need'} your " \
            f"answer again ({', '.join(reanswer)})" if reanswer else ""
    kept = f" Version {moved.version} no longer asks {', '.join(dropped)}: your " \
           f"{'answer is' if len(dropped) == 1 else 'answers are'} kept with the draft and shown on check your " \
           "answers." if dropped else ""
    flash(f"Moved to questionnaire version {moved.version}. Your answers carried over{again}.{kept}", "success")
    return redirect(url_for(".task_list", submission_id=submission.id))


@bp.post("/applications/<int:submission_id>/submit")
@allowed(is_owner, load=APPLICATION)
def submit(submission: Submission):
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        round_ = services.submit(submission, current_user)
    except workflow.TransitionError:
        if submission.state not in (workflow.State.SUBMITTED, workflow.State.IN_REVIEW):
            raise
        # A second click of the same button: the first one already did the work.
        flash(f"Application submitted as {submission.reference} (round {submission.round_number}).", "success")
        return redirect(url_for(".task_list", submission_id=submission.id))
    except services.IncompleteSubmission as incomplete:
        flash(f"{len(incomplete.problems)} answers need attention before you can submit.", "error")
        return redirect(url_for(".check_answers", submission_id=submission.id))
    if round_.number > 1:
        flash(f"Round {round_.number} of {submission.reference} submitted. It is back in review now: the "
              "reviewers of the last round have been told and see what you changed, question by question. You "
              "will get an email when the committee decides.", "success")
    else:
        flash(f"Application submitted as {submission.reference} (round {round_.number}). The research office "
              "checks it and assigns reviewers; you will get an email when the review starts.", "success")
    return redirect(url_for(".task_list", submission_id=submission.id))


@bp.route("/applications/<int:submission_id>/withdraw", methods=["GET", "POST"])
@allowed(is_owner, load=APPLICATION)
def withdraw(submission: Submission):
    workflow.require("withdraw", submission.state)
    form = WithdrawForm()
    if form.validate_on_submit():
        services.withdraw(submission, current_user, form.reason.data or "")
        flash("The application has been withdrawn.", "success")
        return redirect(url_for(".dashboard"))
    return render_template("submissions/withdraw.html", submission=submission, form=form,
                           page_title="Withdraw this application")


@bp.route("/applications/<int:submission_id>/delete", methods=["GET", "POST"])
@allowed(is_owner, load=APPLICATION)
def delete_draft(submission: Submission):
    workflow.require("delete", submission.state)
    form = ConfirmForm()
    if form.validate_on_submit():
        title = submission.title
        services.delete_draft(submission, current_user)
        flash(f"The draft “{title}” has been deleted.", "success")
        return redirect(url_for(".dashboard"))
    return render_template("submissions/delete.html", submission=submission, form=form,
                           page_title="Delete this draft")


@bp.get("/applications/<int:submission_id>/team")
@allowed(can_read_application, load=APPLICATION)
def team(submission: Submission):
    return _render_team(submission, InviteForm())


@bp.post("/applications/<int:submission_id>/team")
@allowed(is_owner, load=APPLICATION)
def invite(submission: Submission):
    form = InviteForm()
    if form.validate_on_submit():
        try:
            services.invite_member(submission, current_user, form.email.data, form.role.data)
        except ValueError as error:
            form.email.errors = [str(error)]
        else:
            flash(f"{form.email.data} has been invited as {form.role.data}.", "success")
            return redirect(url_for(".team", submission_id=submission.id))
    return _render_team(submission, form)


def _render_team(submission: Submission, form: InviteForm):
    return render_template("submissions/team.html", submission=submission, form=form,
                           level=team_role(current_user, submission),
                           page_title="Project team")


@bp.route("/applications/<int:submission_id>/team/<int:member_id>/remove", methods=["GET", "POST"])
@allowed(is_owner, load=APPLICATION)
def remove_member(submission: Submission, member_id: int):
    """Asks first: removing someone takes their access away at once."""
    member = next((m for m in submission.members if m.id == member_id), None)
    if member is None:
        abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        services.remove_member(submission, current_user, member_id)
        flash(f"{member.email} has been removed from the team.", "success")
        return redirect(url_for(".team", submission_id=submission.id))
    return render_template("submissions/remove_member.html", submission=submission, member=member, form=form,
                           page_title="Remove a team member")


# ---------------------------------------------------------------- invitations


@bp.get("/invitations")
@allowed(signed_in)
def invitations():
    return render_template("submissions/invitations.html",
                           invitations=invitation_services.pending_invitations(current_user),
                           recusing=[ROLES[role] for role in recusing_roles(current_user)], form=ConfirmForm(),
                           page_title="Invitations")


@bp.post("/invitations/<int:member_id>/accept")
@allowed(can_answer_invitation, load=INVITATION)
def accept_invitation(invitation: SubmissionMember):
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    # Sent only by the warning page's own button.
    confirmed = request.form.get("confirm_recusal") == "yes"
    try:
        invitation_services.accept(invitation, current_user, recusal_confirmed=confirmed)
    except RecusalNotConfirmed as unconfirmed:
        return render_template("submissions/invitation_recusal.html", invitation=invitation, form=form,
                               roles=[ROLES[role] for role in unconfirmed.roles],
                               page_title="Joining this team recuses you")
    flash(f"You have joined the team of “{invitation.submission.title}”.", "success")
    return redirect(url_for(".task_list", submission_id=invitation.submission_id))


@bp.post("/invitations/<int:member_id>/decline")
@allowed(can_answer_invitation, load=INVITATION)
def decline_invitation(invitation: SubmissionMember):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    title = invitation.submission.title
    invitation_services.decline(invitation, current_user)
    flash(f"You have declined the invitation to “{title}”.", "success")
    return redirect(url_for(".invitations"))


def risk_chart(profile: dict) -> dict:
    """The risk profile as a bar chart of points per category, drawn on the server as SVG."""
    bars = [(label, profile["categories"][key]["points"],
             f"{profile['categories'][key]['points']} pt · {profile['categories'][key]['tier']}"
             + (" (hard trigger)" if profile["categories"][key].get("hard_trigger") else ""))
            for key, label in CATEGORY_LABELS.items()]
    return chart(bars, "Risk points per category")

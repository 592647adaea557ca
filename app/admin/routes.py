"""Administration pages; every route is for administrators only."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.admin import services
from app.admin.forms import UserAccessForm
from app.admin.permissions import can_administer
from app.admin.services import AccessRuleError, update_user_access
from app.core.permissions import allowed

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.route("/users")
@allowed(can_administer)
def users():
    query = (request.args.get("q") or "").strip()
    return render_template("admin/users.html", page=services.users_page(query), query=query, page_title="Users")


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@allowed(can_administer)
def user(user_id: int):
    target = services.find_user(user_id) or abort(404)
    form = UserAccessForm.for_user(target)
    if form.validate_on_submit():
        try:
            changes = update_user_access(
                target, actor=current_user._get_current_object(), roles=form.selected_roles(),
                active=form.active.data,
                # A form posted without the field leaves the expertise as it was.
                expertise=(form.expertise.data or "") if "expertise" in request.form else None,
                details=form.details() if "email" in request.form else None,
            )
        except AccessRuleError as error:
            if error.field in form:
                form[error.field].errors.append(error.message)
            else:
                flash(error.message, "danger")
        else:
            if changes:
                flash(f"Saved the changes to {target.name}'s account.", "success")
            else:
                flash("Nothing was changed.", "info")
            return redirect(url_for("admin.user", user_id=target.id))
    return render_template(
        "admin/user.html", form=form, target=target, active_sessions=services.live_session_count(target),
        page_title=target.name,
    ), 422 if form.errors else 200


@bp.route("/outbox")
@allowed(can_administer)
def outbox():
    return render_template("admin/outbox.html", page=services.outbox_page(), page_title="Outbox")


@bp.route("/outbox/<int:message_id>")
@allowed(can_administer)
def outbox_message(message_id: int):
    message = services.find_outbox_message(message_id) or abort(404)
    return render_template("admin/outbox_message.html", message=message, page_title=message.subject)

"""Administration pages; every route is for administrators only."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from app.admin.forms import UserAccessForm
from app.admin.permissions import can_administer
from app.admin.services import AccessRuleError, update_user_access
from app.auth.models import User, UserSession
from app.core.mail import OutboxMessage
from app.core.permissions import allowed
from app.extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

USERS_PER_PAGE = 50
OUTBOX_PER_PAGE = 50


@bp.route("/users")
@allowed(can_administer)
def users():
    query = (request.args.get("q") or "").strip()
    statement = select(User).order_by(func.lower(User.name), User.id).options(selectinload(User.role_grants))
    if query:
        pattern = "%" + query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(
            or_(func.lower(User.name).like(pattern, escape="\\"), func.lower(User.email).like(pattern, escape="\\"))
        )
    page = db.paginate(statement, per_page=USERS_PER_PAGE, max_per_page=USERS_PER_PAGE, error_out=False)
    return render_template("admin/users.html", page=page, query=query, page_title="Users")


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@allowed(can_administer)
def user(user_id: int):
    target = db.session.get(User, user_id) or abort(404)
    form = UserAccessForm.for_user(target)
    if form.validate_on_submit():
        try:
            changes = update_user_access(
                target, actor=current_user._get_current_object(), roles=form.selected_roles(),
                active=form.active.data,
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
    active_sessions = db.session.scalar(
        select(func.count(UserSession.id)).where(UserSession.user_id == target.id, UserSession.revoked_at.is_(None))
    )
    return render_template(
        "admin/user.html", form=form, target=target, active_sessions=active_sessions, page_title=target.name
    )


@bp.route("/outbox")
@allowed(can_administer)
def outbox():
    statement = select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    page = db.paginate(statement, per_page=OUTBOX_PER_PAGE, max_per_page=OUTBOX_PER_PAGE, error_out=False)
    return render_template("admin/outbox.html", page=page, page_title="Outbox")


@bp.route("/outbox/<int:message_id>")
@allowed(can_administer)
def outbox_message(message_id: int):
    message = db.session.get(OutboxMessage, message_id) or abort(404)
    return render_template("admin/outbox_message.html", message=message, page_title=message.subject)

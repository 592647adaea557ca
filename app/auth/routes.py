"""Sign-in, registration, password reset and the account page. Views are thin: the work is in services."""
from __future__ import annotations

import time
from urllib.parse import urlsplit

import requests
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user
from markupsafe import Markup

from app.auth import mfa, services, sso, throttle
from app.auth.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ConfirmEmailForm,
    ConfirmRegistrationForm,
    DetailsForm,
    DisableTwoStepForm,
    EnrolForm,
    ExpertiseForm,
    ForgotPasswordForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
    TwoStepForm,
)
from app.auth.models import UserSession
from app.auth.permissions import owns_session
from app.auth.services import USER_SESSION
from app.core.errors import render_error
from app.core.permissions import allowed, may, public, signed_in
from app.core.web import external_url
from app.extensions import limiter

bp = Blueprint("auth", __name__, template_folder="templates")

BAD_CREDENTIALS = "The email address or password is not right. Check them and try again"
PASSWORDS_OFF = ("Passwords are switched off here: sign in with your institution's account using a button "
                 "above this form")
INACTIVE = "This account has been deactivated. Contact the research office if you need access again"
REGISTRATION_SENT = (
    "We have sent a link to the address you gave. Open it to finish creating your account "
    "(check your spam folder too). If the address already has an account, the mail says so instead."
)


# Where each kind of staff works, most pressing first: a person lands on the first they may open (the
# coordinator on the queue, the chair on decisions waiting, a reviewer on their reviews), an applicant on
# their applications.
WORK_PAGES = ("reviews.queue", "reviews.chair_queue", "reviews.mine")


def _home():
    for endpoint in WORK_PAGES:
        if may(endpoint):
            return url_for(endpoint)
    return url_for("submissions.dashboard")


def safe_next(target: str | None) -> str | None:
    """A redirect target only if it is a path on this site ("/x"), never another host or scheme."""
    if not target:
        return None
    target = target.strip()
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(char) < 32 or ord(char) == 127 for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.before_app_request
def _touch_current_session():
    """Load the user at the start of each page request, and note activity on their session."""
    endpoint = request.endpoint or ""
    if not endpoint or endpoint == "static" or endpoint.startswith("bootstrap."):
        return None
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        services.touch_session(user)
        # A role that must sign in with two steps, and no authenticator yet: enrol before anything else.
        if endpoint not in ENROLMENT_ENDPOINTS and mfa.required_for(user) and not mfa.enrolled(user):
            flash("Your role needs two-step sign-in. Set up an authenticator app to continue.", "info")
            return redirect(url_for("auth.two_step_setup"))
    return None


ENROLMENT_ENDPOINTS = frozenset({"auth.two_step_setup", "auth.logout"})
PENDING = "crucible_two_step"
PENDING_SECONDS = 300


def _registration_requested(response) -> bool:
    """Flask-Limiter's deduct_when: only registrations that send a mail use up the address's allowance."""
    return bool(g.get("crucible_registration_requested"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config.get("REGISTRATION_RATE_LIMIT", "5 per 15 minutes"), methods=["POST"],
               deduct_when=_registration_requested)
@public("creating an account")
def register():
    if current_user.is_authenticated:
        return redirect(_home())
    if not current_app.config.get("LOCAL_PASSWORDS", True):
        return render_error(403, "Accounts here come from your institution's sign-in: use it on the sign-in page.")
    form = RegisterForm()
    if form.validate_on_submit():
        # The same answer, and the same work in this request, whether or not the address has an account.
        services.request_registration(email=form.email.data, name=form.name.data, password=form.password.data,
                                      department=form.department.data or "")
        g.crucible_registration_requested = True
        flash(REGISTRATION_SENT, "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/register.html", form=form, page_title="Create an account")


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
@public("finishing an account from the link mailed to its address")
def confirm_registration(token: str):
    """GET shows a button; only the POST creates the account, so a mail scanner opening the link does not."""
    details, problem = services.registration_from_token(token)
    if details is None:
        return render_template("auth/registration_invalid.html", problem=problem,
                               page_title="This link cannot be used"), 400
    form = ConfirmRegistrationForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            services.sign_out(current_user._get_current_object())
        try:
            user = services.complete_registration(details)
        except services.EmailTaken:
            return render_template("auth/registration_invalid.html", problem="used",
                                   page_title="This link cannot be used"), 400
        services.sign_in(user)
        flash("Your account is ready. Welcome to Crucible.", "success")
        return redirect(_home())
    return render_template("auth/confirm_registration.html", form=form, token=token, details=details,
                           page_title="Finish creating your account")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(throttle.address_limit, methods=["POST"], deduct_when=throttle.failure_counts,
               on_breach=throttle.on_address_limit)
@public("signing in")
def login():
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or _home())
    form = LoginForm()
    if form.validate_on_submit():
        user, reason = services.authenticate(form.email.data, form.password.data)
        if user is not None and mfa.enrolled(user):
            # The password was right; the session is opened only after the second step.
            session[PENDING] = {"user": user.id, "next": next_url, "at": time.time()}
            return redirect(url_for("auth.two_step"))
        if user is not None:
            services.sign_in(user)
            return redirect(next_url or _home())
        if reason == "throttled":
            return render_error(429)
        form.email.errors.append({"inactive": INACTIVE, "local_passwords_off": PASSWORDS_OFF}.get(
            reason or "", BAD_CREDENTIALS))
    return render_template("auth/login.html", form=form, next_url=next_url, providers=sso.providers(),
                           local_passwords=current_app.config.get("LOCAL_PASSWORDS", True), page_title="Sign in")


SSO_NEXT = "crucible_sso_next"


@bp.get("/login/sso/<provider>")
@public("starting a sign-in at an identity provider")
def sso_start(provider: str):
    oidc = sso.client(provider)
    if oidc is None:
        abort(404)
    if current_user.is_authenticated:
        return redirect(_home())
    session[SSO_NEXT] = safe_next(request.args.get("next"))
    try:
        return oidc.authorize_redirect(external_url("auth.sso_callback", provider=provider))
    except requests.RequestException:
        return render_error(502, "The identity provider could not be reached. Try again in a few minutes.")


@bp.get("/login/sso/<provider>/callback")
@public("the identity provider's answer, whose OIDC state (checked by Authlib) is its CSRF token")
def sso_callback(provider: str):
    if sso.client(provider) is None:
        abort(404)
    try:
        claims, id_token = sso.verified_claims(provider)
        user = sso.account_for(provider, claims)
    except sso.SignInRefused as refused:
        return render_template("auth/sso_refused.html", message=refused.message,
                               page_title="Sign-in could not be completed"), refused.status
    next_url = session.pop(SSO_NEXT, None)
    if current_user.is_authenticated:
        services.sign_out(current_user._get_current_object())
    signed_in_with = sso.remembered_sign_in(provider, id_token)
    if mfa.enrolled(user):
        session[PENDING] = {"user": user.id, "next": next_url, "at": time.time(), "sso": signed_in_with}
        return redirect(url_for("auth.two_step"))
    services.sign_in(user)
    session[sso.SIGNED_IN_WITH] = signed_in_with
    return redirect(next_url or _home())


@bp.route("/login/two-step", methods=["GET", "POST"])
@public("the second sign-in step, after the right password")
def two_step():
    pending: dict = session.get(PENDING) or {}
    user = services.get_user(pending["user"]) if pending else None
    if user is None or not user.active or time.time() - pending["at"] > PENDING_SECONDS:
        session.pop(PENDING, None)
        flash("Sign in again: the second step has to follow the password within 5 minutes.", "info")
        return redirect(url_for("auth.login"))
    form = TwoStepForm()
    if form.validate_on_submit():
        try:
            ok = mfa.verify(user, form.code.data)
        except mfa.MfaThrottled:
            session.pop(PENDING, None)
            return render_error(429)
        if ok:
            services.sign_in(user)
            if pending.get("sso"):
                session[sso.SIGNED_IN_WITH] = pending["sso"]
            return redirect(pending.get("next") or _home())
        form.code.errors.append("That code is not right. Enter the code the app shows now, or a recovery code")
    return render_template("auth/two_step.html", form=form, page_title="Second sign-in step")


@bp.route("/account/two-step", methods=["GET", "POST"])
@allowed(signed_in)
def two_step_setup():
    user = current_user._get_current_object()
    if mfa.enrolled(user):
        return render_template("auth/two_step_setup.html", enrolled=True, form=DisableTwoStepForm(),
                               required=mfa.required_for(user), left=mfa.remaining_recovery_codes(user),
                               page_title="Two-step sign-in")
    form = EnrolForm()
    if form.validate_on_submit():
        codes = mfa.confirm_enrolment(user, form.code.data)
        if codes is not None:
            return render_template("auth/two_step_codes.html", codes=codes, page_title="Your recovery codes")
        form.code.errors.append("That code is not right. Enter the 6-digit code the app shows now")
    secret, uri = mfa.offer(user)
    return render_template("auth/two_step_setup.html", enrolled=False, form=form, secret=secret,
                           qr=Markup(mfa.qr_svg(uri)),  # noqa: S704 - segno's SVG of our own otpauth URI  # nosec B704
                           required=mfa.required_for(user), page_title="Set up two-step sign-in")


@bp.post("/account/two-step/disable")
@allowed(signed_in)
def two_step_disable():
    user = current_user._get_current_object()
    form = DisableTwoStepForm()
    if form.validate_on_submit():
        if services.reentered_password_ok(user, form.current_password.data, purpose="mfa_disable"):
            mfa.disable(user)
            flash("Two-step sign-in is off.", "success")
            return redirect(url_for("auth.account"))
        form.current_password.errors.append("Your password is not correct")
    return render_template("auth/two_step_setup.html", enrolled=True, form=form, required=mfa.required_for(user),
                           left=mfa.remaining_recovery_codes(user), page_title="Two-step sign-in"), 422


@bp.route("/logout", methods=["POST"])
@public("signing out, which an expired session may still ask for")
def logout():
    signed_in_with = session.get(sso.SIGNED_IN_WITH)
    if current_user.is_authenticated:
        services.sign_out(current_user._get_current_object())
    else:
        session.clear()
    flash("You have signed out", "info")
    if signed_in_with:
        # Signed in through a provider: end its session too, or the next visitor is signed straight back in.
        at_provider = sso.end_session_url(signed_in_with["provider"], signed_in_with["id_token"],
                                          external_url("auth.login"))
        if at_provider:
            return redirect(at_provider)
    return redirect(url_for("auth.login"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config.get("PASSWORD_RESET_RATE_LIMIT", "5 per 15 minutes"), methods=["POST"])
@public("asking for a password reset link")
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        # Only names the work: the mail and audit row are written after the response, for either answer.
        services.request_password_reset(form.email.data)
        flash(
            "If that address belongs to an account, we have sent it a link to reset the password. "
            "Check your inbox (and spam folder).",
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form, page_title="Reset your password")


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@public("the reset link is the credential")
def reset_password(token: str):
    user, problem = services.user_for_reset_token(token)
    if user is None:
        return (
            render_template("auth/reset_invalid.html", problem=problem, page_title="This reset link cannot be used"),
            400,
        )
    form = ResetPasswordForm(user=user)
    if form.validate_on_submit():
        services.reset_password(user, form.password.data)
        if current_user.is_authenticated:
            # Every session of this user was just revoked; whoever is signed in here starts afresh.
            logout_user()
            session.clear()
        flash("Your password has been changed. Sign in with your new password.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form, token=token, page_title="Choose a new password")


@bp.route("/account", methods=["GET", "POST"])
@allowed(signed_in)
def account():
    user = current_user._get_current_object()
    form = ChangePasswordForm(user=user)
    if form.validate_on_submit():
        revoked = services.change_password(user, form.password.data)
        message = "Your password has been changed."
        if revoked:
            message += f" {revoked} other session{'s' if revoked != 1 else ''} signed out."
        flash(message, "success")
        return redirect(url_for("auth.account"))
    return _render_account(user, form=form)


def _render_account(user, form=None, expertise_form=None, status=200, details_form=None, email_form=None):
    return render_template(
        "auth/account.html",
        form=form or ChangePasswordForm(user=user),
        expertise_form=expertise_form or ExpertiseForm(expertise=user.expertise),
        details_form=details_form or DetailsForm(name=user.name, department=user.department or ""),
        email_form=email_form or ChangeEmailForm(),
        user=user,
        sessions=services.active_sessions(user),
        two_step=mfa.enrolled(user),
        page_title="Your account",
    ), status


@bp.post("/account/expertise")
@allowed(signed_in)
def expertise():
    user = current_user._get_current_object()
    form = ExpertiseForm()
    if not form.validate_on_submit():
        return _render_account(user, expertise_form=form, status=422)
    changed = services.set_expertise(user, form.expertise.data or "")
    flash("Your areas of expertise have been saved." if changed else "Nothing was changed.",
          "success" if changed else "info")
    return redirect(url_for("auth.account", _anchor="expertise-heading"))


@bp.post("/account/details")
@allowed(signed_in)
def details():
    user = current_user._get_current_object()
    form = DetailsForm()
    if not form.validate_on_submit():
        return _render_account(user, details_form=form, status=422)
    changed = services.set_details(user, name=form.name.data, department=form.department.data or "")
    flash("Your details have been saved." if changed else "Nothing was changed.", "success" if changed else "info")
    return redirect(url_for("auth.account", _anchor="details-heading"))


@bp.post("/account/email")
@allowed(signed_in)
def change_email():
    user = current_user._get_current_object()
    form = ChangeEmailForm()
    if form.validate_on_submit():
        if services.normalise_email(form.email.data) == user.email:
            form.email.errors.append("This is already your email address")
        else:
            try:
                services.request_email_change(user, form.email.data)
            except services.EmailTaken:
                form.email.errors.append("Another account uses this email address. Enter a different one")
            else:
                flash(f"We have sent a link to {form.email.data}. Your email address changes when you open it; "
                      "until then your account keeps its current one.", "success")
                return redirect(url_for("auth.account", _anchor="details-heading"))
    return _render_account(user, email_form=form, status=422)


@bp.route("/account/email/confirm/<token>", methods=["GET", "POST"])
@public("the link mailed to the new address is the credential")
def confirm_email_change(token: str):
    user, new_email, problem = services.email_change_from_token(token)
    form = ConfirmEmailForm()
    if user is not None and new_email and form.validate_on_submit():
        try:
            services.confirm_email_change(user, new_email)
        except services.EmailTaken:
            problem = "taken"
        else:
            flash(f"Your email address is now {new_email}.", "success")
            return redirect(url_for("auth.account") if current_user.is_authenticated else url_for("auth.login"))
    if problem:
        return render_template("auth/email_change_invalid.html", problem=problem,
                               page_title="This link cannot be used"), 400
    return render_template("auth/confirm_email_change.html", form=form, new_email=new_email,
                           page_title="Confirm your new email address")


@bp.post("/account/mail")
@allowed(signed_in)
def mail_preference():
    choice = request.form.get("mail_digest")
    if choice not in ("yes", "no"):
        abort(400)
    services.set_mail_digest(current_user._get_current_object(), choice == "yes")
    flash("Your mail preference has been saved.", "success")
    return redirect(url_for("auth.account"))


@bp.route("/account/sessions/<int:session_id>/revoke", methods=["POST"])
@allowed(owns_session, load=USER_SESSION)
def revoke_session(target: UserSession):
    user = current_user._get_current_object()
    if user.current_session is not None and target.id == user.current_session.id:
        services.sign_out(user)
        flash("You have signed out", "info")
        return redirect(url_for("auth.login"))
    services.revoke_session(user, target)
    flash("That session has been signed out.", "success")
    return redirect(url_for("auth.account"))


@bp.route("/account/sessions/revoke-others", methods=["POST"])
@allowed(signed_in)
def revoke_other_sessions():
    count = services.revoke_other_sessions(current_user._get_current_object())
    if count:
        flash(f"Signed out of {count} other session{'s' if count != 1 else ''}.", "success")
    else:
        flash("There were no other sessions to sign out of.", "info")
    return redirect(url_for("auth.account"))

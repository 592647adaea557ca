"""Two-step sign-in (ASVS 4.3.1, 2.8): enrolment with a QR code, codes computed with pyotp as an authenticator
app would, recovery codes, the institution's requirement for privileged roles, throttling and the audit trail."""
from __future__ import annotations

import re
import time

import pyotp
from sqlalchemy import select

from app.auth.models import UserRecoveryCode, UserTotp
from app.config import load_config
from app.extensions import db
from tests.helpers import audit_events, input_value, is_signed_in, login, make_user, page_text

WRONG = "000000"


def _enrol(client) -> tuple[pyotp.TOTP, list[str]]:
    page = client.get("/account/two-step")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<svg" in html and 'autocomplete="one-time-code"' in html
    secret = re.search(r'<code id="totp-key">([A-Z2-7]+)</code>', html).group(1)
    totp = pyotp.TOTP(secret)
    done = client.post("/account/two-step", data={"code": totp.now()})
    assert done.status_code == 200, page_text(done)
    codes = re.findall(r"<li>([0-9a-f]{6}-[0-9a-f]{6})</li>", done.get_data(as_text=True))
    assert len(codes) == 10
    return totp, codes


def _fresh_code(totp: pyotp.TOTP) -> str:
    """A code for the next 30-second step: the step just used is never accepted twice."""
    return totp.at(time.time() + totp.interval)


def test_enrolment_with_the_qr_code_and_secrets_kept_encrypted_and_hashed(app, client):
    user = make_user(app)
    login(client, user)
    assert "Set up two-step sign-in" in page_text(client.get("/account"))
    wrong = client.post("/account/two-step", data={"code": WRONG})
    assert wrong.status_code == 200
    assert "That code is not right" in page_text(wrong) and "There is a problem" in page_text(wrong)
    assert input_value(wrong.get_data(as_text=True), "code") == WRONG  # what was typed is kept
    totp, codes = _enrol(client)
    [event] = audit_events(app, "user.mfa_enrolled")
    assert event["object_id"] == str(user.id) and event["data"]["method"] == "totp"
    with app.app_context():
        row = db.session.scalar(select(UserTotp))
        assert row.confirmed_at is not None and totp.secret not in row.secret_encrypted
        hashes = db.session.scalars(select(UserRecoveryCode.code_hash)).all()
        assert len(hashes) == 10 and not set(codes) & set(hashes)
    assert "Two-step sign-in is on" in page_text(client.get("/account/two-step"))


def test_sign_in_asks_for_the_code_after_the_password(app, client, make_client):
    user = make_user(app)
    login(client, user)
    totp, _codes = _enrol(client)
    browser = make_client()
    step = login(browser, user)
    assert step.status_code == 302 and step.location == "/login/two-step"
    assert not is_signed_in(browser)
    form = browser.get("/login/two-step").get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in form and '<label class="form-label fw-semibold" for="code">' in form
    wrong = browser.post("/login/two-step", data={"code": WRONG})
    assert wrong.status_code == 200 and "That code is not right" in page_text(wrong)
    assert not is_signed_in(browser)
    assert len(audit_events(app, "user.mfa_failed")) == 1
    code = _fresh_code(totp)
    assert browser.post("/login/two-step", data={"code": code}).status_code == 302
    assert is_signed_in(browser)
    [verified] = audit_events(app, "user.mfa_verified")
    assert verified["data"]["method"] == "totp"
    # The same code a second time (someone who watched it typed) is refused.
    other = make_client()
    login(other, user)
    assert other.post("/login/two-step", data={"code": code}).status_code == 200
    assert not is_signed_in(other)


def test_a_recovery_code_works_once(app, client, make_client):
    user = make_user(app)
    login(client, user)
    _totp, codes = _enrol(client)
    browser = make_client()
    login(browser, user)
    assert browser.post("/login/two-step", data={"code": codes[3]}).status_code == 302
    assert is_signed_in(browser)
    [used] = audit_events(app, "user.mfa_recovery_code_used")
    assert used["data"]["left"] == 9
    again = make_client()
    login(again, user)
    assert again.post("/login/two-step", data={"code": codes[3]}).status_code == 200
    assert not is_signed_in(again)


def test_wrong_codes_are_throttled_like_sign_in(app, client, make_client):
    app.config["LOGIN_FAILURES_PER_ACCOUNT"] = 3
    user = make_user(app)
    login(client, user)
    totp, _codes = _enrol(client)
    browser = make_client()
    login(browser, user)
    for _ in range(3):
        assert browser.post("/login/two-step", data={"code": WRONG}).status_code == 200
    assert browser.post("/login/two-step", data={"code": _fresh_code(totp)}).status_code == 429
    assert not is_signed_in(browser)
    assert len(audit_events(app, "user.mfa_throttled")) == 1


def test_privileged_roles_must_enrol_before_using_the_app(app, make_client):
    """4.3.1: with the requirement on, an admin who signed in with the password alone reaches only enrolment."""
    app.config["MFA_REQUIRED_ROLES"] = frozenset({"admin", "chair"})
    admin = make_user(app, "admin")
    client = make_client()
    assert login(client, admin).status_code == 302
    for path in ("/admin/users", "/", "/account"):
        response = client.get(path)
        assert response.status_code == 302 and response.location == "/account/two-step", path
    assert "Your role needs two-step sign-in" in page_text(client.get("/account/two-step"))
    totp, _codes = _enrol(client)
    assert client.get("/admin/users").status_code == 200
    # The next sign-in asks for the code.
    again = make_client()
    assert login(again, admin).location == "/login/two-step"
    assert again.post("/login/two-step", data={"code": _fresh_code(totp)}).status_code == 302
    assert again.get("/admin/users").status_code == 200
    # An applicant is not asked.
    applicant = make_client()
    login(applicant, make_user(app))
    assert applicant.get("/").status_code == 200


def test_turning_it_off_needs_the_password_and_is_audited(app, client, make_client):
    user = make_user(app)
    login(client, user)
    _enrol(client)
    wrong = client.post("/account/two-step/disable", data={"current_password": "not my password at all"})
    assert wrong.status_code == 422 and "Your password is not correct" in page_text(wrong)
    assert len(audit_events(app, "user.password_reentry_failed")) == 1
    done = client.post("/account/two-step/disable", data={"current_password": user.password})
    assert done.status_code == 302
    assert len(audit_events(app, "user.mfa_disabled")) == 1
    browser = make_client()
    assert login(browser, user).status_code == 302 and is_signed_in(browser)


def test_requirement_is_on_in_production_and_off_in_development(monkeypatch):
    monkeypatch.delenv("MFA_REQUIRED_ROLES", raising=False)
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.setenv("CRUCIBLE_ENV", "production")
    assert load_config()["MFA_REQUIRED_ROLES"] == {"admin", "chair", "deputy_chair", "coordinator",
                                                   "security_officer"}
    monkeypatch.setenv("CRUCIBLE_ENV", "development")
    assert load_config()["MFA_REQUIRED_ROLES"] == frozenset()
    monkeypatch.setenv("MFA_REQUIRED_ROLES", "admin")
    assert load_config()["MFA_REQUIRED_ROLES"] == {"admin"}

"""Sign-in throttling: per account (database, audit rows) and per address (Flask-Limiter), both refused with 429."""
from __future__ import annotations

import logging
import time
import types
from datetime import timedelta

import limits.storage.memory
import pytest

from app.auth import throttle
from app.core.models import utcnow
from tests.helpers import audit_events, is_signed_in, live_sessions, login, make_user, page_text

WRONG = "definitely not the password"


def attempt(client, email: str, password: str, address: str = "127.0.0.1"):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_eleventh_attempt_is_refused_even_with_the_right_password(app, client, caplog):
    user = make_user(app)
    for number in range(10):
        # A new address each time: this is the per-account counter, not the per-address one.
        response = attempt(client, user.email, WRONG, address=f"10.0.0.{number + 1}")
        assert response.status_code == 200, number
    caplog.set_level(logging.WARNING, logger="crucible.auth")
    response = attempt(client, user.email, user.password, address="10.0.1.1")
    assert response.status_code == 429
    assert "Too many attempts" in page_text(response)
    assert not is_signed_in(client)
    assert live_sessions(app, user.id) == []
    # The refusal is logged and audited (never the password).
    [record] = [r for r in caplog.records if r.name == "crucible.auth"]
    assert record.levelno == logging.WARNING and "account" in record.getMessage()
    assert user.email in record.getMessage() and user.password not in record.getMessage()
    [event] = audit_events(app, "user.sign_in_throttled")
    assert event["object_id"] == str(user.id)
    assert event["data"] == {"email": user.email, "ip": "10.0.1.1", "scope": "account"}
    # A refused attempt does not count as one more failure.
    assert len(audit_events(app, "user.sign_in_failed")) == 10


def test_nine_failures_still_let_the_right_password_in_and_success_clears_the_count(app, client, make_client):
    user = make_user(app)
    for number in range(9):
        assert attempt(client, user.email, WRONG, address=f"10.0.0.{number + 1}").status_code == 200
    response = attempt(client, user.email, user.password, address="10.0.2.1")
    assert response.status_code == 302 and is_signed_in(client)
    # Failures before the successful sign-in no longer count: nine more are allowed again.
    other = make_client()
    for number in range(9):
        assert attempt(other, user.email, WRONG, address=f"10.0.3.{number + 1}").status_code == 200
    assert attempt(other, user.email, user.password, address="10.0.4.1").status_code == 302


def test_unknown_addresses_are_throttled_the_same_way(app, client):
    # So that a 429 does not reveal which addresses have accounts.
    for number in range(10):
        assert attempt(client, "nobody@example.ac.uk", WRONG, address=f"10.0.5.{number + 1}").status_code == 200
    assert attempt(client, "Nobody@Example.ac.uk", WRONG, address="10.0.6.1").status_code == 429
    [event] = audit_events(app, "user.sign_in_throttled")
    assert event["object_id"] is None and event["data"]["email"] == "nobody@example.ac.uk"


def test_the_lock_is_per_account(app, client):
    locked, other = make_user(app), make_user(app)
    for number in range(10):
        attempt(client, locked.email, WRONG, address=f"10.0.7.{number + 1}")
    assert attempt(client, locked.email, locked.password, address="10.0.8.1").status_code == 429
    assert attempt(client, other.email, other.password, address="10.0.8.2").status_code == 302


def test_the_account_window_expiring_lets_the_user_in_again(app, client, monkeypatch):
    user = make_user(app)
    for number in range(10):
        attempt(client, user.email, WRONG, address=f"10.0.9.{number + 1}")
    assert attempt(client, user.email, user.password, address="10.0.10.1").status_code == 429
    start = utcnow()
    # 14 minutes later the window (15 minutes) still holds every failure.
    monkeypatch.setattr(throttle, "clock", lambda: start + timedelta(minutes=14))
    assert attempt(client, user.email, user.password, address="10.0.10.2").status_code == 429
    monkeypatch.setattr(throttle, "clock", lambda: start + timedelta(minutes=15, seconds=1))
    response = attempt(client, user.email, user.password, address="10.0.10.3")
    assert response.status_code == 302 and is_signed_in(client)


def test_per_address_limit_across_different_accounts(app, client, caplog):
    users = [make_user(app) for _ in range(11)]
    for user in users[:10]:
        # One failure for each account: no account is near its own limit.
        assert attempt(client, user.email, WRONG, address="192.0.2.7").status_code == 200
    caplog.set_level(logging.WARNING, logger="crucible.auth")
    last = users[10]
    response = attempt(client, last.email, last.password, address="192.0.2.7")
    assert response.status_code == 429
    assert "Too many attempts" in page_text(response)
    assert not is_signed_in(client)
    assert any(r.name == "crucible.auth" and "address" in r.getMessage() and "192.0.2.7" in r.getMessage()
               for r in caplog.records)
    [event] = audit_events(app, "user.sign_in_throttled")
    assert event["data"] == {"email": last.email, "ip": "192.0.2.7", "scope": "address"}
    # Another address is not affected, and neither is the sign-in page itself.
    assert attempt(client, last.email, last.password, address="192.0.2.8").status_code == 302
    assert client.get("/login", environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code in (200, 302)


def test_successful_sign_ins_do_not_use_up_the_address_allowance(app, make_client):
    user = make_user(app)
    for _ in range(12):
        browser = make_client()
        assert attempt(browser, user.email, user.password, address="192.0.2.9").status_code == 302


def test_the_address_window_expiring_lets_the_address_in_again(app, client, monkeypatch):
    users = [make_user(app) for _ in range(11)]
    for user in users[:10]:
        attempt(client, user.email, WRONG, address="192.0.2.10")
    assert attempt(client, users[10].email, users[10].password, address="192.0.2.10").status_code == 429
    # Move the limiter's clock (its in-memory storage reads time.time()) past the 15-minute window.
    offset = 15 * 60 + 1
    fake_time = types.SimpleNamespace(time=lambda: time.time() + offset)
    monkeypatch.setattr(limits.storage.memory, "time", fake_time)
    response = attempt(client, users[10].email, users[10].password, address="192.0.2.10")
    assert response.status_code == 302 and is_signed_in(client)


@pytest.mark.parametrize("setting", ["LOGIN_FAILURES_PER_ACCOUNT", "LOGIN_FAILURES_PER_ADDRESS"])
def test_limits_come_from_the_configuration(app, client, monkeypatch, setting):
    monkeypatch.setitem(app.config, setting, 3)
    user = make_user(app)
    for number in range(3):
        address = f"10.0.11.{number + 1}" if setting == "LOGIN_FAILURES_PER_ACCOUNT" else "10.0.12.1"
        assert attempt(client, user.email, WRONG, address=address).status_code == 200
    address = "10.0.11.9" if setting == "LOGIN_FAILURES_PER_ACCOUNT" else "10.0.12.1"
    assert attempt(client, user.email, user.password, address=address).status_code == 429


def test_password_reset_requests_are_limited_per_address(app, client):
    user = make_user(app)
    statuses = [client.post("/forgot-password", data={"email": user.email},
                            environ_base={"REMOTE_ADDR": "198.51.100.4"}).status_code for _ in range(6)]
    assert statuses == [302] * 5 + [429]


def test_current_password_on_the_account_page_is_throttled_like_sign_in(app, client, caplog):
    """Finding 10: someone with a signed-in session cannot guess its password on the account page."""
    app.config["LOGIN_FAILURES_PER_ACCOUNT"] = 3
    user = make_user(app)
    login(client, user)
    new = "quartz violin harbour 88 maple"
    for number in range(3):
        response = client.post("/account", data={"current_password": WRONG, "password": new, "confirm": new},
                               environ_base={"REMOTE_ADDR": f"10.0.3.{number + 1}"})
        assert response.status_code == 200 and "Your current password is not correct" in page_text(response)
    caplog.set_level(logging.WARNING, logger="crucible.auth")
    refused = client.post("/account", data={"current_password": user.password, "password": new, "confirm": new})
    assert refused.status_code == 429
    assert login(app.test_client(), user, new).status_code == 200  # the password did not change
    assert len(audit_events(app, "user.password_reentry_failed")) == 3
    [throttled] = audit_events(app, "user.password_reentry_throttled")
    assert throttled["data"]["purpose"] == "password_change" and throttled["object_id"] == str(user.id)
    assert user.password not in str(audit_events(app, "user.password_reentry_failed")) + caplog.text
    assert "Password re-entry refused" in caplog.text


def test_chairs_signing_password_is_throttled_like_sign_in(app, make_client, monkeypatch):
    """Finding 10: the chair's signing password, the same counter as the account page's."""
    from tests.helpers import decide, in_review, recommend

    app.config["LOGIN_FAILURES_PER_ACCOUNT"] = 3
    submission_id, _owner, c = in_review(app, make_client)
    recommend(app, submission_id, c.reviewer1)
    recommend(app, submission_id, c.reviewer2)
    new = "quartz violin harbour 88 maple"
    wrong_on_account = c.chair.client.post("/account", data={"current_password": WRONG, "password": new,
                                                             "confirm": new})
    assert wrong_on_account.status_code == 200
    for _ in range(2):
        assert decide(c, submission_id, "approved", password=WRONG).status_code == 422
    assert decide(c, submission_id, "approved").status_code == 429
    purposes = [e["data"]["purpose"] for e in audit_events(app, "user.password_reentry_failed")]
    assert purposes == ["password_change", "decision", "decision"]
    [throttled] = audit_events(app, "user.password_reentry_throttled")
    assert throttled["data"]["purpose"] == "decision"
    # After the window the right password signs the decision again.
    monkeypatch.setattr(throttle, "clock", lambda: utcnow() + timedelta(minutes=15, seconds=1))
    assert decide(c, submission_id, "approved").status_code == 302

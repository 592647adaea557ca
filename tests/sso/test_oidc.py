"""Single sign-on with OpenID Connect against a real provider (tests/sso/provider.mjs) on 127.0.0.1: accounts made,
matched and linked, roles mapped, tampered, expired and misaddressed ID tokens and replays refused, sign-out at the
provider, and local passwords switched off but for the break-glass administrators."""
from __future__ import annotations

import itertools
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from app.auth import sso
from app.auth.models import SsoLink, User
from app.config import ConfigError, parse_role_rule
from app.extensions import db
from tests.helpers import audit_events, is_signed_in, login, make_user, page_text, user_row
from tests.sso.conftest import APP_BASE, CLIENT_ID, local, provider_settings

_people = itertools.count(1)


def _person(identity_provider, **claims) -> tuple[str, str]:
    """A new person at the provider: (their login there, their email address)."""
    login_name = f"person{next(_people)}"
    email = claims.pop("email", f"{login_name}@uni.example.ac.uk")
    identity_provider.add_account(login_name, email=email, email_verified=True, name="Dr Ada Okafor",
                                  department="Materials Chemistry", **claims)
    return login_name, email


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_the_first_sign_in_makes_the_account_from_the_claims_with_the_mapped_roles(sso_app, identity_provider,
                                                                                     browser, client):
    person, email = _person(identity_provider, groups=["staff", "ethics-office"])
    callback = browser().sign_in(client, person)
    answer = client.get(local(callback))
    assert answer.status_code == 302 and answer.location == "/review/queue"
    assert is_signed_in(client)
    account = user_row(sso_app, email)
    assert account is not None
    assert (account["name"], account["department"]) == ("Dr Ada Okafor", "Materials Chemistry")
    assert account["roles"] == {"applicant", "coordinator"}
    [created] = audit_events(sso_app, "sso.account_created")
    [linked] = audit_events(sso_app, "sso.linked")
    [signed_in] = audit_events(sso_app, "sso.signed_in")
    assert created["actor_id"] == linked["actor_id"] == signed_in["actor_id"] == account["id"]
    assert linked["data"]["issuer"] == identity_provider.issuer and linked["data"]["subject"] == person
    assert signed_in["data"]["matched_by"] == "created"
    assert len(audit_events(sso_app, "user.signed_in")) == 1
    # The account has no password anyone knows: the password form does not sign it in.
    with_password = sso_app.test_client()
    assert with_password.post("/login", data={"email": email, "password": ""}).status_code == 200
    assert not is_signed_in(with_password)


def test_a_second_sign_in_finds_the_account_by_its_link_and_remaps_the_roles(sso_app, identity_provider, browser,
                                                                           make_client):
    person, email = _person(identity_provider, groups=["ethics-chair"])
    first = make_client()
    assert first.get(local(browser().sign_in(first, person))).status_code == 302
    assert user_row(sso_app, email)["roles"] == {"applicant", "chair", "reviewer"}
    # At the provider the person has a new address and has left the chair's group.
    identity_provider.add_account(person, email="ada.okafor@uni.example.ac.uk", email_verified=True,
                                  name="Dr Ada Okafor", groups=["ethics-office"])
    second = make_client()
    assert second.get(local(browser().sign_in(second, person))).status_code == 302
    assert is_signed_in(second)
    assert _count(sso_app, User) == 1 and _count(sso_app, SsoLink) == 1
    assert user_row(sso_app, email)["roles"] == {"applicant", "coordinator"}
    assert [e["data"]["matched_by"] for e in audit_events(sso_app, "sso.signed_in")] == ["created", "link"]
    [changed] = audit_events(sso_app, "user.roles_changed")[-1:]
    assert changed["data"]["after"] == ["applicant", "coordinator"]


def test_a_verified_email_links_an_existing_account(sso_app, identity_provider, browser, client):
    existing = make_user(sso_app, "security_officer", email="bea.lin@uni.example.ac.uk")
    person, _ = _person(identity_provider, email="Bea.Lin@uni.example.ac.uk")
    assert client.get(local(browser().sign_in(client, person))).status_code == 302
    assert is_signed_in(client)
    assert _count(sso_app, User) == 1
    # The rule does not name the security officer's role: it stays the administrators' to give.
    assert user_row(sso_app, existing.email)["roles"] == {"applicant", "security_officer"}
    [linked] = audit_events(sso_app, "sso.linked")
    assert linked["actor_id"] == existing.id and linked["data"]["matched_by"] == "email"


def test_an_unverified_email_does_not_take_over_an_existing_account(sso_app, identity_provider, browser, client):
    existing = make_user(sso_app, "admin", email="root@uni.example.ac.uk")
    person, _ = _person(identity_provider, email=existing.email)
    identity_provider.add_account(person, email=existing.email, email_verified=False, name="Mallory")
    answer = client.get(local(browser().sign_in(client, person)))
    assert answer.status_code == 400
    assert "has not verified the address" in page_text(answer)
    assert not is_signed_in(client)
    assert _count(sso_app, SsoLink) == 0
    [refused] = audit_events(sso_app, "sso.sign_in_refused")
    assert refused["data"]["reason"] == "email_not_verified" and refused["object_id"] == str(existing.id)


@pytest.mark.parametrize(("how", "error"), [
    ("tampered", "BadSignatureError"),
    ("expired", "ExpiredTokenError"),
    ("audience", "InvalidClaimError"),
])
def test_an_id_token_that_is_tampered_expired_or_for_another_client_is_refused(sso_app, identity_provider, browser,
                                                                                client, how, error):
    person, email = _person(identity_provider, groups=["ethics-office"])
    identity_provider.alter_next_id_token(how)
    answer = client.get(local(browser().sign_in(client, person)))
    assert answer.status_code == 400
    text = page_text(answer)
    assert "Sign-in could not be completed" in text and "answer was not valid for this sign-in" in text
    assert "Traceback" not in text
    assert not is_signed_in(client)
    assert user_row(sso_app, email) is None
    [refused] = audit_events(sso_app, "sso.sign_in_refused")
    assert refused["data"]["reason"] == "invalid_response" and refused["data"]["error"] == error
    if how == "audience":
        assert "aud" in refused["data"]["detail"]


def test_a_used_state_or_code_is_refused(sso_app, identity_provider, browser, client, make_client):
    person, email = _person(identity_provider)
    callback = local(browser().sign_in(client, person))
    with client.session_transaction() as before:
        waiting = dict(before)
    assert client.get(callback).status_code == 302
    # The same answer again: its state was used up with the first.
    assert client.get(callback).status_code == 400
    # Another browser never had the state.
    assert make_client().get(callback).status_code == 400
    # A browser that still holds the state (its cookie copied before the answer) replays the used code: the
    # provider refuses to exchange it twice.
    replaying = make_client()
    with replaying.session_transaction() as session:
        session.update(waiting)
    assert replaying.get(callback).status_code == 400
    assert not is_signed_in(replaying)
    refusals = audit_events(sso_app, "sso.sign_in_refused")
    assert [r["data"]["error"] for r in refusals] == ["MismatchingStateError", "MismatchingStateError", "OAuthError"]
    assert "invalid_grant" in refusals[-1]["data"]["detail"]
    assert len(audit_events(sso_app, "sso.signed_in")) == 1


def test_signing_out_ends_the_session_here_and_at_the_provider(sso_app, identity_provider, browser, client):
    person, _ = _person(identity_provider)
    at_provider = browser()
    assert client.get(local(at_provider.sign_in(client, person))).status_code == 302
    out = client.post("/logout")
    assert out.status_code == 302 and out.location.startswith(f"{identity_provider.issuer}/session/end")
    query = parse_qs(urlsplit(out.location).query)
    assert query["post_logout_redirect_uri"] == [f"{APP_BASE}/login"] and query["id_token_hint"]
    assert not is_signed_in(client)
    assert at_provider.end_session(out.location).startswith(f"{APP_BASE}/login?state=")
    # The provider's session has ended too: the next sign-in asks for the person again.
    started = client.get("/login/sso/uni")
    assert "/interaction/" in at_provider.follow(started.location)


def test_a_long_id_token_is_not_kept_and_sign_out_names_the_client_instead(sso_app, identity_provider, browser,
                                                                          client, monkeypatch):
    monkeypatch.setattr(sso, "ID_TOKEN_HINT_LIMIT", 10)
    person, _ = _person(identity_provider)
    at_provider = browser()
    assert client.get(local(at_provider.sign_in(client, person))).status_code == 302
    out = client.post("/logout")
    query = parse_qs(urlsplit(out.location).query)
    assert "id_token_hint" not in query and query["client_id"] == [CLIENT_ID]
    assert at_provider.end_session(out.location).startswith(f"{APP_BASE}/login?state=")


def test_a_sign_in_the_provider_refuses_says_so(sso_app, identity_provider, browser, client):
    started = client.get("/login/sso/uni")
    state = parse_qs(urlsplit(started.location).query)["state"][0]
    answer = client.get(f"/login/sso/uni/callback?error=access_denied&error_description=cancelled&state={state}")
    assert answer.status_code == 400
    assert "Your identity provider did not sign you in (access_denied)" in page_text(answer)
    [refused] = audit_events(sso_app, "sso.sign_in_refused")
    assert refused["data"]["reason"] == "provider_refused"


def test_the_sign_in_page_offers_each_provider_and_refuses_an_unknown_one(sso_app, client):
    text = page_text(client.get("/login"))
    assert "Sign in with University Login" in text and "Forgotten your password?" in text
    assert client.get("/login/sso/elsewhere").status_code == 404
    assert client.get("/login/sso/elsewhere/callback?state=x&code=y").status_code == 404
    # Signed in already: starting again goes home, and an answer with no state of this browser is refused.
    signed_in = sso_app.test_client()
    login(signed_in, make_user(sso_app))
    assert signed_in.get("/login/sso/uni").status_code == 302
    assert signed_in.get("/login/sso/uni/callback?state=x&code=y").status_code == 400


def test_local_passwords_switched_off_leave_only_the_break_glass_administrators(sso_app, client, make_client):
    admin = make_user(sso_app, "admin", email="breakglass@uni.example.ac.uk")
    staff = make_user(sso_app, "coordinator")
    sso_app.config.update(LOCAL_PASSWORDS=False, BREAK_GLASS_ADMINS=frozenset({admin.email}))
    page = page_text(client.get("/login"))
    assert "Sign in with University Login" in page and "Emergency sign-in for administrators" in page
    assert "Create an account" not in page
    refused = client.post("/login", data={"email": staff.email, "password": staff.password})
    assert refused.status_code == 200 and "Passwords are switched off here" in page_text(refused)
    assert not is_signed_in(client)
    [failed] = audit_events(sso_app, "user.sign_in_failed")
    assert failed["data"]["reason"] == "local_passwords_off"
    emergency = make_client()
    assert emergency.post("/login", data={"email": admin.email.upper(), "password": admin.password}).status_code == 302
    assert is_signed_in(emergency)
    assert client.get("/register").status_code == 403


def test_the_role_rule_reads_groups_and_roles_and_refuses_what_it_cannot_read():
    assert parse_role_rule("ethics-office=coordinator; ethics-chair = chair, reviewer;") == {
        "ethics-office": ("coordinator",), "ethics-chair": ("chair", "reviewer")}
    # An entitlement URN holds '=' and ':' itself: the role is after the last '='.
    assert parse_role_rule("urn:mace:uni.example:entitlement:role=ethics=admin") == {
        "urn:mace:uni.example:entitlement:role=ethics": ("admin",)}
    for broken in ("coordinator", "=chair", "group="):
        with pytest.raises(ConfigError):
            parse_role_rule(broken)


def test_a_rule_naming_an_unknown_role_stops_the_app_starting(app, identity_provider):
    app.config["OIDC_PROVIDERS"] = {"uni": provider_settings(identity_provider.issuer,
                                                             roles=parse_role_rule("staff=superuser"))}
    with pytest.raises(ConfigError, match="superuser"):
        sso.init_app(app)

"""Single sign-on with OpenID Connect, through Authlib's Flask client.

Authlib does the protocol: the authorization code flow with PKCE (S256), the state kept in the session and
removed when the provider answers (so a used state or code is refused), the nonce, and the ID token's signature
(the provider's published keys), issuer, audience, expiry and nonce. This module does what is Crucible's: which
providers there are (OIDC_PROVIDERS, app/config.py), which account a verified identity is, the roles the
provider's groups map to, and an audit event for every sign-in and every refusal.

An identity is matched by its (issuer, subject) link; on its first sign-in by a verified email address, which
links it; otherwise a new account is made from the claims. The roles a provider's rule names are the provider's
to give: each sign-in grants those its groups claim carries and takes away those it no longer does. Roles the
rule does not name are left to the administrators.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app, request
from joserfc.errors import JoseError
from sqlalchemy import select

from app.auth.models import SsoLink, User, UserRole, find_user_by_email, normalise_email
from app.config import ConfigError
from app.core.audit import record
from app.core.models import utcnow
from app.core.permissions import GRANTABLE_ROLES
from app.extensions import db

REGISTRY = "crucible_sso"
INVALID_RESPONSE = ("The sign-in could not be completed: the identity provider's answer was not valid for this "
                    "sign-in. Start again from the sign-in page.")
# The ID token rides in the session cookie as the sign-out hint only while it leaves the cookie well under the
# 4 KB browsers keep (a token listing many groups does not); without it the provider is told the client id.
ID_TOKEN_HINT_LIMIT = 2000
# Where the provider's ID token waits in the session after sign-in, for the provider's sign-out.
SIGNED_IN_WITH = "crucible_sso"


@dataclass(frozen=True)
class Provider:
    name: str
    label: str


class SignInRefused(Exception):
    """The provider's answer signs nobody in; `message` is what the person reads."""

    def __init__(self, message: str, reason: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.status = status


def init_app(app: Flask) -> None:
    """Register every configured provider with a registry of this app's own (tests make apps with others)."""
    oauth = OAuth(app)
    for name, settings in app.config.get("OIDC_PROVIDERS", {}).items():
        unknown = {role for roles in settings["roles"].values() for role in roles} - set(GRANTABLE_ROLES)
        if unknown:
            raise ConfigError(f"Identity provider {name!r}: the role rule names unknown roles: "
                              f"{', '.join(sorted(unknown))}")
        oauth.register(
            name,
            client_id=settings["client_id"],
            client_secret=settings["client_secret"],
            server_metadata_url=settings["metadata_url"],
            client_kwargs={"scope": settings["scope"], "code_challenge_method": "S256"},
        )
    app.extensions[REGISTRY] = oauth


def providers() -> list[Provider]:
    return [Provider(name, settings["label"]) for name, settings in current_app.config["OIDC_PROVIDERS"].items()]


def _settings(name: str) -> dict:
    return current_app.config["OIDC_PROVIDERS"][name]


def client(name: str) -> Any:
    """The provider's Authlib client, or None for a name that is not configured."""
    if name not in current_app.config.get("OIDC_PROVIDERS", {}):
        return None
    return current_app.extensions[REGISTRY].create_client(name)


def local_password_allowed(email: str) -> bool:
    """With LOCAL_PASSWORDS off, only the break-glass administrators' addresses may use a password."""
    if current_app.config.get("LOCAL_PASSWORDS", True):
        return True
    return normalise_email(email or "") in current_app.config.get("BREAK_GLASS_ADMINS", frozenset())


def refuse(name: str, reason: str, message: str, *, status: int = 400, user: User | None = None,
           **details: Any) -> SignInRefused:
    """Audit a refused sign-in (committed at once, whatever the caller does next) and make its exception."""
    db.session.rollback()
    record("sso.sign_in_refused", actor=None, object_type="user", object_id=getattr(user, "id", None),
           data={"provider": name, "reason": reason, "ip": request.remote_addr, **details})
    db.session.commit()
    return SignInRefused(message, reason, status)


def verified_claims(name: str) -> tuple[dict, str]:
    """The provider's answer on this request, checked by Authlib: (claims, id_token), or SignInRefused."""
    oidc = client(name)
    try:
        # Authlib checks the issuer by default but the audience only through azp: a token for another client
        # that names this one as its authorized party would pass. Both are asked for here.
        expected = {"iss": {"essential": True, "values": [oidc.load_server_metadata()["issuer"]]},
                    "aud": {"essential": True, "values": [oidc.client_id]}}
        token = oidc.authorize_access_token(claims_options=expected)
    except OAuthError as error:
        if request.args.get("error"):
            # The provider's own refusal (the person cancelled, or may not use this application there).
            raise refuse(name, "provider_refused", "Your identity provider did not sign you in "
                         f"({request.args['error'][:60]}). Start again from the sign-in page, or ask the research "
                         "office for help.", error=type(error).__name__, detail=str(error)[:300]) from error
        raise refuse(name, "invalid_response", INVALID_RESPONSE,
                     error=type(error).__name__, detail=str(error)[:300]) from error
    except JoseError as error:
        # A state this browser was not given (or has used), a refused code, a bad signature, issuer, audience,
        # expiry or nonce: all end here, with Authlib's reason in the audit trail.
        raise refuse(name, "invalid_response", INVALID_RESPONSE,
                     error=type(error).__name__, detail=str(error)[:300]) from error
    except requests.RequestException as error:
        raise refuse(name, "provider_unreachable", "The identity provider could not be reached. Try again in a "
                     "few minutes.", status=502, error=type(error).__name__) from error
    claims = dict(token.get("userinfo") or {})
    if not claims:
        raise refuse(name, "no_id_token", "The identity provider sent no ID token. Start again from the sign-in page.")
    metadata = oidc.load_server_metadata()
    if metadata.get("userinfo_endpoint"):
        # Most providers put the profile (email, name, groups) at the userinfo endpoint rather than in the ID token.
        try:
            extra = dict(oidc.userinfo(token=token))
        except (OAuthError, requests.RequestException) as error:
            raise refuse(name, "provider_unreachable", "The identity provider could not be reached. Try again in "
                         "a few minutes.", status=502, error=type(error).__name__) from error
        if extra.get("sub") == claims["sub"]:
            claims = {**extra, **claims}
    return claims, token["id_token"]


def _claim_text(claims: dict, key: str | None) -> str:
    value = claims.get(key) if key else None
    if isinstance(value, list):
        value = value[0] if value else None
    return str(value).strip() if value is not None else ""


def mapped_roles(name: str, claims: dict) -> tuple[set[str], set[str]]:
    """(the roles the rule grants from these claims, every role the rule can grant)."""
    settings = _settings(name)
    values = claims.get(settings["groups_claim"]) or []
    if isinstance(values, str):
        values = [values]
    held = {str(value) for value in values}
    rule: dict[str, tuple[str, ...]] = settings["roles"]
    granted = {role for value, roles in rule.items() if value in held for role in roles}
    return granted, {role for roles in rule.values() for role in roles}


def _apply_roles(name: str, user: User, claims: dict) -> None:
    granted, managed = mapped_roles(name, claims)
    before = sorted(user.roles)
    for grant in [g for g in user.role_grants if g.role in managed and g.role not in granted]:
        user.role_grants.remove(grant)
    for role in sorted(granted - user.roles):
        user.role_grants.append(UserRole(role=role))
    db.session.flush()
    if sorted(user.roles) != before:
        record("user.roles_changed", actor=None, object_type="user", object_id=user.id,
               data={"before": before, "after": sorted(user.roles), "provider": name})


def account_for(name: str, claims: dict) -> User:
    """The account these verified claims sign in to, found, linked or made; roles mapped; all audited."""
    settings = _settings(name)
    issuer, subject = str(claims["iss"]), str(claims["sub"])
    link = db.session.scalar(select(SsoLink).where(SsoLink.issuer == issuer, SsoLink.subject == subject))
    email = normalise_email(_claim_text(claims, settings["email_claim"]))
    email_verified = settings["emails_verified"] or claims.get("email_verified") is True
    how = "link"
    if link is not None:
        user = link.user
    else:
        if not email or len(email) > 320:
            raise refuse(name, "no_email", "Your identity provider did not tell us your email address, so no account "
                         "could be found or made. Ask the research office for help.", subject=subject)
        existing = find_user_by_email(email)
        if existing is not None and not email_verified:
            raise refuse(name, "email_not_verified", "An account with your email address exists, but your identity "
                         "provider has not verified the address, so it cannot be linked. Ask the research office "
                         "to link it.", user=existing, subject=subject)
        how = "email" if existing is not None else "created"
        user = existing if existing is not None else _new_account(name, claims, email)
        link = SsoLink(user_id=user.id, issuer=issuer, subject=subject, provider=name)
        db.session.add(link)
        db.session.flush()
        record("sso.linked", actor=user, object_type="user", object_id=user.id,
               data={"provider": name, "issuer": issuer, "subject": subject, "matched_by": how})
    if not user.active:
        raise refuse(name, "inactive", "This account has been deactivated. Contact the research office if you need "
                     "access again.", status=403, user=user, subject=subject)
    link.last_used_at = utcnow()
    _apply_roles(name, user, claims)
    record("sso.signed_in", actor=user, object_type="user", object_id=user.id,
           data={"provider": name, "issuer": issuer, "subject": subject, "matched_by": how,
                 "ip": request.remote_addr})
    db.session.commit()
    return user


def _new_account(name: str, claims: dict, email: str) -> User:
    settings = _settings(name)
    user = User(email=email, name=(_claim_text(claims, settings["name_claim"]) or email)[:200],
                department=_claim_text(claims, settings["department_claim"])[:200] or None, active=True)
    # The provider signs this person in; a long random password nobody knows keeps the password form shut.
    user.set_password(secrets.token_urlsafe(32))
    db.session.add(user)
    db.session.flush()
    record("sso.account_created", actor=user, object_type="user", object_id=user.id,
           data={"provider": name, "email": user.email, "name": user.name, "department": user.department})
    return user


def remembered_sign_in(name: str, id_token: str) -> dict:
    """What the session keeps of a sign-in through a provider, for signing out there too."""
    return {"provider": name, "id_token": id_token if len(id_token) <= ID_TOKEN_HINT_LIMIT else None}


def end_session_url(name: str, id_token: str | None, post_logout_redirect_uri: str) -> str | None:
    """The provider's sign-out address for this sign-in, or None when it publishes no end_session_endpoint."""
    oidc = client(name)
    if oidc is None:
        return None
    try:
        if not oidc.load_server_metadata().get("end_session_endpoint"):
            return None
    except requests.RequestException:
        return None
    hint = {"id_token_hint": id_token} if id_token else {"client_id": oidc.client_id}
    return oidc.create_logout_url(post_logout_redirect_uri=post_logout_redirect_uri, **hint)["url"]

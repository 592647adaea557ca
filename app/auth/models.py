from __future__ import annotations

import secrets
from datetime import datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.core.models import TimestampMixin, UTCDateTime, one_of, utcnow
from app.core.permissions import GRANTABLE_ROLES
from app.extensions import Model, db


def normalise_email(email: str) -> str:
    return email.strip().lower()


class User(UserMixin, TimestampMixin, Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(200))
    # Areas of expertise, as the person describes them (the research office matches reviewers by them).
    expertise: Mapped[str | None] = mapped_column(String(500))
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # True: review mail is collected into one daily digest instead of one mail per event.
    mail_digest: Mapped[bool] = mapped_column(Boolean, default=False)

    # Loaded where needed (the signed-in user's loader joins them; the admin list selects them), not for
    # every author and reviewer a page shows.
    role_grants: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="select",
        foreign_keys="UserRole.user_id",
    )

    # Set by the user loader: the server-side session this request is authenticated by. A plain attribute, not a
    # column: __allow_unmapped__ lets it carry its type without Mapped[].
    __allow_unmapped__ = True
    current_session: UserSession | None = None

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        # Flask-Login stores this in the cookie: the session token, never the user id, so that a
        # revoked session cannot be revived by an old cookie.
        if self.current_session is None:
            raise RuntimeError("User has no server-side session")
        return self.current_session.token

    def set_password(self, password: str) -> None:
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def roles(self) -> set[str]:
        return {"applicant", *(grant.role for grant in self.role_grants)}

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def has_any_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class UserRole(Model):
    __tablename__ = "user_role"
    __table_args__ = (
        UniqueConstraint("user_id", "role", name="uq_user_role_user_id_role"),
        one_of("known_role", "role", GRANTABLE_ROLES),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(back_populates="role_grants", foreign_keys=[user_id])


class UserSession(Model):
    """A server-side record of each sign-in, so sessions can be listed and revoked."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, default=lambda: secrets.token_urlsafe(32))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_agent: Mapped[str | None] = mapped_column(String(300))
    ip_address: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class SsoLink(Model):
    """An account's identity at an OpenID provider: the provider's (issuer, subject) pair names one person for
    good, whatever their email address becomes, so later sign-ins find the account by it (app/auth/sso.py)."""

    __tablename__ = "sso_link"
    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_sso_link_issuer_subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    # The configured provider's name when the link was made (OIDC_PROVIDERS), for people reading the admin pages.
    provider: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


class UserTotp(Model):
    """A user's authenticator app (TOTP, RFC 6238). The secret is stored encrypted (app/core/crypto.py); until the
    user has typed one code from it (confirmed_at), it is only an offer and signs nobody in."""

    __tablename__ = "user_totp"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    secret_encrypted: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The last 30-second step a code was accepted for: a code seen once is never accepted again (replay).
    last_used_step: Mapped[int | None] = mapped_column(Integer)


class UserRecoveryCode(Model):
    """One-time codes for when the authenticator is lost; only their hashes are kept."""

    __tablename__ = "user_recovery_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(256))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

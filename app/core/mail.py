"""Outgoing mail goes through an outbox table, written in the same transaction as the change that caused it.

Without MAIL_SERVER (development, tests) a message is written to the log and kept in the outbox for an admin
to read; with MAIL_SERVER the pending messages are sent over SMTP after the request's transaction commits.

A message may carry secrets (a password-reset or registration link): whoever holds one acts as the recipient,
so the stored copy, which administrators read at /admin/outbox, has them replaced by REDACTED. The whole body
lives only in the request's memory until it is handed to SMTP. Only in development without MAIL_SERVER, where
the outbox is the way mail reaches anyone, is the body stored whole.
"""
from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage

from flask import current_app, g
from sqlalchemy import ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import UTCDateTime, utcnow
from app.extensions import Model, db

log = logging.getLogger("crucible.mail")

REDACTED = "[link removed from the stored copy: only the recipient received it]"


class OutboxMessage(Model):
    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    recipient: Mapped[str] = mapped_column(String(320), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # logged: development delivery to the log; pending/sent/failed: SMTP delivery.
    status: Mapped[str] = mapped_column(String(16), default="pending")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(Text)


def stores_secrets() -> bool:
    """True only in development without SMTP: there the outbox (and the log) is how mail is read at all."""
    config = current_app.config
    return not config.get("MAIL_SERVER") and config.get("ENV_NAME", "development") != "production"


def redact(body: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if secret:
            body = body.replace(secret, REDACTED)
    return body


def queue_mail(recipient: str, subject: str, body: str, *, user_id: int | None = None,
               digest: bool = False, secrets: Sequence[str] = ()) -> OutboxMessage:
    """Queue a mail; with digest=True it is held for the recipient's next daily digest instead.

    `secrets`: parts of the body (links with tokens) kept out of the stored copy and the log, see above.
    Mail with secrets is never held for a digest.
    """
    smtp = bool(current_app.config.get("MAIL_SERVER"))
    stored = body if stores_secrets() else redact(body, secrets)
    message = OutboxMessage(
        recipient=recipient,
        subject=subject,
        body=stored,
        user_id=user_id,
        status="held" if digest and not secrets else ("pending" if smtp else "logged"),
    )
    db.session.add(message)
    if message.status == "held":
        return message
    if smtp:
        g.crucible_mail_pending = True
        if stored != body:
            g.setdefault("crucible_mail_bodies", []).append((message, body))
    else:
        log.info("Mail to %s: %s\n%s", recipient, subject, stored)
    return message


def _whole_bodies() -> dict[int, str]:
    """The unredacted bodies of the messages this request queued, by message id (set once committed)."""
    return {message.id: body for message, body in g.get("crucible_mail_bodies", []) if message.id is not None}


def send_digests() -> int:
    """Combine each recipient's held messages into one digest mail; returns the number of digests queued."""
    held = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == "held").order_by(OutboxMessage.recipient, OutboxMessage.id)
    ).all()
    by_recipient: dict[str, list[OutboxMessage]] = {}
    for message in held:
        by_recipient.setdefault(message.recipient, []).append(message)
    for recipient, messages in by_recipient.items():
        parts = [f"{m.subject}\n{'-' * len(m.subject)}\n{m.body}" for m in messages]
        queue_mail(recipient, f"Crucible daily digest: {len(messages)} update{'s' if len(messages) != 1 else ''}",
                   "\n\n".join(parts), user_id=messages[0].user_id)
        for message in messages:
            message.status = "digested"
    db.session.commit()
    return len(by_recipient)


def deliver_pending(limit: int = 50) -> int:
    """Send pending outbox messages over SMTP; failures stay in the outbox with their error for a retry."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return 0
    pending = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status.in_(("pending", "failed"))).limit(limit)
    ).all()
    sent = 0
    # A redacted message retried later (its first delivery failed) goes out as stored, saying the link was
    # removed: the recipient asks for a new one, and no secret ever rests in the database.
    whole = _whole_bodies()
    for message in pending:
        email = EmailMessage()
        email["From"] = config["MAIL_DEFAULT_SENDER"]
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email.set_content(whole.get(message.id, message.body))
        try:
            with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
                if config.get("MAIL_USE_TLS"):
                    smtp.starttls()
                if config.get("MAIL_USERNAME"):
                    smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
                smtp.send_message(email)
        except (OSError, smtplib.SMTPException) as exc:
            message.status = "failed"
            message.error = str(exc)[:1000]
            log.warning("Mail to %s failed: %s", message.recipient, exc)
        else:
            message.status = "sent"
            message.sent_at = utcnow()
            message.error = None
            sent += 1
    db.session.commit()
    return sent

"""Is this PDF an intact, trusted signed assessment, and is it the one in the archive?

pyHanko validates the signature against the configured trust roots (SIGNING_TRUST_ROOTS) without fetching
anything (no revocation lookups leave the machine), and the file's sha256 is looked up among the Document
rows. `ok` means all of: intact, valid, trusted, covering the whole file, archived.
"""
from __future__ import annotations

import hashlib
import io
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.core import audit
from app.documents.models import Document
from app.extensions import db

log = logging.getLogger("crucible.archive")


@dataclass
class VerificationResult:
    sha256: str
    size: int
    signed: bool = False
    intact: bool = False
    valid: bool = False
    trusted: bool = False
    whole_file: bool = False
    signer: str | None = None
    signing_time: datetime | None = None
    document: Document | None = None
    # Set by the page when the archived document belongs to an application the viewer cannot read.
    document_hidden: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def signature_ok(self) -> bool:
        return self.signed and self.intact and self.valid and self.trusted and self.whole_file

    @property
    def archived(self) -> bool:
        return self.document is not None

    @property
    def ok(self) -> bool:
        return self.signature_ok and self.archived

    @property
    def reason(self) -> str:
        if self.ok:
            return "signature intact and trusted; the file is the archived document"
        return "; ".join(self.problems) or "not verified"


def record_verification(result: VerificationResult, actor: Any) -> None:
    """Every check is in the audit trail, with what was found (a forged or altered copy is worth knowing of)."""
    audit.record("document.verified", actor=actor, object_type="document",
                 object_id=result.document.id if result.document else None,
                 submission_id=result.document.submission_id if result.document else None,
                 data={"sha256": result.sha256, "ok": result.ok, "reason": result.reason[:300]})
    db.session.commit()


def document_by_uid(uid: str) -> Document | None:
    """The archived document a verification link names (`?document=<uid>`)."""
    return db.session.scalar(select(Document).where(Document.uid == uid))


def trust_roots() -> list:
    from pyhanko.keys import load_cert_from_pemder

    roots = []
    for raw in (current_app.config.get("SIGNING_TRUST_ROOTS") or "").split(os.pathsep):
        path = Path(raw.strip()) if raw.strip() else None
        if path is not None and path.exists():
            roots.append(load_cert_from_pemder(str(path)))
    return roots


def verify_pdf_bytes(data: bytes) -> VerificationResult:
    digest = hashlib.sha256(data).hexdigest()
    result = VerificationResult(sha256=digest, size=len(data))
    result.document = db.session.scalar(select(Document).where(Document.sha256 == digest))
    if result.document is None:
        result.problems.append("no archived document has this file's sha256")
    _check_signature(data, result)
    return result


def _check_signature(data: bytes, result: VerificationResult) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception as error:  # noqa: BLE001 - a damaged or non-PDF upload is an answer, not a crash
        result.problems.append(f"the file could not be read as a PDF ({type(error).__name__})")
        return
    if not signatures:
        result.problems.append("the file has no signature")
        return
    result.signed = True
    if len(signatures) > 1:
        result.problems.append(f"the file has {len(signatures)} signatures; an assessment has exactly one")
    roots = trust_roots()
    if not roots:
        result.problems.append("no trust root is configured (SIGNING_TRUST_ROOTS)")
    try:
        context = ValidationContext(trust_roots=roots, allow_fetching=False)
        status = validate_pdf_signature(signatures[0], context)
    except Exception as error:  # noqa: BLE001 - a signature that cannot be validated is an answer, not a crash
        log.info("signature validation raised %r", error)
        result.problems.append(f"the signature could not be validated ({type(error).__name__}: {str(error)[:200]})")
        return
    result.intact = bool(status.intact)
    result.valid = bool(status.valid)
    result.trusted = bool(status.trusted)
    from pyhanko.sign.validation import SignatureCoverageLevel

    result.whole_file = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    try:
        result.signer = status.signing_cert.subject.human_friendly
    except Exception:  # noqa: BLE001 - a certificate without a readable subject is reported without a signer
        result.signer = None
    result.signing_time = status.signer_reported_dt
    if not result.intact:
        result.problems.append("the signature is broken: the file was changed after signing")
    elif not result.valid:
        result.problems.append("the signature is not cryptographically valid")
    if result.intact and not result.trusted:
        result.problems.append("the signing certificate does not chain to a trusted root")
    if result.intact and not result.whole_file:
        result.problems.append("content was added after the signature")

"""Is this PDF an intact, trusted signed assessment, and is it the one in the archive?

pyHanko validates the signature against the configured trust roots (SIGNING_TRUST_ROOTS) without fetching
anything (no revocation lookups leave the machine), and the file's sha256 is looked up among the Document
rows. `ok` means all of: intact, valid, trusted, covering the whole file, archived.

An uploaded file decides how much work reading it takes (a few MB of compressed object streams can inflate to
hundreds of MB), so it is checked with bounded cost (ASVS 12.1.2), and refused with VerificationRefused when a
limit is hit:

* before parsing, a scan of the raw bytes counts the objects the file declares (VERIFY_MAX_OBJECTS);
* pyHanko inflates streams under DecodeLimits whose document budget is VERIFY_MAX_INFLATED in all, checked as
  it inflates (no stream is inflated past the budget first);
* the parsing and validation run in a child process (app/core/sandbox.py) with VERIFY_CPU_SECONDS of CPU and
  VERIFY_MEMORY bytes of memory, and the page waits no longer than twice that CPU time.

Verification is public: the "Verify at" link printed in every PDF is for funders, journals and partners, who
have no account. Anyone may look a document up by the identifier printed in it, or upload a copy; what they are
told of the archived document is what the PDF itself shows (`PublicFacts`), and whether a newer document
replaces it. The application's team and the archive's keepers see more (archive.permissions). Uploads are
limited per address and per signed-in user (VERIFY_RATE_LIMIT), look-ups per address
(VERIFY_LOOKUP_RATE_LIMIT), in app/archive/routes.py.
"""
from __future__ import annotations

import hashlib
import io
import logging
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask import current_app, request
from sqlalchemy import select

from app.archive.permissions import sees_archive_record
from app.core import audit
from app.core.sandbox import ChildFailed, LimitExceeded, Limits, run_limited
from app.documents.models import DOCUMENT_KINDS, Document
from app.extensions import db
from app.reviews.models import Decision
from app.submissions.workflow import OUTCOMES, State

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


def _actor(user: Any) -> Any:
    """The signed-in user, or None for a visitor without an account (public verification)."""
    return user if getattr(user, "is_authenticated", False) else None


def record_verification(result: VerificationResult, actor: Any) -> None:
    """Every check is in the audit trail, with what was found (a forged or altered copy is worth knowing of),
    and the address it came from (most checks are anonymous)."""
    audit.record("document.verified", actor=_actor(actor), object_type="document",
                 object_id=result.document.id if result.document else None,
                 submission_id=result.document.submission_id if result.document else None,
                 data={"sha256": result.sha256, "ok": result.ok, "reason": result.reason[:300],
                       "ip": request.remote_addr})
    db.session.commit()


def record_refusal(data: bytes, refused: VerificationRefused, actor: Any) -> None:
    """A file refused at a limit is audited too: repeated refusals are what an attack looks like."""
    audit.record("document.verification_refused", actor=_actor(actor), object_type="document", object_id=None,
                 data={"sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "reason": str(refused)[:300],
                       "ip": request.remote_addr})
    db.session.commit()


# A document identifier as printed in the PDF (a UUID): anything else is looked up no further.
_UID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def document_by_uid(uid: str) -> Document | None:
    """The archived document a verification link names (`?document=<uid>`), or None."""
    uid = uid.strip().lower()
    if not _UID.fullmatch(uid):
        return None
    return db.session.scalar(select(Document).where(Document.uid == uid))


@dataclass(frozen=True)
class PublicFacts:
    """What anyone may be told of an archived document: what the PDF itself shows on its cover (reference,
    title, round, kind, decision and dates), and whether it is the application's current document or a newer
    one replaces it (named by its identifier, as printed in that one). Nothing about people, reviews or files."""

    uid: str
    reference: str
    title: str
    round_number: int
    kind_label: str
    outcome_label: str | None
    decided_at: datetime | None
    issued_at: datetime
    # The application's newest document, when it is not this one.
    superseded_by: str | None
    # The approval this document gives: the last day it covers, and the day it lapsed once it has expired.
    valid_until: date | None = None
    lapsed_on: date | None = None


@dataclass(frozen=True)
class ShownDocument:
    """An archived document as a verification shows it to one viewer."""

    facts: PublicFacts
    # The archive's record (file sha256 and size, signing certificate, when archived): for those who may read it.
    record: Document | None


def shown_document(viewer: Any, document: Document) -> ShownDocument:
    return ShownDocument(public_facts(document), document if sees_archive_record(viewer, document) else None)


def public_facts(document: Document) -> PublicFacts:
    """The document's public facts, in three statements (its application, its round's decision, the newest
    document of its application)."""
    submission = document.submission
    decision = db.session.scalar(select(Decision).where(Decision.submission_id == document.submission_id,
                                                        Decision.round_number == document.round_number))
    newest = db.session.scalar(select(Document.uid).where(Document.submission_id == document.submission_id)
                               .order_by(Document.created_at.desc(), Document.id.desc()).limit(1))
    return PublicFacts(
        uid=document.uid, reference=submission.reference or "", title=submission.title,
        round_number=document.round_number, kind_label=DOCUMENT_KINDS.get(document.kind, document.kind),
        outcome_label=OUTCOMES.get(decision.outcome, decision.outcome) if decision else None,
        decided_at=decision.decided_at if decision else None, issued_at=document.created_at,
        superseded_by=newest if newest and newest != document.uid else None,
        valid_until=decision.valid_until if decision else None,
        lapsed_on=submission.approval_lapsed_on
        if submission.state == State.EXPIRED and document.round_number == submission.round_number else None,
    )


def trust_roots() -> list:
    from pyhanko.keys import load_cert_from_pemder

    roots = []
    for raw in (current_app.config.get("SIGNING_TRUST_ROOTS") or "").split(os.pathsep):
        path = Path(raw.strip()) if raw.strip() else None
        if path is not None and path.exists():
            roots.append(load_cert_from_pemder(str(path)))
    return roots


class VerificationRefused(Exception):
    """The file was not checked: checking it would cost more than the limits allow. The message says which."""


@dataclass(frozen=True)
class CheckLimits:
    max_objects: int
    max_inflated: int
    cpu_seconds: int
    memory_bytes: int

    @classmethod
    def from_config(cls) -> CheckLimits:
        config = current_app.config
        return cls(max_objects=config["VERIFY_MAX_OBJECTS"], max_inflated=config["VERIFY_MAX_INFLATED"],
                   cpu_seconds=config["VERIFY_CPU_SECONDS"], memory_bytes=config["VERIFY_MEMORY"])


# Every repetition bounded, so the scan is linear in the file's size whatever its bytes (a run of a million
# digits must not make the scan itself the denial of service).
_OBJECT = re.compile(rb"(?<!\d)\d{1,10}[ \t\r\n\f\0]{1,5}\d{1,5}[ \t\r\n\f\0]{1,5}obj\b")
_OBJECT_STREAM = re.compile(rb"<<[^<>]{0,512}/Type\s{0,5}/ObjStm[^<>]{0,512}>>")
_COUNT = re.compile(rb"/N\s{0,5}(\d{1,9})")
_XREF_SIZE = re.compile(rb"/Size\s{0,5}(\d{1,9})")


def declared_objects(data: bytes) -> int:
    """Objects the file declares: those in the open, those packed in object streams (/N each), and the largest
    cross-reference /Size, whichever is more. Read from the raw bytes, before any parsing or inflating."""
    loose = len(_OBJECT.findall(data))
    packed = sum(int(m.group(1)) for d in _OBJECT_STREAM.findall(data) for m in [_COUNT.search(d)] if m)
    sizes = [int(m) for m in _XREF_SIZE.findall(data)]
    return max(loose + packed, max(sizes, default=0))


_REFUSALS = {
    "inflated": "its compressed content inflates to more than {mb} MB",
    "cpu": "reading it took more than {cpu} seconds of processing",
    "time": "reading it took more than {wall} seconds",
    "memory": "reading it needed more than {memory_mb} MB of memory",
}


def _refusal(which: str, limits: CheckLimits) -> VerificationRefused:
    reason = _REFUSALS[which].format(mb=limits.max_inflated // (1024 * 1024), cpu=limits.cpu_seconds,
                                     wall=2 * limits.cpu_seconds, memory_mb=limits.memory_bytes // (1024 * 1024))
    return VerificationRefused(f"This file was not checked: {reason}. A Crucible assessment is far smaller; "
                               "upload the PDF exactly as it was downloaded from Crucible.")


def verify_pdf_bytes(data: bytes) -> VerificationResult:
    """The file's verification, or VerificationRefused when checking it would pass a limit (see above)."""
    limits = CheckLimits.from_config()
    objects = declared_objects(data)
    if objects > limits.max_objects:
        raise VerificationRefused(
            f"This file was not checked: it declares {objects} objects, more than the {limits.max_objects} "
            "allowed. A Crucible assessment has a few hundred."
        )
    digest = hashlib.sha256(data).hexdigest()
    result = VerificationResult(sha256=digest, size=len(data))
    roots = trust_roots()
    _import_pyhanko()  # in this process, once: the forked child inherits the modules
    sandbox = Limits(cpu_seconds=limits.cpu_seconds, memory_bytes=limits.memory_bytes,
                     wall_seconds=2 * limits.cpu_seconds)
    try:
        facts = run_limited(signature_facts, data, roots, limits.max_inflated, limits=sandbox)
    except LimitExceeded as exceeded:
        log.warning("verification refused: %s limit (sha256 %s, %d bytes)", exceeded.which, digest, len(data))
        raise _refusal(exceeded.which, limits) from None
    except ChildFailed as failed:
        log.warning("verification failed in its child process: %s", failed)
        facts = {"problems": ["the file could not be checked"]}
    if facts.get("refused"):
        raise _refusal(facts["refused"], limits)
    result.document = db.session.scalar(select(Document).where(Document.sha256 == digest))
    if result.document is None:
        result.problems.append("no archived document has this file's sha256")
    for name, value in facts.items():
        if name == "problems":
            result.problems.extend(value)
        else:
            setattr(result, name, value)
    return result


def _import_pyhanko() -> None:
    import pyhanko.pdf_utils.reader  # noqa: F401
    import pyhanko.sign.validation  # noqa: F401
    import pyhanko_certvalidator  # noqa: F401


def decode_limits(max_inflated: int):
    """pyHanko's limits for untrusted input, with the whole document's inflated bytes capped at max_inflated."""
    from dataclasses import replace

    from pyhanko.pdf_utils.decode_limits import DecodeLimits, DocumentDecodeBudget

    limits = DecodeLimits.for_untrusted_input()
    return replace(
        limits,
        per_stream=replace(limits.per_stream, max_output_size=max_inflated),
        document_budget=DocumentDecodeBudget(base_allowance=max_inflated, max_ratio=0),
    )


def signature_facts(data: bytes, roots: list, max_inflated: int) -> dict:
    """What pyHanko finds (run in the child process): VerificationResult's fields, as plain values, or
    {"refused": "inflated"} when the file inflates past max_inflated."""
    from pyhanko.pdf_utils.misc import PdfDecodeLimitError

    result = VerificationResult(sha256="", size=len(data))
    try:
        _check_signature(data, result, roots, max_inflated)
    except PdfDecodeLimitError:
        return {"refused": "inflated"}
    return {"signed": result.signed, "intact": result.intact, "valid": result.valid, "trusted": result.trusted,
            "whole_file": result.whole_file, "signer": result.signer, "signing_time": result.signing_time,
            "problems": result.problems}


def _check_signature(data: bytes, result: VerificationResult, roots: list, max_inflated: int) -> None:
    from pyhanko.pdf_utils.misc import PdfDecodeLimitError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False, decode_limits=decode_limits(max_inflated))
        signatures = reader.embedded_signatures
    except (PdfDecodeLimitError, MemoryError):
        raise  # a limit: the file is refused, not answered
    except Exception as error:  # noqa: BLE001 - a damaged or non-PDF upload is an answer, not a crash
        result.problems.append(f"the file could not be read as a PDF ({type(error).__name__})")
        return
    if not signatures:
        result.problems.append("the file has no signature")
        return
    result.signed = True
    if len(signatures) > 1:
        result.problems.append(f"the file has {len(signatures)} signatures; an assessment has exactly one")
    if not roots:
        result.problems.append("no trust root is configured (SIGNING_TRUST_ROOTS)")
    try:
        context = ValidationContext(trust_roots=roots, allow_fetching=False)
        status = validate_pdf_signature(signatures[0], context)
    except (PdfDecodeLimitError, MemoryError):
        raise
    except Exception as error:  # noqa: BLE001 - a signature that cannot be validated is an answer, not a crash
        log.info("signature validation raised %r", error)
        result.problems.append(f"the signature could not be validated ({type(error).__name__}: {str(error)[:200]})")
        return
    _record_status(result, status)


def _record_status(result: VerificationResult, status) -> None:
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

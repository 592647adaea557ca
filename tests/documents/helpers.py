"""Shared by tests/documents and tests/archive: a development PKI, decided applications built directly with
the models (the review routes are not needed), and re-creating archive rows for a PDF rendered once."""
from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.auth.models import User
from app.core.models import utcnow
from app.documents.models import Document
from app.extensions import db
from app.reviews.models import Assignment, Comment, Condition, Decision
from app.submissions.models import QuestionnaireVersion, Submission
from tests.factories import LOW_RISK_ANSWERS, create_application, fill_application, login, make_user
from tests.tools import require_tool

APPLICANT_COMMENT = "Please confirm the licence terms of the ICSD extract before publication."
COMMITTEE_COMMENT = "Committee only: the PI had a similar application declined in 2024, keep an eye on it."
COMMITTEE_REPLY = "Committee only reply: agreed, noted for the minutes."
CONDITION_TEXT = "Deposit the trained weights under a gated licence before publication."


@dataclass
class Decided:
    submission_id: int
    reference: str
    round_number: int
    owner: object
    chair: object
    reviewer: object


def configure_documents(app, pki: dict, archive_dir: Path) -> None:
    app.config.update(
        SIGNING_CERT=str(pki["signing_cert"]),
        SIGNING_KEY=str(pki["signing_key"]),
        SIGNING_KEY_PASSPHRASE=pki["passphrase"],
        SIGNING_CHAIN=str(pki["root_cert"]),
        SIGNING_TRUST_ROOTS=str(pki["root_cert"]),
        ARCHIVE_BACKEND="local",
        ARCHIVE_DIR=str(archive_dir),
        REDIS_URL=None,
        BASE_URL="https://ethics.example.ac.uk",
    )
    app.extensions.pop("crucible_archive_storage", None)


def decided_application(app, make_client, *, answers=None, title="Graph networks for perovskite band gaps",
                        outcome="approved_with_conditions", comments=True) -> Decided:
    owner = make_user(app, name="Dr Amara Okafor")
    client = make_client()
    login(client, owner)
    submission_id = create_application(client, title)
    fill_application(client, submission_id, answers or LOW_RISK_ANSWERS)
    response = client.post(f"/applications/{submission_id}/submit")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    chair = make_user(app, "chair", name="Prof. Sarah Lindqvist")
    reviewer = make_user(app, "reviewer", name="Prof. Helen Marsh")
    with app.app_context():
        submission = db.session.get(Submission, submission_id)
        number = submission.round_number
        now = utcnow()
        db.session.add(Assignment(submission_id=submission_id, round_number=number, reviewer_id=reviewer.id,
                                  kind="reviewer", coi_status="none", recommendation="approve_with_conditions",
                                  summary="Sound project; the **licence** question needs a condition.",
                                  completed_at=now))
        if comments:
            applicant_comment = Comment(submission_id=submission_id, round_number=number, question_id="B4",
                                        author_id=reviewer.id, body=APPLICANT_COMMENT, visibility="applicant",
                                        released_at=now)
            committee_comment = Comment(submission_id=submission_id, round_number=number, question_id="C11",
                                        author_id=reviewer.id, body=COMMITTEE_COMMENT, visibility="committee")
            db.session.add_all([applicant_comment, committee_comment])
            db.session.flush()
            # A reply wrongly marked "applicant" inside a committee thread must still stay out.
            db.session.add(Comment(submission_id=submission_id, round_number=number, author_id=chair.id,
                                   parent_id=committee_comment.id, body=COMMITTEE_REPLY, visibility="applicant"))
        decision = Decision(submission_id=submission_id, round_number=number, outcome=outcome,
                            summary="Approved, subject to the condition below.", decided_by_id=chair.id,
                            decided_at=now, signature_name=chair.name,
                            signature_meaning=("Approved with conditions — chair"
                                               if outcome == "approved_with_conditions"
                                               else f"{outcome.replace('_', ' ').capitalize()} — chair"))
        db.session.add(decision)
        db.session.flush()
        if outcome == "approved_with_conditions":
            db.session.add(Condition(decision_id=decision.id, submission_id=submission_id, text=CONDITION_TEXT,
                                     due_on=date(2027, 3, 31)))
        submission.state = outcome if outcome != "changes_requested" else "changes_requested"
        db.session.commit()
        return Decided(submission_id, submission.reference, number, owner, chair, reviewer)


def restore_document(app, meta: dict, *, created_at: datetime | None = None, owner_email: str | None = None,
                     reference: str | None = None) -> int:
    """Recreate the rows a rendered PDF refers to (after the per-test table cleanup) and return the Document id.

    The stored file itself lives in the archive directory, which tables cleanup does not touch.
    """
    with app.app_context():
        existing = db.session.scalar(select(Document).where(Document.sha256 == meta["sha256"]))
        if existing is not None:  # still there: restored in the same test that rendered it
            return existing.id
        owner = User(email=owner_email or f"owner-{meta['sha256'][:8]}@example.ac.uk", name="Archived Owner")
        owner.set_password("x" * 20)
        db.session.add(owner)
        qv = db.session.scalar(select(QuestionnaireVersion).limit(1))
        if qv is None:
            qv = QuestionnaireVersion(key="ml-materials-ethics", version=1, title="Q", sha256="0" * 64)
            db.session.add(qv)
        db.session.flush()
        submission = Submission(reference=reference or meta["reference"], title=meta.get("title", "Archived"),
                                owner_id=owner.id, questionnaire_version_id=qv.id, state="approved", round_number=1)
        db.session.add(submission)
        db.session.flush()
        document = Document(uid=meta["uid"], submission_id=submission.id, round_number=1, kind="decision",
                            sha256=meta["sha256"], size=meta["size"], storage_key=meta["storage_key"],
                            signed_by=meta.get("signed_by", "CN=test"), created_at=created_at or utcnow())
        db.session.add(document)
        db.session.commit()
        return document.id


def store_bytes(app, data: bytes, **meta) -> dict:
    from app.core.storage import get_storage

    with app.app_context():
        key = get_storage().put(data)
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "storage_key": key,
            "uid": meta.get("uid")
            or hashlib.md5(data, usedforsecurity=False).hexdigest()[:8] + "-0000-4000-8000-000000000000",
            "reference": meta.get("reference", "ETH-2026-9001"), "title": meta.get("title", "Archived")}


def nss_db(directory: Path, root_cert: Path) -> Path:
    """An NSS database trusting the development root, for poppler's pdfsig."""
    require_tool("certutil", "libnss3-tools")
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(["certutil", "-N", "-d", f"sql:{directory}", "--empty-password"], check=True,
                   capture_output=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{directory}", "-n", "Crucible Development Root CA",
                    "-t", "CT,C,C", "-i", str(root_cert)], check=True, capture_output=True)
    return directory


def pdfsig(pdf: Path, nssdir: Path) -> str:
    require_tool("pdfsig", "poppler-utils")
    result = subprocess.run(["pdfsig", "-nssdir", f"sql:{nssdir}", str(pdf)], capture_output=True, text=True)
    return result.stdout + result.stderr


def flip_byte(data: bytes, position: int | None = None) -> bytes:
    """Flip one byte inside the signed content (the middle of the document, away from the signature)."""
    position = len(data) // 3 if position is None else position
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1:]


def utc(year, month, day, hour=12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


PASSPHRASE = "test-signing-passphrase"
_shared: dict[str, Any] = {}


def shared_pki(tmp_path_factory) -> dict:
    """One development PKI for the whole session, shared by tests/documents and tests/archive."""
    from app.documents.signing import ensure_dev_certificates

    if "pki" not in _shared:
        directory = tmp_path_factory.mktemp("signing")
        paths = ensure_dev_certificates(directory, passphrase=PASSPHRASE)
        _shared["pki"] = {"root_cert": paths.root_cert, "signing_cert": paths.signing_cert,
                          "signing_key": paths.signing_key, "passphrase": PASSPHRASE, "dir": directory}
    return _shared["pki"]


def shared_archive_dir(tmp_path_factory) -> Path:
    if "archive" not in _shared:
        _shared["archive"] = tmp_path_factory.mktemp("archive")
    return _shared["archive"]

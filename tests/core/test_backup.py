"""`flask backup` / `flask restore`: a round trip keeps every answer, every archived document (by sha256) and a
verifying audit chain; restore refuses a database that holds rows and a damaged backup."""
from __future__ import annotations

import hashlib
import json
import uuid

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from app import create_app
from app.core import audit
from app.core.audit import AuditEvent, verify_chain
from app.core.backup import BackupError, backup, restore
from app.core.storage import get_storage
from app.documents import services as document_services
from app.documents.models import Document
from app.extensions import db
from app.submissions.models import Answer
from tests.databases import empty_database
from tests.helpers import (
    configure_documents,
    create_application,
    decided_application,
    login,
    make_user,
    post_section,
    shared_pki,
)


def _empty_database(app, tmp_path):
    return empty_database(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, "restored")


def _target_app(url, tmp_path, pki):
    target = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "INSTANCE_DIR": str(tmp_path),
                         "TESTING": True})
    configure_documents(target, pki, tmp_path / "restored-archive")
    with target.app_context():
        upgrade()  # restore expects a migrated database, as in production
    return target


def _snapshot() -> dict:
    answers = sorted(
        (a.submission_id, a.question_id, json.dumps(a.value, sort_keys=True), a.version, a.invalid_input)
        for a in db.session.scalars(select(Answer))
    )
    storage = get_storage()
    documents = sorted(
        (d.uid, d.sha256, hashlib.sha256(storage.get(d.storage_key)).hexdigest())
        for d in db.session.scalars(select(Document))
    )
    counts = {table.name: db.session.scalar(select(func.count()).select_from(table))
              for table in db.metadata.sorted_tables}
    head = db.session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    return {"answers": answers, "documents": documents, "counts": counts, "audit_head": head}


_rendered: dict[str, bytes] = {}


@pytest.fixture
def populated(app, make_client, tmp_path_factory):
    """Draft applications with answers (one with an invalid answer kept) and a decided one with its signed PDF."""
    pki = shared_pki(tmp_path_factory)
    configure_documents(app, pki, tmp_path_factory.mktemp("backup-archive"))
    owner = make_user(app, name="Dr Ines Varga")
    client = make_client()
    login(client, owner)
    for number in range(3):
        submission_id = create_application(client, f"Diffusion models for zeolites {number}")
        response = post_section(client, submission_id, "A", {
            "A1": f"Zeolite generation {number} — naïve “quotes” and ünïcode",
            "A1b": "We generate candidate frameworks.\nSecond line, with a tab\there.",
            "A2": "property_prediction", "A3": ["ukri"], "A4": "no"}, button="save")
        assert response.status_code in (200, 302)
    decided = decided_application(app, make_client)
    with app.app_context():
        if "pdf" not in _rendered:
            # Rendered and signed for real once per session; later tests archive the same bytes again.
            job = document_services.request_assessment(decided.submission_id, decided.round_number, "decision",
                                                       decided.chair.id, inline=True)
            assert job.status == "done", job.error
            _rendered["pdf"] = get_storage().get(db.session.get(Document, job.document_id).storage_key)
        else:
            data = _rendered["pdf"]
            document = Document(uid=str(uuid.uuid4()), submission_id=decided.submission_id,
                                round_number=decided.round_number, kind="decision",
                                sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                                storage_key=get_storage().put(data), signed_by="CN=test")
            db.session.add(document)
            db.session.flush()
            audit.record("document.created", actor=decided.chair.id, object_type="document",
                         object_id=document.id, submission_id=decided.submission_id)
            db.session.commit()
    return pki


def test_round_trip_keeps_answers_documents_and_audit_chain(app, populated, tmp_path):
    with app.app_context():
        before = _snapshot()
        assert before["documents"] and len(before["answers"]) > 10
        manifest = backup(tmp_path / "backup")
    assert {entry["name"]: entry["rows"] for entry in manifest["tables"]} == before["counts"]
    assert [entry["sha256"] for entry in manifest["archive"]] == [d[1] for d in before["documents"]]

    with _empty_database(app, tmp_path) as url:
        target = _target_app(url, tmp_path, populated)
        with target.app_context():
            restore(tmp_path / "backup")
            after = _snapshot()
            checked, problems = verify_chain()
            assert (checked, problems) == (before["counts"]["audit_event"], [])
            assert after == before
            # The archive holds the very bytes, and new rows get fresh ids (sequences moved past restored ids).
            for document in db.session.scalars(select(Document)):
                assert hashlib.sha256(get_storage().get(document.storage_key)).hexdigest() == document.sha256
            audit.record("backup.restored", object_type="system")
            db.session.commit()
            assert verify_chain()[1] == []
            db.session.remove()
            db.engine.dispose()


def test_restore_refuses_a_database_with_rows(app, populated, tmp_path):
    with app.app_context():
        backup(tmp_path / "backup")
        with pytest.raises(BackupError, match="empty database.*answer"):
            restore(tmp_path / "backup")


def test_restore_refuses_a_damaged_backup_and_writes_nothing(app, populated, tmp_path):
    with app.app_context():
        backup(tmp_path / "backup")
    answers = tmp_path / "backup" / "tables" / "answer.jsonl"
    answers.write_text(answers.read_text().replace("Zeolite", "Zeolyte"))
    pdf = next((tmp_path / "backup" / "archive").iterdir())
    pdf.chmod(0o644)
    pdf.write_bytes(pdf.read_bytes()[:-1] + b"X")
    with _empty_database(app, tmp_path) as url:
        target = _target_app(url, tmp_path, populated)
        with target.app_context():
            with pytest.raises(BackupError) as error:
                restore(tmp_path / "backup")
            assert "answer.jsonl does not match" in str(error.value)
            assert f"{pdf.name} does not match" in str(error.value)
            assert db.session.scalar(select(func.count()).select_from(Answer)) == 0
            db.session.remove()
            db.engine.dispose()


def test_backup_refuses_a_non_empty_directory(app, tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "file").write_text("x")
    with app.app_context(), pytest.raises(BackupError, match="not empty"):
        backup(tmp_path / "old")


def test_cli_round_trip_reports_counts(app, populated, tmp_path):
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "cli-backup")])
    assert result.exit_code == 0, result.output
    assert "Backup written to" in result.output and "1 archived files" in result.output
    result = app.test_cli_runner().invoke(args=["restore", str(tmp_path / "cli-backup")])
    assert result.exit_code == 1 and "restore needs an empty database" in result.output

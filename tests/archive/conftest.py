"""What the archive's tests share: a real signed assessment."""
from __future__ import annotations

import pytest

from tests.helpers import decided_application


@pytest.fixture(scope="module")
def signed_pdf(app, tmp_path_factory):
    """A real signed assessment, produced once through request_assessment (inline)."""
    from app.documents import services
    from tests.helpers import configure_documents, shared_archive_dir, shared_pki

    configure_documents(app, shared_pki(tmp_path_factory), shared_archive_dir(tmp_path_factory))
    decided = decided_application(app, app.test_client, comments=False, outcome="approved")
    with app.app_context():
        job = services.request_assessment(decided.submission_id, decided.round_number, "decision", None)
        assert job.status == "done", job.error
        document = job.document
        meta = {"uid": document.uid, "sha256": document.sha256, "size": document.size,
                "storage_key": document.storage_key, "reference": decided.reference, "title": "x"}
        return services.document_bytes(document), meta

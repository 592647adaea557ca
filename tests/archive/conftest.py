"""Fixtures for archive tests, shared with tests/documents: a development PKI, an archive directory."""
from __future__ import annotations

import pytest

from tests.documents.helpers import configure_documents, shared_archive_dir, shared_pki


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> dict:
    return shared_pki(tmp_path_factory)


@pytest.fixture(scope="session")
def archive_dir(tmp_path_factory):
    return shared_archive_dir(tmp_path_factory)


@pytest.fixture
def documents_app(app, pki, archive_dir):
    configure_documents(app, pki, archive_dir)
    return app

"""Write-once storage (local and a real S3-compatible server), search, BagIt export, verification page."""
from __future__ import annotations

import hashlib
import io
import os
import re
import socket
import stat
import zipfile

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.core.storage import LocalStorage, S3Storage, StorageError
from app.documents.models import Document
from app.extensions import db
from app.reviews.models import Decision
from tests.helpers import (
    UserRef,
    audit_events,
    flip_byte,
    login,
    make_user,
    page_text,
    restore_document,
    store_bytes,
    utc,
)

# ---------------------------------------------------------------- local storage


def test_local_storage_is_content_addressed_and_write_once(tmp_path):
    storage = LocalStorage(tmp_path)
    data = b"%PDF-1.7 first\n"
    key = storage.put(data)
    digest = hashlib.sha256(data).hexdigest()
    assert key == f"{digest[:2]}/{digest}.pdf"
    path = storage.path(key)
    assert path.read_bytes() == data
    assert not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)  # read-only
    assert storage.put(data) == key  # the same bytes again: nothing to do
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary files left behind
    assert storage.get(key) == data and b"".join(storage.iter_chunks(key)) == data


def test_local_storage_never_overwrites_different_content(tmp_path):
    storage = LocalStorage(tmp_path)
    data = b"%PDF-1.7 genuine\n"
    key = storage.put(data)
    path = storage.path(key)
    os.chmod(path, 0o644)
    path.write_bytes(b"tampered")
    with pytest.raises(StorageError, match="refusing to overwrite"):
        storage.put(data)
    assert path.read_bytes() == b"tampered"  # left for an operator to investigate, not replaced
    with pytest.raises(StorageError):
        storage.get("../../etc/passwd")


# ---------------------------------------------------------------- S3 (moto's server, really over HTTP)


@pytest.fixture(scope="module")
def s3_endpoint():
    moto_server = pytest.importorskip("moto.server")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    storage = S3Storage(f"archive-{os.urandom(4).hex()}", prefix="assessments/", endpoint_url=s3_endpoint,
                        region="us-east-1", access_key_id="testing", secret_access_key="testing")
    storage.client.create_bucket(Bucket=storage.bucket)
    return storage


def test_s3_storage_put_get_and_write_once(s3):
    data = b"%PDF-1.7 s3 document\n" * 1000
    key = s3.put(data)
    digest = hashlib.sha256(data).hexdigest()
    assert key == f"assessments/{digest[:2]}/{digest}.pdf"
    assert s3.exists(key) and s3.get(key) == data
    assert s3.put(data) == key
    head = s3.client.head_object(Bucket=s3.bucket, Key=key)
    assert head["Metadata"]["sha256"] == digest and head["ContentType"] == "application/pdf"
    # Someone replaced the object behind the app's back: storing the genuine bytes is refused, not overwritten.
    s3.client.put_object(Bucket=s3.bucket, Key=key, Body=b"tampered")
    with pytest.raises(StorageError, match="refusing to overwrite"):
        s3.put(data)


def test_s3_backend_serves_downloads(documents_app, make_client, s3):
    documents_app.config.update(ARCHIVE_BACKEND="s3", S3_BUCKET=s3.bucket, S3_PREFIX="assessments/",
                                S3_ENDPOINT_URL=s3.client.meta.endpoint_url, S3_REGION="us-east-1",
                                S3_ACCESS_KEY_ID="testing", S3_SECRET_ACCESS_KEY="testing")
    documents_app.extensions.pop("crucible_archive_storage", None)
    try:
        data = b"%PDF-1.7 stored in s3\n"
        meta = store_bytes(documents_app, data, reference="ETH-2026-0700")
        assert meta["storage_key"].startswith("assessments/")
        document_id = restore_document(documents_app, meta)
        coordinator = make_user(documents_app, "coordinator")
        client = make_client()
        login(client, coordinator)
        response = client.get(f"/archive/documents/{document_id}/download")
        assert response.status_code == 200 and response.data == data
    finally:
        documents_app.config["ARCHIVE_BACKEND"] = "local"
        documents_app.extensions.pop("crucible_archive_storage", None)


# ---------------------------------------------------------------- search and BagIt export


@pytest.fixture
def coordinator_client(documents_app, make_client):
    client = make_client()
    login(client, make_user(documents_app, "coordinator"))
    return client


def _archived(app, n: int, when, reference: str, outcome: str = "approved") -> int:
    meta = store_bytes(app, f"%PDF-1.7 archived document {n}\n".encode() * 50, reference=reference,
                       uid=f"0000000{n}-0000-4000-8000-000000000000")
    document_id = restore_document(app, meta, created_at=when, owner_email=f"applicant{n}@example.ac.uk",
                                   reference=reference)
    with app.app_context():
        document = db.session.get(Document, document_id)
        chair = make_user(app, "chair")
        db.session.add(Decision(submission_id=document.submission_id, round_number=1, outcome=outcome,
                                decided_by_id=chair.id, signature_name="Chair", signature_meaning="Approved — chair"))
        db.session.commit()
    return document_id


def test_search_filters(documents_app, coordinator_client):
    _archived(documents_app, 1, utc(2026, 1, 10), "ETH-2026-0101", "approved")
    _archived(documents_app, 2, utc(2026, 2, 10), "ETH-2026-0102", "rejected")
    _archived(documents_app, 3, utc(2026, 3, 10), "ETH-2026-0103", "approved_with_conditions")

    def refs(query: str) -> set[str]:
        html = coordinator_client.get("/archive?" + query).get_data(as_text=True)
        return {r for r in ("ETH-2026-0101", "ETH-2026-0102", "ETH-2026-0103") if r in html}

    assert refs("") == {"ETH-2026-0101", "ETH-2026-0102", "ETH-2026-0103"}
    assert refs("reference=0102") == {"ETH-2026-0102"}
    assert refs("outcome=rejected") == {"ETH-2026-0102"}
    assert refs("applicant=applicant3%40") == {"ETH-2026-0103"}
    assert refs("date_from=2026-02-01&date_to=2026-02-28") == {"ETH-2026-0102"}
    assert refs("title=nothing-like-this") == set()
    assert refs("reference=%25") == set()  # LIKE wildcards are literal


def test_each_document_shows_the_outcome_it_states(documents_app, coordinator_client, make_client):
    """The assessment issued when every condition was met says "Approved (all conditions met)" in the archive, as
    in the PDF; the decision before it says "Approved with conditions"."""
    decision_id = _archived(documents_app, 7, utc(2026, 4, 1), "ETH-2026-0107", "approved_with_conditions")
    met = store_bytes(documents_app, b"%PDF-1.7 conditions met\n" * 50, reference="ETH-2026-0107",
                      uid="00000008-0000-4000-8000-000000000000")
    with documents_app.app_context():
        decision_document = db.session.get(Document, decision_id)
        db.session.add(Document(uid=met["uid"], submission_id=decision_document.submission_id, round_number=1,
                                kind="conditions_met", sha256=met["sha256"], size=met["size"],
                                storage_key=met["storage_key"], signed_by="CN=test", created_at=utc(2026, 4, 2)))
        submission_id = decision_document.submission_id
        owner_email = decision_document.submission.owner.email
        db.session.commit()
    _archived(documents_app, 9, utc(2026, 4, 3), "ETH-2026-0109", "approved")

    def outcomes(query: str) -> list[tuple[str, str]]:
        html = coordinator_client.get("/archive?" + query).get_data(as_text=True)
        rows = re.findall(r"<tr>\s*<td>(ETH-[\d-]+)</td>.*?</tr>", html, flags=re.S)
        cells = re.findall(r"<tr>\s*<td>ETH-[\d-]+</td>(.*?)</tr>", html, flags=re.S)
        return [(ref, next(label for label in ("Approved (all conditions met)", "Approved with conditions",
                                               "Approved") if f"<td>{label}</td>" in cell))
                for ref, cell in zip(rows, cells, strict=True)]

    assert outcomes("") == [("ETH-2026-0109", "Approved"), ("ETH-2026-0107", "Approved (all conditions met)"),
                            ("ETH-2026-0107", "Approved with conditions")]
    assert outcomes("outcome=conditions_met") == [("ETH-2026-0107", "Approved (all conditions met)")]
    assert outcomes("outcome=approved_with_conditions") == [("ETH-2026-0107", "Approved with conditions")]
    assert outcomes("outcome=approved") == [("ETH-2026-0109", "Approved")]
    search = coordinator_client.get("/archive").get_data(as_text=True)
    assert '<option value="conditions_met">Approved (all conditions met)</option>' in search

    # The application's own list of documents shows each one's outcome too.
    owner = make_client()
    with documents_app.app_context():
        user = db.session.scalar(select(User).where(User.email == owner_email))
        user.set_password("correct horse battery staple")
        db.session.commit()
        owner_id = user.id
    login(owner, UserRef(owner_id, owner_email, "Archived Owner", "correct horse battery staple"))
    listing = owner.get(f"/applications/{submission_id}/documents")
    assert listing.status_code == 200
    text = page_text(listing)
    assert "Conditions confirmed met Approved (all conditions met)" in text
    assert "Decision Approved with conditions" in text


def test_bagit_export_of_a_date_range(documents_app, coordinator_client):
    inside = [_archived(documents_app, 4, utc(2026, 5, 1, 0), "ETH-2026-0201"),
              _archived(documents_app, 5, utc(2026, 5, 31, 23), "ETH-2026-0202")]
    _archived(documents_app, 6, utc(2026, 6, 1, 0), "ETH-2026-0203")
    response = coordinator_client.post("/archive/export", data={"date_from": "2026-05-01", "date_to": "2026-05-31"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/zip"
    bag = zipfile.ZipFile(io.BytesIO(response.data))
    root = "crucible-assessments-2026-05-01-to-2026-05-31/"
    names = set(bag.namelist())
    for required in ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt",
                     "data/documents.json"):
        assert root + required in names
    assert bag.read(root + "bagit.txt").decode() == "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    manifest = [line.split("  ", 1) for line in bag.read(root + "manifest-sha256.txt").decode().splitlines()]
    payload = {path for _, path in manifest}
    assert {p for p in payload if p.endswith(".pdf")} == {
        "data/ETH-2026-0201/ETH-2026-0201-round1-decision.pdf", "data/ETH-2026-0202/ETH-2026-0202-round1-decision.pdf"}
    octets = 0
    for digest, path in manifest:
        content = bag.read(root + path)
        assert hashlib.sha256(content).hexdigest() == digest, path
        octets += len(content)
    assert payload == {n[len(root):] for n in names if n.startswith(root + "data/")}  # every payload file listed
    info = bag.read(root + "bag-info.txt").decode()
    assert f"Payload-Oxum: {octets}.{len(manifest)}" in info
    for line in bag.read(root + "tagmanifest-sha256.txt").decode().splitlines():
        digest, path = line.split("  ", 1)
        assert hashlib.sha256(bag.read(root + path)).hexdigest() == digest
    with documents_app.app_context():
        stored = {d.sha256 for d in db.session.scalars(select(Document).where(Document.id.in_(inside)))}
    assert stored <= {digest for digest, _ in manifest}


def test_the_export_form_opens_bare_and_from_a_search(coordinator_client):
    bare = coordinator_client.get("/archive/export")
    assert bare.status_code == 200
    html = bare.get_data(as_text=True)
    for label in ("First day archived", "Last day archived (inclusive)", "Outcome", "Documents",
                  "Download the bag (zip)"):
        assert label in html, label
    assert 'name="csrf_token"' in html
    # The archive links to it with its search's dates and outcome filled in.
    search = coordinator_client.get("/archive?date_from=2026-05-01&outcome=rejected").get_data(as_text=True)
    assert 'href="/archive/export?date_from=2026-05-01&amp;outcome=rejected"' in search
    filled = coordinator_client.get("/archive/export?date_from=2026-05-01&outcome=rejected").get_data(as_text=True)
    assert 'value="2026-05-01"' in filled and '<option selected value="rejected">' in filled


@pytest.mark.parametrize("form, field, message", [
    ({}, "date_from", "Enter the first day to export."),
    ({"date_from": "2026-05-02"}, "date_to", "Enter the last day to export."),
    ({"date_from": "2026-05-02", "date_to": "2026-05-01"}, "date_to",
     "The last day must be the same as the first day or after it."),
    ({"date_from": "x", "date_to": "2026-05-01"}, "date_from",
     "Enter the date as year-month-day, for example 2026-01-31."),
    ({"date_from": "2010-01-01", "date_to": "2026-05-01"}, "date_to", "Export at most ten years at a time."),
    ({"date_from": "2026-05-01", "date_to": "2026-05-02", "outcome": "maybe"}, "outcome",
     "Choose an outcome from the list."),
])
def test_the_export_form_says_what_is_wrong(documents_app, coordinator_client, form, field, message):
    response = coordinator_client.post("/archive/export", data=form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "There is a problem" in html and f'<a href="#{field}">{message}</a>' in html
    assert f'id="{field}-error"' in html
    assert audit_events(documents_app, "archive.exported") == []


def test_the_export_needs_the_form_token(coordinator_client):
    response = coordinator_client.post("/archive/export", data={"date_from": "2026-05-01", "date_to": "2026-05-31"},
                                       csrf=False)
    assert response.status_code == 400


def test_the_export_chooses_by_outcome_and_kind_and_is_audited(documents_app, coordinator_client):
    _archived(documents_app, 4, utc(2026, 7, 1), "ETH-2026-0301", "approved")
    _archived(documents_app, 5, utc(2026, 7, 2), "ETH-2026-0302", "rejected")
    rejected = coordinator_client.post("/archive/export", data={"date_from": "2026-07-01", "date_to": "2026-07-31",
                                                               "outcome": "rejected"})
    assert rejected.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(rejected.data)).namelist()
    assert [n for n in names if n.endswith(".pdf")] == [
        "crucible-assessments-2026-07-01-to-2026-07-31/data/ETH-2026-0302/ETH-2026-0302-round1-decision.pdf"]
    info = zipfile.ZipFile(io.BytesIO(rejected.data)).read(
        "crucible-assessments-2026-07-01-to-2026-07-31/bag-info.txt").decode()
    assert "archived from 2026-07-01 to 2026-07-31 (inclusive), decision: Rejected" in info
    none = coordinator_client.post("/archive/export", data={"date_from": "2026-07-01", "date_to": "2026-07-31",
                                                           "kind": "conditions_met"})
    assert not [n for n in zipfile.ZipFile(io.BytesIO(none.data)).namelist() if n.endswith(".pdf")]
    events = audit_events(documents_app, "archive.exported")
    assert [(e["data"]["outcome"], e["data"]["kind"], e["data"]["documents"]) for e in events] == [
        ("rejected", None, 1), (None, "conditions_met", 0)]


# ---------------------------------------------------------------- verification page


def _upload(client, data: bytes, name="assessment.pdf"):
    return client.post("/verify", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_verify_page_authentic_document(documents_app, make_client, signed_pdf):
    data, meta = signed_pdf
    restore_document(documents_app, meta)
    client = make_client()
    login(client, make_user(documents_app, "coordinator"))
    html = _upload(client, data).get_data(as_text=True)
    assert "Authentic: signature intact and archived" in html
    assert "Crucible Development Signing Certificate" in html
    assert meta["uid"] in html


def test_verify_page_tampered_and_unarchived(documents_app, make_client, signed_pdf):
    data, meta = signed_pdf
    restore_document(documents_app, meta)
    client = make_client()
    login(client, make_user(documents_app))  # any signed-in user
    html = _upload(client, flip_byte(data)).get_data(as_text=True)
    assert "Not verified" in html
    assert "no archived document" in html
    # An intact file of an application this user cannot read: what its cover shows, not the archive's record.
    html = _upload(client, data).get_data(as_text=True)
    assert "Authentic" in html and meta["uid"] in html
    assert "Signing certificate" not in html and "Download the archived PDF" not in html
    assert "Choose the PDF" in client.post("/verify", data={}).get_data(as_text=True)


def test_verify_page_size_limit(documents_app, make_client):
    client = make_client()
    login(client, make_user(documents_app))
    documents_app.config["MAX_UPLOAD"] = 100 * 1024
    try:
        response = _upload(client, b"%PDF" + b"0" * (300 * 1024))
        assert response.status_code == 413
        # Larger than the app-wide MAX_CONTENT_LENGTH (2 MiB) but within MAX_UPLOAD is accepted by this page.
        documents_app.config["MAX_UPLOAD"] = 4 * 1024 * 1024
        response = _upload(client, b"%PDF" + b"0" * (3 * 1024 * 1024))
        assert response.status_code == 200 and "Not verified" in response.get_data(as_text=True)
    finally:
        documents_app.config["MAX_UPLOAD"] = 20 * 1024 * 1024

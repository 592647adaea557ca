"""The real signed PDF, rendered once for the module through `flask render-pdf`, opened with real tools."""
from __future__ import annotations

import copy
import http.server
import io
import json
import re
import subprocess
import threading
import time

import pytest
from sqlalchemy import select

from app.core.audit import AuditEvent
from app.documents.models import Document, RenderJob
from app.extensions import db
from app.submissions.models import Round
from tests.helpers import (
    APPLICANT_COMMENT,
    COMMITTEE_COMMENT,
    COMMITTEE_REPLY,
    CONDITION_TEXT,
    LOW_RISK_ANSWERS,
    configure_documents,
    decided_application,
    flip_byte,
    nss_db,
    pdfsig,
    restore_document,
)
from tests.tools import require_tool

TITLE = "Graph networks <em>for</em> perovskites & “band gaps”"


class _Probe(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - the name http.server calls for a GET
        _Probe.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def probe():
    _Probe.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Probe)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _hostile_answers(base: str) -> dict:
    answers = copy.deepcopy(LOW_RISK_ANSWERS)
    answers["A"]["A1"] = TITLE
    answers["A"]["A1b"] = (
        f"We train a graph network. ![diagram]({base}/markdown-image.png) "
        f'<img src="{base}/raw-img.png"> <img src="file:///etc/passwd"> '
        f'<link rel="stylesheet" href="{base}/style.css"> <script>alert("x")</script> '
        f"[paper]({base}/link) and file:///etc/shadow"
    )
    answers["B"]["B4"] = f"Materials Project, see {base}/dataset and file:///etc/passwd <b>not bold</b> ≥ 95 % ✓"
    answers["C"]["C11"] = f'<iframe src="{base}/frame"></iframe> Weights shared on request.'
    return answers


@pytest.fixture(scope="module")
def rendered(app, pki, archive_dir, probe, tmp_path_factory):
    configure_documents(app, pki, archive_dir)
    decided = decided_application(app, app.test_client, answers=_hostile_answers(probe), title=TITLE)
    out = tmp_path_factory.mktemp("pdf") / "assessment.pdf"
    started = time.perf_counter()
    result = app.test_cli_runner().invoke(args=["render-pdf", decided.reference, "-o", str(out)])
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output + repr(result.exception)
    with app.app_context():
        round_ = db.session.scalar(select(Round).where(Round.submission_id == decided.submission_id))
        document = db.session.scalar(select(Document))
        job = db.session.scalar(select(RenderJob))
        head_events = db.session.scalars(select(AuditEvent.hash).order_by(AuditEvent.id)).all()
        info = {
            "answers": round_.answers, "risk_profile": round_.risk_profile,
            "footprint": getattr(round_, "footprint", None), "round_sha256": round_.sha256,
            "meta": {"uid": document.uid, "sha256": document.sha256, "size": document.size,
                     "storage_key": document.storage_key, "signed_by": document.signed_by,
                     "reference": decided.reference, "title": "Archived"},
            "audit_head": document.audit_head, "audit_hashes": head_events,
            "job": {"status": job.status, "attempts": job.attempts},
            "actions": db.session.scalars(select(AuditEvent.action)).all(),
        }
    data = out.read_bytes()
    require_tool("pdftotext", "poppler-utils")
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True).stdout
    return {"path": out, "pdf": data, "text": text, "decided": decided, "elapsed": elapsed, **info}


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_render_pdf_cli_archives_a_signed_document(rendered):
    assert rendered["job"] == {"status": "done", "attempts": 1}
    assert "document.created" in rendered["actions"]
    assert rendered["pdf"].startswith(b"%PDF-")
    assert len(rendered["pdf"]) == rendered["meta"]["size"]
    # Rendering plus signing of this 8-page document stays well within a request's patience.
    assert rendered["elapsed"] < 15


def test_text_of_every_part_is_present(rendered):
    text = _squash(rendered["text"])
    reference = rendered["decided"].reference
    for expected in [
        reference,
        TITLE,  # escaped, printed literally
        "Approved with conditions",
        CONDITION_TEXT,
        "Risk profile",
        "Environmental impact statement",
        "Answers",
        "Reviewers' recommendations",
        "Approve with conditions",
        APPLICANT_COMMENT,
        "Approved with conditions — chair",
        "Prof. Sarah Lindqvist",
        "Dr Amara Okafor",
        "History",
        "Submitted",
        "Page 1 of",
        "≥ 95 % ✓",
        "Weights shared on request.",
    ]:
        assert expected in text, expected
    # Long identifiers wrap across lines: compare without whitespace.
    compact = re.sub(r"\s+", "", text)
    for expected in [rendered["meta"]["uid"], rendered["audit_head"], rendered["round_sha256"],
                     f"https://ethics.example.ac.uk/verify?document={rendered['meta']['uid']}"]:
        assert expected in compact, expected
    pages = int(re.search(r"Page 1 of (\d+)", text).group(1))
    assert f"Page {pages} of {pages}" in text
    # The footer carries the reference on every page.
    assert rendered["text"].count(reference) >= pages
    # The audit chain head printed is a real event of the chain.
    assert rendered["audit_head"] in rendered["audit_hashes"]


def test_committee_only_comments_never_reach_the_pdf(rendered):
    text = _squash(rendered["text"])
    assert COMMITTEE_COMMENT not in text
    assert COMMITTEE_REPLY not in text
    assert "Committee only" not in text
    assert b"Committee only" not in rendered["pdf"]
    # Reviewers are anonymous to the applicant, who downloads this same document.
    assert "Prof. Helen Marsh" not in text
    assert "Reviewer 1" in text


def test_user_markup_is_escaped_or_sanitised(rendered):
    text = _squash(rendered["text"])
    assert 'alert("x")' not in text  # <script> removed by the sanitiser (Markdown answer)
    assert "<b>" not in text and "not bold" in text  # allowed Markdown HTML is rendered, not printed
    assert "We train a graph network." in text


def test_nothing_outside_static_was_fetched(rendered):
    from app.documents.render import STATIC_DIR, StaticOnlyFetcher

    assert _Probe.hits == []
    for url in ["file:///etc/passwd", "http://127.0.0.1:9/x.png", "https://example.org/a.css",
                "file:///work/../etc/passwd", "data:text/plain,hello"]:
        fetcher = StaticOnlyFetcher()
        with pytest.raises(ValueError):
            fetcher.fetch(url)
        assert fetcher.refused == [url]
    allowed = StaticOnlyFetcher()
    assert allowed.fetch((STATIC_DIR / "css" / "assessment.css").as_uri()).status == 200


def test_json_attachment_equals_the_frozen_round(rendered):
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(rendered["pdf"]))
    assert list(reader.attachments) == ["assessment.json"]
    (payload,) = reader.attachments["assessment.json"]
    data = json.loads(payload)
    assert data["answers"] == rendered["answers"]
    assert data["risk_profile"] == rendered["risk_profile"]
    assert data["footprint"] == rendered["footprint"]
    assert data["round_sha256"] == rendered["round_sha256"]
    assert data["reference"] == rendered["decided"].reference
    assert data["document"] == rendered["meta"]["uid"]
    assert data["decision"]["outcome"] == "approved_with_conditions"
    assert data["decision"]["conditions"][0]["text"] == CONDITION_TEXT
    assert data["decision"]["signatures"][0]["meaning"] == "Approved with conditions — chair"
    assert COMMITTEE_COMMENT not in payload.decode()


def test_pdfa_identification_output_intent_and_associated_file(rendered):
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(rendered["pdf"]))
    root = reader.trailer["/Root"]
    intents = root["/OutputIntents"]
    assert len(intents) >= 1 and intents[0].get_object()["/S"] == "/GTS_PDFA1"
    af = root["/AF"]
    assert len(af) == 1  # WeasyPrint's duplicate entry removed
    assert af[0].get_object()["/AFRelationship"] == "/Data"
    metadata = root["/Metadata"].get_object().get_data().decode()
    assert re.search(r"pdfaid:part(>|=\")3", metadata)
    assert re.search(r"pdfaid:conformance(>|=\")A", metadata)  # level A: tagged, for screen readers
    info = reader.trailer.get("/Info")
    producer = info.get_object().get("/Producer") if info else None
    if producer is not None:  # Info and XMP must agree for PDF/A
        assert str(producer) in metadata
    require_tool("pdfinfo", "poppler-utils")
    meta = subprocess.run(["pdfinfo", "-meta", str(rendered["path"])], capture_output=True, text=True).stdout
    assert "pdfaid" in meta
    require_tool("qpdf", "qpdf")
    check = subprocess.run(["qpdf", "--check", str(rendered["path"])], capture_output=True, text=True)
    assert check.returncode in (0, 3), check.stdout + check.stderr  # 3: warnings only


def _structure(node, found: list) -> list:
    """The structure elements under node in reading order, as plain dicts (type, alternative text, attributes)."""
    node = node.get_object()
    kids = node.get("/K")
    if kids is None:
        return found
    if not isinstance(kids, list):
        kids = [kids]
    for kid in kids:
        if isinstance(kid, int):
            continue  # marked content on the page
        kid = kid.get_object()
        if kid.get("/Type") in ("/MCR", "/OBJR"):
            continue
        attributes = kid.get("/A")
        found.append({"type": str(kid["/S"]).lstrip("/"), "alt": str(kid.get("/Alt", "")),
                      "id": str(kid.get("/ID", "")),
                      "headers": [str(h) for h in attributes.get_object().get("/Headers", [])] if attributes else []})
        _structure(kid, found)
    return found


def test_signed_pdf_is_tagged_for_screen_readers(rendered):
    from pypdf import PdfReader

    root = PdfReader(io.BytesIO(rendered["pdf"])).trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"].value is True
    assert str(root["/Lang"]) == "en-GB"
    assert root["/ViewerPreferences"]["/DisplayDocTitle"].value is True
    elements = _structure(root["/StructTreeRoot"], [])
    types = [element["type"] for element in elements]
    assert types[0] == "Document"
    # One title heading, before the chapters' headings, then the answers' sections.
    assert types.count("H1") == 1 and types.index("H1") < types.index("H2") < types.index("H3")
    for expected in ("Table", "THead", "TBody", "TR", "TH", "TD", "L", "LI", "P", "Figure"):
        assert expected in types, expected
    # Data cells name their header cells (from <th scope>), so a reader announces the column or question.
    header_ids = {element["id"] for element in elements if element["type"] == "TH"}
    cells = [element for element in elements if element["type"] == "TD"]
    assert all(element["id"] for element in elements if element["type"] == "TH")
    assert all(cell["headers"] and set(cell["headers"]) <= header_ids for cell in cells)
    (chart,) = [element for element in elements if element["type"] == "Figure"]
    assert chart["alt"].startswith("Risk points per category")
    assert re.search(r"\w[^:;]*: \d+ pt · (Low|Medium|High)", chart["alt"]), chart["alt"]

    require_tool("pdfinfo", "poppler-utils")
    info = subprocess.run(["pdfinfo", str(rendered["path"])], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.MULTILINE), info


def test_fonts_are_the_shipped_ones_and_embedded(rendered):
    require_tool("pdffonts", "poppler-utils")
    output = subprocess.run(["pdffonts", str(rendered["path"])], capture_output=True, text=True, check=True).stdout
    rows = output.splitlines()[2:]
    assert rows
    for row in rows:
        parts = row.split()
        assert parts[-5] == "yes", row  # emb
        assert "+Crucible-" in parts[0], row


def test_signed_incrementally_over_the_unsigned_pdfa(rendered):
    data = rendered["pdf"]
    first_eof = data.index(b"%%EOF") + len(b"%%EOF")
    assert data.count(b"%%EOF") >= 2
    unsigned = data[:first_eof]
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(unsigned + b"\n"))
    assert "/AcroForm" not in reader.trailer["/Root"]
    assert reader.attachments


def test_pyhanko_intact_trusted_and_archived(rendered, documents_app):
    from app.archive.services.verification import verify_pdf_bytes

    restore_document(documents_app, rendered["meta"])
    with documents_app.app_context():
        result = verify_pdf_bytes(rendered["pdf"])
        assert result.intact and result.valid and result.trusted and result.whole_file, result.problems
        assert result.ok, result.reason
        assert "Crucible Development Signing Certificate" in result.signer
        assert result.signing_time is not None
        assert result.document.uid == rendered["meta"]["uid"]


def test_untrusted_root_is_reported(rendered, documents_app, pki, archive_dir, tmp_path):
    from app.archive.services.verification import verify_pdf_bytes
    from app.documents.signing import ensure_dev_certificates

    other = ensure_dev_certificates(tmp_path / "other")
    documents_app.config["SIGNING_TRUST_ROOTS"] = str(other.root_cert)
    try:
        with documents_app.app_context():
            result = verify_pdf_bytes(rendered["pdf"])
    finally:
        configure_documents(documents_app, pki, archive_dir)
    assert result.intact and not result.trusted and not result.ok
    assert "trusted root" in result.reason


def test_verify_pdf_cli_valid_then_one_flipped_byte_fails(rendered, documents_app, tmp_path):
    restore_document(documents_app, rendered["meta"])
    runner = documents_app.test_cli_runner()
    good = runner.invoke(args=["verify-pdf", str(rendered["path"])])
    assert good.exit_code == 0, good.output
    assert "VALID" in good.output and "Crucible Development Signing Certificate" in good.output

    flipped = tmp_path / "flipped.pdf"
    flipped.write_bytes(flip_byte(rendered["pdf"]))
    bad = runner.invoke(args=["verify-pdf", str(flipped)])
    assert bad.exit_code == 1
    assert "INVALID" in bad.output
    assert "no archived document" in bad.output

    unknown = tmp_path / "unknown.pdf"
    unknown.write_bytes(b"%PDF-1.7\nnot really\n%%EOF\n")
    assert runner.invoke(args=["verify-pdf", str(unknown)]).exit_code == 1


def test_pdfsig_valid_and_trusted_then_digest_mismatch(rendered, pki, tmp_path):
    nssdir = nss_db(tmp_path / "nss", pki["root_cert"])
    output = pdfsig(rendered["path"], nssdir)
    assert "Signature is Valid." in output, output
    assert "Certificate is Trusted." in output, output
    flipped = tmp_path / "flipped.pdf"
    flipped.write_bytes(flip_byte(rendered["pdf"]))
    output = pdfsig(flipped, nssdir)
    assert "Signature is Valid." not in output, output

"""Searching the archive and exporting a date range as a BagIt bag (zip), streamed."""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from app.archive.permissions import document_visible
from app.auth.models import User
from app.core import audit, lists
from app.core.permissions import Resource
from app.core.storage import get_storage
from app.documents.models import DOCUMENT_KINDS, Document
from app.documents.services import document_filename
from app.extensions import db
from app.reviews.models import Decision
from app.submissions.models import Submission
from app.submissions.services import PAGE_LOAD_OPTIONS
from app.submissions.workflow import ALL_CONDITIONS_MET, OUTCOMES

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

BAGIT_VERSION = "1.0"
PER_PAGE = 25
# The outcome each archived document states, as the archive lists and filters it: the chair's decision, except
# the assessment issued when the last condition was confirmed met, which says the application is approved.
CONDITIONS_MET = "conditions_met"
DOCUMENT_OUTCOMES = {"approved": OUTCOMES["approved"], CONDITIONS_MET: ALL_CONDITIONS_MET,
                     **{key: label for key, label in OUTCOMES.items() if key != "approved"}}


def document_outcome(document: Document, decision: Decision | None) -> str:
    """What `document` says the outcome is (`decision`: the decision on its round, if any)."""
    if document.kind == CONDITIONS_MET:
        return ALL_CONDITIONS_MET
    return OUTCOMES.get(decision.outcome, decision.outcome) if decision else ""


@dataclass
class SearchFilters:
    reference: str = ""
    title: str = ""
    applicant: str = ""
    outcome: str = ""
    date_from: date | None = None
    date_to: date | None = None


def page_document(document_id: int) -> Document | None:
    """The document with its application and team, which say who may download it."""
    return db.session.scalar(select(Document).where(Document.id == document_id)
                             .options(joinedload(Document.submission).options(*PAGE_LOAD_OPTIONS)))


# A document follows its application: 404 unless the user may know the application.
DOCUMENT: Resource[Document] = Resource("document", load=page_document, visible=document_visible)


@dataclass(frozen=True)
class ExportChoice:
    """What an export holds: the documents archived from `date_from` to `date_to` (inclusive), of one decision
    outcome and one kind of document when those are given."""

    date_from: date
    date_to: date
    outcome: str = ""
    kind: str = ""

    def described(self) -> str:
        """In words, for the bag's description."""
        words = f"archived from {self.date_from.isoformat()} to {self.date_to.isoformat()} (inclusive)"
        if self.outcome in OUTCOMES:
            words += f", decision: {OUTCOMES[self.outcome]}"
        if self.kind in DOCUMENT_KINDS:
            words += f", documents: {DOCUMENT_KINDS[self.kind]}"
        return words


def record_export(actor: User, name: str, choice: ExportChoice, documents: list[dict]) -> None:
    """Exports leave the building: each one is in the audit trail, with what was chosen."""
    audit.record("archive.exported", actor=actor, object_type="archive", object_id=name,
                 data={"from": choice.date_from.isoformat(), "to": choice.date_to.isoformat(),
                       "outcome": choice.outcome or None, "kind": choice.kind or None, "documents": len(documents)})
    db.session.commit()


def _like(text: str) -> str:
    return "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _matching(statement: Select, filters: SearchFilters, *, joined: bool) -> Select:
    """`statement` (over Document) narrowed to the documents `filters` match, newest first. Joins only what the
    filters need, unless `joined` says the application and applicant are joined already: the count reads up to
    lists.COUNT_LIMIT matches, and a join per row it does not need doubles its cost."""
    if not joined and (filters.reference or filters.title or filters.applicant):
        statement = statement.join(Submission, Submission.id == Document.submission_id)
    if not joined and filters.applicant:
        statement = statement.join(User, User.id == Submission.owner_id)
    if filters.reference:
        statement = statement.where(func.lower(Submission.reference).like(_like(filters.reference), escape="\\"))
    if filters.title:
        statement = statement.where(func.lower(Submission.title).like(_like(filters.title), escape="\\"))
    if filters.applicant:
        pattern = _like(filters.applicant)
        statement = statement.where(or_(func.lower(User.name).like(pattern, escape="\\"),
                                        func.lower(User.email).like(pattern, escape="\\")))
    if filters.outcome == CONDITIONS_MET:
        statement = statement.where(Document.kind == CONDITIONS_MET)
    elif filters.outcome in OUTCOMES:
        # The assessment of conditions met says "approved", not the decision's "approved with conditions".
        statement = statement.join(Decision, and_(Decision.submission_id == Document.submission_id,
                                                  Decision.round_number == Document.round_number)
                                   ).where(Decision.outcome == filters.outcome, Document.kind != CONDITIONS_MET)
    statement = _date_range(statement, filters.date_from, filters.date_to)
    return statement.order_by(Document.created_at.desc(), Document.id.desc())


def search_statement(filters: SearchFilters) -> Select:
    """The documents `filters` match, each with its application and applicant (a row shows both), read by the
    page's one query."""
    statement = (
        select(Document)
        .join(Submission, Submission.id == Document.submission_id)
        .join(User, User.id == Submission.owner_id)
        .options(contains_eager(Document.submission).contains_eager(Submission.owner))
    )
    return _matching(statement, filters, joined=True)


def search_page(filters: SearchFilters) -> tuple[Pagination, bool]:
    """The page of search results the request asks for (?page=), and whether more documents match than its
    total says: the total is counted up to lists.COUNT_LIMIT, like the other long lists, as a full count
    would read the whole archive."""
    page = db.paginate(search_statement(filters), per_page=PER_PAGE, max_per_page=PER_PAGE, error_out=False,
                       count=False)
    searching = filters.reference or filters.title or filters.applicant
    limit = lists.search_count_limit(page.page, PER_PAGE) if searching else None
    matching = _matching(select(Document.id), filters, joined=False)
    if searching:
        # A text search is counted in no order. Along the date index the database checks each document's title
        # (or applicant) until it has counted enough, which reads most of the archive when the matches are old;
        # unordered, it finds them through the application indexes and stops at the limit all the same
        # (at 20,000 documents, "study 1" on page 8: 66 ms ordered, 3 ms not).
        matching = matching.order_by(None)
    page.total, more = lists.capped_count(matching, limit)
    return page, more


def decisions_for(documents: list[Document]) -> dict[tuple[int, int], Decision]:
    """(submission id, round) -> Decision for a page of documents, in one query."""
    keys = {(d.submission_id, d.round_number) for d in documents}
    if not keys:
        return {}
    rows = db.session.scalars(select(Decision).where(Decision.submission_id.in_({k[0] for k in keys})))
    return {(d.submission_id, d.round_number): d for d in rows if (d.submission_id, d.round_number) in keys}


def _date_range(statement: Select, date_from: date | None, date_to: date | None) -> Select:
    if date_from:
        statement = statement.where(Document.created_at >= _day_start(date_from))
    if date_to:
        statement = statement.where(Document.created_at < _day_start(date_to + timedelta(days=1)))
    return statement


# ---------------------------------------------------------------- BagIt export


class _Sink(io.RawIOBase):
    """A write-only, non-seekable stream: zipfile writes into it and the generator drains it."""

    def __init__(self) -> None:
        super().__init__()
        self._chunks: list[bytes] = []
        self._offset = 0

    def writable(self) -> bool:
        return True

    def write(self, data: ReadableBuffer) -> int:
        data = bytes(data)
        self._chunks.append(data)
        self._offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self._offset

    def drain(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def export_documents(choice: ExportChoice) -> list[dict]:
    """The documents the export holds, oldest first, as plain dicts (the zip is streamed after the session is
    gone)."""
    filters = SearchFilters(outcome=choice.outcome, date_from=choice.date_from, date_to=choice.date_to)
    statement = (_matching(select(Document), filters, joined=False).order_by(None)
                 .order_by(Document.created_at, Document.id).options(joinedload(Document.submission)))
    if choice.kind in DOCUMENT_KINDS:
        statement = statement.where(Document.kind == choice.kind)
    items = []
    for document in db.session.scalars(statement):
        reference = document.submission.reference or f"application-{document.submission_id}"
        items.append({
            "path": f"data/{reference}/{document_filename(document)}",
            "storage_key": document.storage_key,
            "uid": document.uid, "reference": reference, "title": document.submission.title,
            "round": document.round_number, "kind": document.kind, "kind_label": DOCUMENT_KINDS[document.kind],
            "sha256": document.sha256, "size": document.size, "signed_by": document.signed_by,
            "created_at": document.created_at.isoformat(), "date_time": document.created_at.timetuple()[:6],
        })
    return items


def bag_name(date_from: date, date_to: date) -> str:
    return f"crucible-assessments-{date_from.isoformat()}-to-{date_to.isoformat()}"


def stream_bag(documents: list[dict], choice: ExportChoice, *, organisation: str, base_url: str) -> Iterator[bytes]:
    """A BagIt 1.0 bag as a zip: data/<reference>/<file>.pdf, data/documents.json, manifest-sha256.txt,
    bagit.txt, bag-info.txt and tagmanifest-sha256.txt, all under one top-level folder.

    Each PDF is read from storage and checked against its recorded sha256 while it is written, so a bag
    never carries a file that differs from the archive record.
    """
    storage = get_storage()
    root = bag_name(choice.date_from, choice.date_to)
    sink = _Sink()
    manifest: list[tuple[str, str]] = []
    octets = 0
    index = []
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as bag:
        for item in documents:
            info = zipfile.ZipInfo(f"{root}/{item['path']}", date_time=item["date_time"])
            digest = hashlib.sha256()
            with bag.open(info, mode="w", force_zip64=True) as member:
                for chunk in storage.iter_chunks(item["storage_key"]):
                    digest.update(chunk)
                    member.write(chunk)
                    yield sink.drain()
            if digest.hexdigest() != item["sha256"]:
                raise RuntimeError(f"archived file {item['storage_key']} does not match its recorded sha256")
            manifest.append((item["sha256"], item["path"]))
            octets += item["size"]
            index.append({k: v for k, v in item.items() if k not in ("storage_key", "date_time")})
            yield sink.drain()

        index_bytes = json.dumps({"documents": index}, indent=2, ensure_ascii=False).encode()
        bag.writestr(f"{root}/data/documents.json", index_bytes)
        manifest.append((hashlib.sha256(index_bytes).hexdigest(), "data/documents.json"))
        octets += len(index_bytes)

        tag_files = {
            "manifest-sha256.txt": "".join(f"{digest}  {path}\n" for digest, path in manifest).encode(),
            "bagit.txt": f"BagIt-Version: {BAGIT_VERSION}\nTag-File-Character-Encoding: UTF-8\n".encode(),
            "bag-info.txt": (
                f"Source-Organization: {organisation}\n"
                f"Bagging-Date: {date.today().isoformat()}\n"
                f"External-Description: Signed ethics assessments {choice.described()}.\n"
                f"External-Identifier: {root}\n"
                f"External-Identifier-Source: {base_url}\n"
                f"Payload-Oxum: {octets}.{len(manifest)}\n"
                f"Bag-Count: 1 of 1\n"
            ).encode(),
        }
        for name, content in tag_files.items():
            bag.writestr(f"{root}/{name}", content)
        tagmanifest = "".join(f"{hashlib.sha256(content).hexdigest()}  {name}\n" for name, content in tag_files.items())
        bag.writestr(f"{root}/tagmanifest-sha256.txt", tagmanifest)
    yield sink.drain()

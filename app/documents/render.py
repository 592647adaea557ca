"""HTML -> tagged PDF/A-3a with WeasyPrint, reproducibly and without reaching outside the app.

- Only the app's own static files can be fetched (`StaticOnlyFetcher`); anything else is refused and
  recorded, so a URL typed into an answer can never make the renderer open a file or a connection.
- Fonts come from app/static/fonts through @font-face; the finisher refuses a PDF that uses any other
  font (a system fallback would make the output depend on what the machine has installed).
- A glyph missing from those fonts is an error (`MissingGlyphError`), not a silent .notdef box.
- The finisher removes WeasyPrint's duplicate /AF entry and the Info /Producer, which pyHanko's XMP
  update would otherwise contradict.
- The PDF is tagged (PDF/A-3a): WeasyPrint builds the structure tree from the HTML (headings, tables with
  their header cells, the chart as a Figure with its SVG <title> as alternative text) and sets /Lang from
  <html lang>, so a screen reader can read the signed document.
- Each rendering thread keeps one FontConfiguration for all its documents (`_font_config`).
"""
from __future__ import annotations

import json
import logging
import mimetypes
import threading
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import render_template
from weasyprint.urls import URLFetcher

STATIC_DIR = (Path(__file__).resolve().parent.parent / "static").resolve()
FONT_DIR = STATIC_DIR / "fonts"
# The CSS font families declared in static/css/assessment.css; Pango names fonts "<family>-<style>".
FONT_FAMILY_PREFIX = "Crucible-"
ATTACHMENT_NAME = "assessment.json"

log = logging.getLogger("crucible.documents")


class RenderError(RuntimeError):
    pass


class MissingGlyphError(RenderError):
    pass


class ForeignFontError(RenderError):
    pass


class StaticOnlyFetcher(URLFetcher):
    """Serves file:// URLs inside app/static and refuses everything else (recording what it refused)."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"file"}, allow_redirects=False, fail_on_errors=False)
        self.fetched: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        from weasyprint.urls import URLFetcherResponse

        path = self.static_path(url)
        if path is None:
            self.refused.append(url)
            log.info("refused to fetch %s while rendering", url[:200])
            raise ValueError(f"only the application's static files can be used in documents: {url[:200]}")
        self.fetched.append(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": content_type})

    @staticmethod
    def static_path(url: str) -> Path | None:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            return None
        try:
            path = Path(unquote(parts.path)).resolve()
        except (OSError, ValueError):
            return None
        if not path.is_relative_to(STATIC_DIR) or not path.is_file():
            return None
        return path


class _GlyphWatch(logging.Handler):
    """Collects WeasyPrint's missing-glyph warnings raised by this thread's rendering."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.thread = threading.get_ident()
        self.missing: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread and ".notdef glyph" in str(record.msg):
            try:
                self.missing.append(record.getMessage())
            except Exception:  # noqa: BLE001 - a broken record must not hide the others
                self.missing.append(str(record.msg))


_fonts = threading.local()


def _font_config():
    """This thread's WeasyPrint FontConfiguration, reused by every document the thread renders.

    Left to itself WeasyPrint builds one per document (loading the system's fontconfig set and copying the
    @font-face files to a temporary folder), and every one freed leaves about 0.25 MiB behind in fontconfig
    and Pango: a worker grew by a quarter over 200 assessments (bench/pdf_render.py). WeasyPrint does not
    promise that one configuration can serve two threads at once, hence one per thread. Only static/css
    declares @font-face (answers are sanitised), so all a shared configuration accumulates is the shipped
    fonts, registered once.
    """
    config = getattr(_fonts, "config", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration

        config = _fonts.config = FontConfiguration()
    return config


def _finisher(document, pdf) -> None:
    import pydyf

    # WeasyPrint 70 lists each attachment twice in the catalog's /AF array.
    if "AF" in pdf.catalog:
        unique = []
        for item in pdf.catalog["AF"]:
            if item not in unique:
                unique.append(item)
        pdf.catalog["AF"] = pydyf.Array(unique)
    # pyHanko rewrites the XMP producer but not this one; PDF/A requires them to agree.
    pdf.info.pop("Producer", None)
    foreign = set()
    for obj in pdf.objects:
        if isinstance(obj, dict) and obj.get("Type") == "/FontDescriptor":
            name = obj.get("FontName", b"")
            name = name.decode("latin-1") if isinstance(name, bytes) else str(name)
            base = name.lstrip("/").split("+", 1)[-1]
            if not base.startswith(FONT_FAMILY_PREFIX):
                foreign.add(base)
    if foreign:
        raise ForeignFontError(
            "the document would use fonts not shipped with Crucible: " + ", ".join(sorted(foreign))
        )


def html_for(context: dict[str, Any]) -> str:
    return render_template("documents/assessment.html", **context)


def render_pdf(context: dict[str, Any]) -> bytes:
    """The unsigned, tagged PDF/A-3a of an assessment context, with its data attached as assessment.json."""
    from weasyprint import HTML, Attachment
    from weasyprint.logger import LOGGER

    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # one INFO line per page otherwise
    html = html_for(context)
    payload = json.dumps(context["data"], sort_keys=True, indent=2, ensure_ascii=False, default=str)
    fetcher = StaticOnlyFetcher()
    watch = _GlyphWatch()
    LOGGER.addHandler(watch)
    try:
        pdf = HTML(string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=fetcher).write_pdf(
            pdf_variant="pdf/a-3a",
            attachments=[Attachment(
                string=payload,
                name=ATTACHMENT_NAME,
                description="Frozen answers, risk scores, footprint and decision (machine-readable)",
                relationship="Data",
                url_fetcher=fetcher,
            )],
            finisher=_finisher,
            font_config=_font_config(),
        )
    finally:
        LOGGER.removeHandler(watch)
    if watch.missing:
        raise MissingGlyphError(
            "characters missing from the document fonts: " + "; ".join(sorted(set(watch.missing)))[:2000]
        )
    return pdf

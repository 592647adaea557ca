"""Fonts are configured once per rendering thread: WeasyPrint's per-document FontConfiguration leaves memory
behind in fontconfig and Pango each time it is freed (+25% RSS over 200 renders, bench/pdf_render.py)."""
from __future__ import annotations

import io
import threading

from app.documents import render as render_module

HTML = ('<html><head><link rel="stylesheet" href="css/assessment.css"></head>'
        '<body><h2>Answers</h2><p>Regular, <strong>bold</strong>, <em>italic</em>, <code>mono</code>, '
        'CO₂e → ≥ 3.</p></body></html>')


def _font_names(pdf: bytes) -> set[str]:
    from pypdf import PdfReader

    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            names.add(str(font.get_object()["/BaseFont"]).lstrip("/").split("+", 1)[-1])
    return names


def _render_in_thread(times: int) -> list[bytes]:
    results: list[bytes] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            results.extend(render_module.render_pdf({"data": {}}) for _ in range(times))
        except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(error)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return results


def test_a_thread_reuses_one_font_configuration_and_every_document_keeps_the_shipped_fonts(monkeypatch):
    from weasyprint.text import fonts

    created = []
    original_init = fonts.FontConfiguration.__init__

    def counting_init(self):
        created.append(self)
        original_init(self)

    monkeypatch.setattr(fonts.FontConfiguration, "__init__", counting_init)
    monkeypatch.setattr(render_module, "html_for", lambda context: HTML)

    documents = _render_in_thread(3)
    assert len(created) == 1
    # The configuration outlives the first document: later ones still find the @font-face fonts (a system
    # fallback would be refused by the finisher) and embed the same ones.
    expected = {"Crucible-Sans", "Crucible-Sans-Bold", "Crucible-Sans-Italic", "Crucible-Mono", "Crucible-Symbols"}
    assert [_font_names(pdf) for pdf in documents] == [expected] * 3

    _render_in_thread(1)
    assert len(created) == 2  # another thread, its own configuration

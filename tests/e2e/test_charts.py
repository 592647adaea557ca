"""Bar charts keep a readable, fixed text size at every width and never cut a label off (issue 16 item 4): the
risk profile and the footprint chart on the submitted application's answers, at 1,280 and 375 px."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import application_in_review

# Every label and value of every chart on the page: its computed font size, the height of its first line box,
# whether its text is cut off (scrollWidth beyond clientWidth) and whether it reaches outside its chart.
MEASURE = """() => [...document.querySelectorAll('figure.bar-chart')].flatMap((figure) => {
  const box = figure.getBoundingClientRect();
  return [...figure.querySelectorAll('.bar-chart-label, .bar-chart-value')].map((el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    const line = range.getClientRects()[0];
    const rect = el.getBoundingClientRect();
    return {
      chart: figure.id, text: el.textContent.trim(),
      fontSize: parseFloat(getComputedStyle(el).fontSize), lineHeight: line ? line.height : 0,
      clipped: el.scrollWidth > el.clientWidth + 1,
      outside: rect.left < box.left - 1 || rect.right > box.right + 1 || rect.right > window.innerWidth,
    };
  });
})"""


@pytest.mark.parametrize("width", [1280, 375])
def test_chart_text_is_a_fixed_size_and_never_clipped(people, staff, server, width):
    submission_id = application_in_review(server, f"Charts read at {width} px")
    applicant = people("applicant", viewport={"width": width, "height": 900})
    applicant.login(staff["applicant2"]["email"])
    applicant.visit(f"/applications/{submission_id}/check", f"charts-{width}")
    labels = applicant.page.evaluate(MEASURE)
    charts = {label["chart"] for label in labels}
    assert charts == {"risk-chart", "footprint-chart"}, charts
    assert any(label["text"] == "Dual use and security" for label in labels)
    for label in labels:
        assert 14 <= label["fontSize"] <= 16, label
        assert 14 <= label["lineHeight"] <= 24, label  # the text as drawn, not scaled with the chart
        assert not label["clipped"] and not label["outside"], label

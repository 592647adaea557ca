"""Geometry of the bar charts drawn on the server (no script): the `bar_chart` macro of charts.html on pages
(text as HTML, each bar a small SVG), and the signed assessment's risk chart (one SVG on a fixed-width A4 page).
Plain dicts in, plain dicts out."""
from __future__ import annotations

from typing import Any

TIER_POINTS_MAX = 9  # the tier chart's scale; longer bars are clipped and labelled with their real value


def chart(bars: list[tuple[str, float, str]], title: str) -> dict[str, Any]:
    """A horizontal bar chart for the `bar_chart` macro: (label, value, value text) per bar. Labels and values
    are page text beside each bar, so they keep the page's size at every width; a bar's length is its share of
    the largest, in percent (a bar of any value above nothing stays visible)."""
    largest = max((value for _, value, _ in bars), default=0) or 1
    rows = [{"label": label, "text": text,
             "percent": max(1.0, round(100 * value / largest, 1)) if value > 0 else 0}
            for label, value, text in bars]
    return {"title": title, "rows": rows}


def tier_chart(categories: list[dict[str, Any]]) -> dict[str, Any]:
    """The signed assessment's risk chart: points per category against the Medium and High thresholds."""
    width, label_width, bar_height, gap = 460, 150, 18, 10
    scale = (width - label_width - 60) / TIER_POINTS_MAX
    bars = []
    for index, category in enumerate(categories):
        points = category["points"]
        bars.append({
            "label": category["label"],
            "tier": category["tier"],
            "y": 10 + index * (bar_height + gap),
            "width": max(2.0, min(points, TIER_POINTS_MAX) * scale),
            "value": f"{points} pt · {category['tier']}",
        })
    thresholds = [{"x": label_width + at * scale, "label": text} for at, text in ((2, "Medium"), (5, "High"))]
    return {
        "width": width,
        "height": 20 + len(categories) * (bar_height + gap),
        "label_width": label_width,
        "bar_height": bar_height,
        "bars": bars,
        "thresholds": thresholds,
        # The chart's text alternative in the tagged PDF: what a reader who cannot see the bars needs.
        "description": "Risk points per category (Medium from 2 points, High from 5): "
                       + "; ".join(f"{bar['label']}: {bar['value']}" for bar in bars),
    }

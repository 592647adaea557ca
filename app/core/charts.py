"""Geometry of the bar charts drawn as SVG on the server (no script): the `bar_chart` macro of charts.html
on pages, and the signed assessment's risk chart. Plain dicts in, plain dicts out."""
from __future__ import annotations

from typing import Any

CHART_WIDTH = 480
BAR_HEIGHT = 22
BAR_GAP = 8
LABEL_WIDTH = 150
TIER_POINTS_MAX = 9  # the tier chart's scale; longer bars are clipped and labelled with their real value


def chart(bars: list[tuple[str, float, str]], title: str) -> dict[str, Any]:
    """A horizontal bar chart drawn as SVG by the `bar_chart` macro: (label, value, value text) per bar."""
    largest = max((value for _, value, _ in bars), default=0) or 1
    plot = CHART_WIDTH - LABEL_WIDTH - 90
    rows = []
    for index, (label, value, text) in enumerate(bars):
        rows.append({
            "label": label,
            "text": text,
            "y": index * (BAR_HEIGHT + BAR_GAP),
            "width": max(1.0, round(plot * value / largest, 1)) if value > 0 else 0,
            "text_y": index * (BAR_HEIGHT + BAR_GAP) + BAR_HEIGHT * 0.7,
        })
    return {
        "title": title,
        "rows": rows,
        "width": CHART_WIDTH,
        "height": max(1, len(rows)) * (BAR_HEIGHT + BAR_GAP),
        "label_width": LABEL_WIDTH,
        "bar_height": BAR_HEIGHT,
        "description": "; ".join(f"{row['label']}: {row['text']}" for row in rows),
    }


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

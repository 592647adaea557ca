"""<time datetime="..."> values are valid HTML date/time strings (at most three digits of a second's fraction)."""
from __future__ import annotations

import re

from tests.helpers import comment, in_review, page_text

# HTML's valid date string, or global/local date and time string.
VALID = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$")


def _time_values(response) -> list[str]:
    return re.findall(r'<time\b[^>]*\bdatetime="([^"]*)"', response.get_data(as_text=True))


def test_time_elements_carry_valid_datetime_values(app, make_client):
    submission_id, owner, c = in_review(app, make_client)
    comment(app, c.reviewer1, submission_id, "B4", "Please give the DOI of the dataset.")
    pages = [owner.client.get("/"), c.reviewer1.client.get(f"/review/applications/{submission_id}"),
             c.reviewer1.client.get("/review/mine"), c.coordinator.client.get("/review/queue"),
             c.coordinator.client.get(f"/review/applications/{submission_id}/history")]
    values = [value for page in pages for value in _time_values(page)]
    assert len(values) >= 4, [page_text(p)[:200] for p in pages]
    assert [v for v in values if not VALID.match(v)] == []

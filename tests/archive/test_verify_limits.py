"""Finding 4 and ASVS 12.1.2: checking an uploaded PDF has bounded cost, and a clear refusal past a limit.

The hostile file (tests/archive/hostile.py) is a few MB of object streams that inflate to tens of MB each,
within pyHanko's own limits for untrusted input, so without the app's limits it is read in full. No test here
measures time: each asserts on the refusal and on the limit that produced it (`bench/verify_dos.py` measures).
"""
from __future__ import annotations

import io
import re

import pytest

from tests.archive.hostile import hostile_pdf
from tests.helpers import audit_events, page_text

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def hostile() -> bytes:
    return hostile_pdf(streams=3, inflated_mb=40)


def _upload(client, data: bytes, address: str = "127.0.0.1"):
    return client.post("/verify", data={"file": (io.BytesIO(data), "assessment.pdf")},
                       content_type="multipart/form-data", environ_base={"REMOTE_ADDR": address})


def test_hostile_pdf_is_refused_with_a_clear_message(app, login_as, hostile):
    assert len(hostile) < 4 * MiB  # small on the wire: within MAX_UPLOAD, as in the report
    client = login_as().client
    response = _upload(client, hostile)
    assert response.status_code == 422
    text = page_text(response)
    assert "This file was not checked: its compressed content inflates to more than 16 MB" in text
    assert "Not verified" not in text
    [event] = audit_events(app, "document.verification_refused")
    assert "inflates to more than 16 MB" in event["data"]["reason"] and event["data"]["size"] == len(hostile)
    assert audit_events(app, "document.verified") == []


def test_too_many_objects_are_refused_before_parsing(app, login_as, hostile):
    app.config["VERIFY_MAX_OBJECTS"] = 5
    client = login_as().client
    response = _upload(client, hostile)
    assert response.status_code == 422
    refusal = r"This file was not checked: it declares \d+ objects, more than the 5 allowed"
    assert re.search(refusal, page_text(response))


def test_memory_limit_of_the_child_stops_what_the_inflate_cap_lets_through(app, login_as, hostile):
    """With the inflate cap raised out of the way, the child process's memory limit still refuses the file."""
    app.config["VERIFY_MAX_INFLATED"] = 1024 * MiB
    app.config["VERIFY_MEMORY"] = 24 * MiB
    client = login_as().client
    response = _upload(client, hostile)
    assert response.status_code == 422
    assert "This file was not checked: reading it needed more than 24 MB of memory" in page_text(response)


def test_verification_is_rate_limited_per_user_and_per_address(app, login_as):
    app.config["VERIFY_RATE_LIMIT"] = "2 per hour"
    client = login_as().client
    for address in ("10.1.0.1", "10.1.0.2"):
        assert _upload(client, b"%PDF-1.7 not really", address).status_code == 200
    # The same user from a third address: their own allowance is used up.
    assert _upload(client, b"%PDF-1.7 not really", "10.1.0.3").status_code == 429
    # Another user from an address that has used up its allowance.
    second = login_as().client
    assert _upload(second, b"%PDF-1.7 not really", "10.1.0.9").status_code == 200
    assert _upload(second, b"%PDF-1.7 not really", "10.1.0.9").status_code == 200
    third = login_as().client
    assert _upload(third, b"%PDF-1.7 not really", "10.1.0.9").status_code == 429

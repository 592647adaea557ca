"""Links built by page_url (the remembered url_for of every template) are the links url_for builds."""
from __future__ import annotations

from flask import url_for

from app.core.web import page_url

CASES = [
    ("submissions.dashboard", {}),
    ("submissions.section", {"submission_id": 7, "section_id": "B"}),
    ("reviews.queue", {"sort": "title", "dir": "desc", "page": 3}),
    ("reviews.queue", {"search": "perovskite & <oxide>"}),
    ("static", {"filename": "js/forms.js"}),
]


def test_same_links_as_url_for_also_when_mounted_under_a_prefix(app):
    for script_root in ("", "/ethics"):
        with app.test_request_context("/", base_url="http://localhost" + script_root):
            for endpoint, values in CASES:
                expected = url_for(endpoint, **values)
                assert expected.startswith(script_root + "/")
                assert page_url(endpoint, **values) == expected
                assert page_url(endpoint, **values) == expected  # the remembered one


def test_a_blueprint_relative_endpoint_resolves_against_the_request(app):
    with app.test_request_context("/review/queue"):
        app.preprocess_request()
        assert page_url(".queue", page=2) == url_for("reviews.queue", page=2)


def test_anchors_external_links_and_unhashable_values_are_built_as_usual(app):
    with app.test_request_context("/"):
        assert page_url("reviews.queue", _anchor="results") == "/review/queue#results"
        assert page_url("reviews.queue", _external=True).startswith("http://")
        assert page_url("reviews.queue", state=["open", "triage"]) == url_for("reviews.queue",
                                                                              state=["open", "triage"])


def test_outside_a_request_it_is_url_for(app):
    with app.app_context():
        app.config["SERVER_NAME"] = "crucible.example"
        try:
            assert page_url("submissions.dashboard") == url_for("submissions.dashboard")
        finally:
            app.config["SERVER_NAME"] = None


def test_templates_use_it(app):
    assert app.jinja_env.globals["url_for"] is page_url

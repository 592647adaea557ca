"""Every state-changing route refuses a request without a valid CSRF token, whoever sends it."""
from __future__ import annotations

import re

import pytest

from tests.helpers import login, make_user

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def unsafe_urls(app) -> list[tuple[str, str]]:
    """(method, url) for every unsafe route of the app, with placeholder ids filled in."""
    found = []
    for rule in app.url_map.iter_rules():
        methods = sorted((rule.methods or set()) & UNSAFE)
        if not methods or rule.endpoint == "static":
            continue
        values = {}
        for argument in rule.arguments:
            converter = rule._converters[argument].__class__.__name__
            values[argument] = 1 if "Integer" in converter else "A"
        path = _filled(rule.rule, values)
        found.extend((method, path) for method in methods)
    return sorted(set(found))


def _filled(rule: str, values: dict) -> str:
    """The rule's path with each <converter:argument> replaced by its value."""
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: str(values[m.group(1)]), rule)


def test_the_app_has_unsafe_routes_to_check(app):
    urls = unsafe_urls(app)
    assert len(urls) >= 25
    assert ("POST", "/login") in urls and ("POST", "/review/applications/1/decide") in urls


@pytest.mark.parametrize("who", ["anonymous", "signed_in"])
def test_every_unsafe_route_needs_the_token(app, client, who, subtests):
    if who == "signed_in":
        user = make_user(app, "reviewer", "chair", "coordinator", "security_officer", "admin")
        assert login(client, user).status_code == 302
    for method, url in unsafe_urls(app):
        with subtests.test(route=f"{method} {url}"):
            response = client.open(url, method=method, data={"title": "x", "body": "x"}, csrf=False)
            # /verify, public, is exempt from the global check only to read its large upload first; it checks
            # the token itself.
            assert response.status_code == 400, response.status_code


def test_a_token_from_another_session_is_refused(app, make_client):
    user = make_user(app)
    mine, other = make_client(), make_client()
    login(mine, user)
    login(other, make_user(app))
    foreign = other.csrf_token()
    response = mine.post("/applications/new", data={"title": "Forged", "csrf_token": foreign}, csrf=False)
    assert response.status_code == 400
    assert mine.post("/applications/new", data={"title": "Mine"}).status_code == 302


def test_json_autosave_needs_the_header_token(app, client):
    from tests.helpers import create_application

    user = make_user(app)
    login(client, user)
    submission_id = create_application(client)
    url = f"/applications/{submission_id}/sections/A/autosave"
    assert client.post(url, json={"answers": {"A1": "x"}}, csrf=False).status_code == 400
    assert client.post(url, json={"answers": {"A1": "x"}}, csrf=True).status_code != 400

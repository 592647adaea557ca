"""Static files: fingerprinted URLs cached for a year, text responses gzipped, a favicon on every page."""
from __future__ import annotations

import gzip
import re

from tests.helpers import login, make_user


def _asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/(?:static|bootstrap/static)/[^"]+)"', html)


def test_pages_link_fingerprinted_assets_that_are_cached_for_a_year(client):
    html = client.get("/login").get_data(as_text=True)
    urls = _asset_urls(html)
    assert any("bootstrap.min.css" in url for url in urls) and any("crucible.css" in url for url in urls)
    for url in urls:
        assert re.search(r"\?v=[0-9a-f]{12}$", url), url
        response = client.get(url)
        assert response.status_code == 200, url
        cache = response.cache_control
        assert cache.max_age == 365 * 24 * 3600 and cache.public and cache.immutable and not cache.no_cache, url


def test_an_old_or_missing_fingerprint_is_not_cached_for_long(client):
    for url in ("/static/css/crucible.css", "/static/css/crucible.css?v=000000000000"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.cache_control.max_age != 365 * 24 * 3600
        assert not response.cache_control.immutable


def test_text_responses_are_gzipped_for_clients_that_accept_it(app, client):
    plain = client.get("/static/css/crucible.css")
    assert "Content-Encoding" not in plain.headers
    zipped = client.get("/static/css/crucible.css", headers={"Accept-Encoding": "gzip, br"})
    assert zipped.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.get_data()) == plain.get_data()

    bootstrap = client.get("/bootstrap/static/css/bootstrap.min.css", headers={"Accept-Encoding": "gzip"})
    assert bootstrap.headers["Content-Encoding"] == "gzip"
    assert int(bootstrap.headers["Content-Length"]) < 60_000  # about 230 kB uncompressed

    user = make_user(app)
    login(client, user)
    page = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert page.headers["Content-Encoding"] == "gzip"
    assert "<h1" in gzip.decompress(page.get_data()).decode()
    assert page.headers["Cache-Control"] == "no-store"  # a signed-in page still stays out of caches


def test_a_revalidated_gzipped_asset_answers_not_modified(client):
    first = client.get("/static/js/forms.js", headers={"Accept-Encoding": "gzip"})
    etag = first.headers["ETag"]
    assert etag.startswith("W/")
    again = client.get("/static/js/forms.js", headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304


def test_every_page_names_a_favicon_that_exists(client):
    html = client.get("/login").get_data(as_text=True)
    icon = re.search(r'<link rel="icon"[^>]*href="([^"]+)"', html).group(1)
    response = client.get(icon)
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"

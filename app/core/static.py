"""Static files with fingerprinted URLs and long cache lifetimes, and gzip for text responses.

Every `url_for(...static...)` gets `?v=` and the first 12 hex digits of the file's sha256, so a changed file has a
new URL; a request carrying the current fingerprint may then be cached for a year and never re-checked (without it
each asset was revalidated on every page: about 1.4 s of a phone's first paint). Text responses (pages, CSS,
JavaScript, SVG, JSON) are gzipped for clients that accept it. Both use Flask's own static serving and the
standard library, with no extra dependency: the app serves a handful of small files, and a compressed copy of
each is kept in memory, keyed by its fingerprint.
"""
from __future__ import annotations

import gzip
import hashlib
import os
from functools import lru_cache
from typing import Any

from flask import Flask, Response, request

YEAR = 365 * 24 * 3600
# Below this a gzip header and the CPU cost more than they save.
MIN_SIZE = 512
COMPRESSIBLE = {"text/html", "text/css", "text/javascript", "application/javascript", "application/json",
                "image/svg+xml", "text/plain", "text/csv"}


@lru_cache(maxsize=512)
def _fingerprint(path: str, mtime_ns: int, size: int) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:12]


@lru_cache(maxsize=128)
def _gzipped(path: str, fingerprint: str) -> bytes:
    with open(path, "rb") as handle:
        return gzip.compress(handle.read(), compresslevel=9, mtime=0)


def _static_folder(app: Flask, endpoint: str) -> str | None:
    if endpoint == "static":
        return app.static_folder
    blueprint = app.blueprints.get(endpoint.rsplit(".", 1)[0]) if endpoint.endswith(".static") else None
    return blueprint.static_folder if blueprint is not None else None


def _file_of(app: Flask, endpoint: str | None, filename: str | None) -> str | None:
    """The file a static URL names, or None when it is not a file under a static folder."""
    if not endpoint or not filename:
        return None
    folder = _static_folder(app, endpoint)
    if folder is None:
        return None
    path = os.path.realpath(os.path.join(folder, filename))
    root = os.path.realpath(folder)
    if not path.startswith(root + os.sep) or not os.path.isfile(path):
        return None
    return path


def fingerprint_of(path: str) -> str:
    stat = os.stat(path)
    return _fingerprint(path, stat.st_mtime_ns, stat.st_size)


def register_static_files(app: Flask) -> None:
    @app.url_defaults
    def fingerprinted(endpoint: str, values: dict[str, Any]) -> None:
        if "v" in values or not endpoint.endswith("static"):
            return
        path = _file_of(app, endpoint, values.get("filename"))
        if path is not None:
            values["v"] = fingerprint_of(path)

    @app.after_request
    def cache_and_compress(response: Response) -> Response:
        static_path = None
        if request.endpoint and request.endpoint.endswith("static") and request.view_args:
            static_path = _file_of(app, request.endpoint, request.view_args.get("filename"))
        if (static_path is not None and response.status_code in (200, 304)
                and request.args.get("v") == fingerprint_of(static_path)):
            # This URL names these exact bytes: a changed file gets another URL.
            response.cache_control.no_cache = None
            response.cache_control.public = True
            response.cache_control.max_age = YEAR
            response.cache_control.immutable = True
            response.expires = None
        _compress(response, static_path)
        return response


def _compress(response: Response, static_path: str | None) -> None:
    response.vary.add("Accept-Encoding")
    if (response.status_code != 200 or response.mimetype not in COMPRESSIBLE
            or "Content-Encoding" in response.headers or "Content-Range" in response.headers
            or not request.accept_encodings["gzip"]):
        return
    if static_path is not None:
        body = _gzipped(static_path, fingerprint_of(static_path))
        response.close()  # the open file Flask would have streamed
        response.direct_passthrough = False
    elif response.is_streamed:
        return  # a streamed download (a CSV export) is sent as it is produced
    else:
        data = response.get_data()
        if len(data) < MIN_SIZE:
            return
        body = gzip.compress(data, compresslevel=6, mtime=0)
    response.set_data(body)
    response.headers["Content-Encoding"] = "gzip"
    etag, weak = response.get_etag()
    if etag and not weak:
        # The same resource in another encoding: a weak validator still answers If-None-Match with a 304.
        response.set_etag(etag, weak=True)

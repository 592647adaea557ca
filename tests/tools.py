"""Outside programs some tests run (poppler's PDF tools, qpdf, NSS's certutil, a Redis server).

`make test` installs them (scripts/system-packages.sh test). When one is missing anyway, a test that needs it
is skipped with the package to install, except with CI=true, where a missing tool fails the test: a
green CI must mean that every check ran.
"""
from __future__ import annotations

import os
import shutil

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def require_tool(command: str, package: str) -> str:
    """The path of `command`; skips (fails under CI=true) the calling test when it is not installed."""
    path = shutil.which(command)
    if path is None:
        reason = f"{command} is not installed (Debian package {package}; `make test` installs it)"
        if IN_CI:
            pytest.fail(f"CI=true and {reason}")
        pytest.skip(reason)
    return path


def missing_service(reason: str) -> None:
    """A service a test needs is not reachable: skip, or fail under CI=true."""
    if IN_CI:
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


def redis_url_for_tests(offset: int = 0) -> str:
    """A Redis database the tests may empty: TEST_REDIS_DB (15 by default) minus `offset`, so checkouts whose
    suites run at the same time on one machine can each be given databases of their own."""
    return f"redis://127.0.0.1:6379/{int(os.environ.get('TEST_REDIS_DB', '15')) - offset}"


def redis_connection(url: str):
    """A connection to the emptied Redis database at `url`; skips (fails under CI=true) without a Redis server."""
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url(url)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        missing_service("Redis is not running on 127.0.0.1:6379")
    connection.flushdb()
    return connection

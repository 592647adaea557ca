"""The child process that runs work on untrusted input (app/core/sandbox.py): its limits are applied and hold
(finding 4, ASVS 12.1.2). No timings are asserted; each test asserts which limit stopped the child."""
from __future__ import annotations

import resource
import time

import pytest

from app.core.sandbox import LimitExceeded, Limits, applied_limits, run_limited

MiB = 1024 * 1024
LIMITS = Limits(cpu_seconds=2, memory_bytes=64 * MiB, wall_seconds=10)


def test_child_runs_with_cpu_and_memory_limits_and_the_parent_keeps_its_own():
    inside = run_limited(applied_limits, limits=LIMITS)
    assert inside["cpu"] == (2, 3)
    soft, hard = inside["memory"]
    assert soft == hard and soft != resource.RLIM_INFINITY
    assert applied_limits()["cpu"] != (2, 3)  # the parent is untouched


def test_child_past_its_memory_is_stopped():
    with pytest.raises(LimitExceeded) as stopped:
        run_limited(lambda: len(bytearray(512 * MiB)), limits=LIMITS)
    assert stopped.value.which == "memory"


def test_child_past_its_cpu_time_is_stopped():
    def spin():
        while True:
            pass

    with pytest.raises(LimitExceeded) as stopped:
        run_limited(spin, limits=Limits(cpu_seconds=1, memory_bytes=64 * MiB, wall_seconds=30))
    assert stopped.value.which == "cpu"


def test_child_past_its_wall_time_is_stopped():
    with pytest.raises(LimitExceeded) as stopped:
        run_limited(time.sleep, 30, limits=Limits(cpu_seconds=5, memory_bytes=64 * MiB, wall_seconds=0.5))
    assert stopped.value.which == "time"


def test_an_exception_in_the_child_is_reported_not_raised_as_is():
    from app.core.sandbox import ChildFailed

    with pytest.raises(ChildFailed, match="ZeroDivisionError"):
        run_limited(lambda: 1 // 0, limits=LIMITS)

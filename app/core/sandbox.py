"""Run one function in a child process with limits on its CPU time, memory and wall time.

For work on untrusted input whose cost the input decides (parsing an uploaded PDF): whatever the file makes the
parser do, the web worker waits at most `wall_seconds`, and the child is stopped by the kernel at `cpu_seconds`
of CPU (RLIMIT_CPU) or refused memory beyond `memory_bytes` more than it started with (RLIMIT_AS). The child is
forked, so the function and its arguments need no pickling and nothing is imported again; it only computes and
returns a picklable value, and never touches the database connection it inherited (it leaves with os._exit, as
multiprocessing's forked children do, so no finaliser closes that connection under the parent).
"""
from __future__ import annotations

import multiprocessing
import os
import resource
import signal
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any


@dataclass(frozen=True)
class Limits:
    cpu_seconds: int
    memory_bytes: int
    wall_seconds: float


class LimitExceeded(Exception):
    """The child was stopped at a limit: `which` is 'cpu', 'memory' or 'time'."""

    def __init__(self, which: str):
        super().__init__(which)
        self.which = which


class ChildFailed(Exception):
    """The function raised in the child; the message names the exception."""


def _address_space() -> int:
    """This process's virtual memory size now, in bytes (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def applied_limits() -> dict[str, tuple[int, int]]:
    """The CPU and address-space limits of the calling process, as (soft, hard)."""
    return {"cpu": resource.getrlimit(resource.RLIMIT_CPU), "memory": resource.getrlimit(resource.RLIMIT_AS)}


def _child(sender: Connection, func: Callable[..., Any], args: tuple[Any, ...], limits: Limits) -> None:
    try:
        # Hard CPU limit one second above the soft one: SIGXCPU first, SIGKILL if that is ignored.
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
        ceiling = _address_space() + limits.memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
        sender.send(("ok", func(*args)))
    except MemoryError:
        sender.send(("memory", None))
    except BaseException as error:  # noqa: BLE001 - reported to the parent, which decides
        sender.send(("error", f"{type(error).__name__}: {str(error)[:300]}"))
    finally:
        sender.close()


def run_limited(func: Callable[..., Any], *args: Any, limits: Limits) -> Any:
    """func(*args) in a forked child under `limits`; its return value, or LimitExceeded / ChildFailed."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, func, args, limits), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(limits.wall_seconds):
            raise LimitExceeded("time")
        try:
            status, value = receiver.recv()
        except EOFError:
            # No answer: the kernel stopped the child (SIGXCPU or SIGKILL at the CPU limit, or it died for want
            # of memory where Python could not even raise MemoryError).
            process.join(2)
            cpu = process.exitcode in (-signal.SIGXCPU, -signal.SIGKILL)
            raise LimitExceeded("cpu" if cpu else "memory") from None
    finally:
        if process.is_alive():
            process.kill()
        process.join(5)
        receiver.close()
    if status == "memory":
        raise LimitExceeded("memory")
    if status == "error":
        raise ChildFailed(value)
    return value

"""Daemon processes as direct children, polling with deadlines, and the parsed form of a route."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar, cast

T = TypeVar("T")

POLL_INTERVAL = 0.05
DEFAULT_TIMEOUT = 15.0


@dataclass(frozen=True, slots=True)
class RibEntry:
    """One route as a daemon shows it, reduced to what the tests compare."""

    prefix: str
    next_hop: str
    as_path: tuple[int, ...]
    med: int | None = None
    communities: frozenset[str] = frozenset()
    large_communities: frozenset[str] = frozenset()
    local_pref: int | None = None


@dataclass(frozen=True, slots=True)
class Route:
    """One route a router holds from the announcer, reduced to what the announcer's tests
    compare (their routes' AS path and MED are the announcer's business, not the router's)."""

    prefix: str
    next_hop: str
    local_pref: int | None = None
    communities: frozenset[str] = frozenset()
    large_communities: frozenset[str] = frozenset()

    @classmethod
    def of(cls, entry: RibEntry) -> Route:
        return cls(entry.prefix, entry.next_hop, entry.local_pref, entry.communities,
                   entry.large_communities)


class DaemonDied(AssertionError):
    pass


@dataclass
class DaemonProcess:
    """A daemon started with ``ip netns exec`` (which execs it: the child is the daemon)."""

    name: str
    log_path: Path
    argv: Sequence[str]
    process: subprocess.Popen[bytes] | None = None
    extra_logs: list[Path] = field(default_factory=list)

    def start(self, namespace: str, env: dict[str, str] | None = None) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                ["ip", "netns", "exec", namespace, *self.argv],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
            )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def check_alive(self) -> None:
        if not self.alive():
            code = None if self.process is None else self.process.returncode
            raise DaemonDied(f"{self.name} is not running (exit {code})\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        parts = []
        for path in (self.log_path, *self.extra_logs):
            try:
                text = path.read_text(errors="replace").splitlines()[-lines:]
            except OSError as error:
                text = [f"(cannot read: {error})"]
            parts.append(f"----- tail of {path} -----\n" + "\n".join(text))
        return "\n".join(parts)

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM, wait (reaping it), SIGKILL after ``grace`` seconds."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Alive(Protocol):
    """What a wait watches: a process that must not die meanwhile, and its log."""

    def check_alive(self) -> None: ...

    def log_tail(self) -> str: ...


class Watched:
    """Something with a process that must stay alive while a test waits on it."""

    process: DaemonProcess

    def check_alive(self) -> None:
        self.process.check_alive()

    def log_tail(self) -> str:
        return self.process.log_tail()


CHECK_ERRORS = (OSError, ValueError, KeyError, subprocess.SubprocessError)
"""What a check may raise while the thing it looks at is not there yet: the wait goes on."""


class _Deadline:
    """The bookkeeping of one wait: the processes watched, the deadline, the last error."""

    def __init__(self, what: str, watched: Alive | Sequence[Alive], timeout: float) -> None:
        self.what, self.timeout = what, timeout
        self.watched = list(watched) if isinstance(watched, Sequence) else [watched]
        self.deadline = time.monotonic() + timeout
        self.last: object = None

    def check_alive(self) -> None:
        for item in self.watched:
            item.check_alive()

    def done(self, result: object) -> bool:
        """Whether ``result`` ends the wait; raises once the deadline has passed."""
        if result is not None and result is not False:
            return True
        if time.monotonic() > self.deadline:
            tails = "\n".join(item.log_tail() for item in self.watched)
            raise AssertionError(f"timeout ({self.timeout}s) waiting for: {self.what} "
                                 f"(last error: {self.last!r})\n{tails}")
        return False


def wait_for(
    what: str,
    check: Callable[[], T | None],
    watched: Alive | Sequence[Alive],
    timeout: float = DEFAULT_TIMEOUT,
) -> T:
    """Poll ``check`` until it returns something other than ``None``/``False``.

    Fails with the log tails of ``watched`` on timeout, or as soon as one of them dies.
    """
    wait = _Deadline(what, watched, timeout)
    while True:
        wait.check_alive()
        try:
            result = check()
        except CHECK_ERRORS as error:
            result, wait.last = None, error
        if wait.done(result):
            return cast(T, result)
        time.sleep(POLL_INTERVAL)


async def await_for(
    what: str,
    check: Callable[[], T | None],
    watched: Alive | Sequence[Alive],
    timeout: float = DEFAULT_TIMEOUT,
) -> T:
    """:func:`wait_for` for use inside an event loop: the checks run in a worker thread."""
    wait = _Deadline(what, watched, timeout)
    while True:
        wait.check_alive()
        try:
            result = await asyncio.to_thread(check)
        except CHECK_ERRORS as error:
            result, wait.last = None, error
        if wait.done(result):
            return cast(T, result)
        await asyncio.sleep(POLL_INTERVAL)


def run_cli(argv: Sequence[str], timeout: float = 10.0) -> str:
    """Run a daemon's CLI and return its stdout; raises on a non-zero exit."""
    done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout,
                          check=False)
    if done.returncode != 0:
        raise subprocess.SubprocessError(
            f"{argv[0]} exited {done.returncode}: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def listening(namespace: str, address: str, port: int = 179) -> bool:
    """Whether something in ``namespace`` listens on ``address:port`` (TCP)."""
    out = run_cli(["ip", "netns", "exec", namespace, "ss", "-Hltn", f"src [{address}]:{port}"])
    return "LISTEN" in out


def peak_rss_kib(pid: int) -> int | None:
    """The peak resident set (``VmHWM``) of process ``pid`` in KiB; ``None`` where the kernel
    shows none (a process that has already exited)."""
    text = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmHWM:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match is not None else None


@contextlib.contextmanager
def signals_to_exit() -> Iterator[None]:
    """SIGTERM/SIGINT end a run through its normal clean-up path (namespaces and daemons are
    removed by the ``finally`` blocks and context managers they unwind)."""
    def leave(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = {s: signal.signal(s, leave) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)

"""Two network namespaces joined by a veth pair, and a way for this process to work inside one.

The bgpwire side runs in the test process. Its sockets must be created inside the namespace
``side_a``: :func:`entered` switches the *calling thread* into it with ``setns(2)`` (through
ctypes; ``os.setns`` arrives only in Python 3.12) and switches back on exit. :func:`run_in`
wraps a whole ``asyncio.run`` in it, so every socket the event loop opens lives in the
namespace while bgpwire itself stays unchanged. Unix sockets (vtysh, birdc, gobgp) are reached
through the file system and work from either namespace.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import os
import shutil
import subprocess
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

CLONE_NEWNET = 0x40000000
NETNS_DIR = "/run/netns"
VETH = "bw0"

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"setns: {os.strerror(errno)}")


@contextmanager
def entered(name: str) -> Iterator[None]:
    """Run the body with the calling thread inside network namespace ``name``."""
    original = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        target = os.open(os.path.join(NETNS_DIR, name), os.O_RDONLY)
        try:
            _setns(target)
        finally:
            os.close(target)
        try:
            yield
        finally:
            _setns(original)
    finally:
        os.close(original)


def run_in(name: str, main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``asyncio.run(main())`` with the event loop's thread inside namespace ``name``."""
    with entered(name):
        return asyncio.run(main())


def unavailable_reason() -> str | None:
    """Why namespaces cannot be made here, or ``None`` when they can."""
    if os.geteuid() != 0:
        return "interop tests need root (ip netns, port 179)"
    if shutil.which("ip") is None:
        return "interop tests need iproute2's `ip` (ip netns)"
    probe = subprocess.run(["ip", "netns", "list"], capture_output=True, check=False)
    if probe.returncode != 0:
        return f"`ip netns` is unavailable: {probe.stderr.decode(errors='replace').strip()}"
    return None


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)} failed: {done.stderr.strip()}")


@dataclass(frozen=True, slots=True)
class Addresses:
    """The 10.99.<n>.0/24 and fd99:<n>::/64 subnets of one topology."""

    subnet: int

    def v4(self, host: int) -> str:
        return f"10.99.{self.subnet}.{host}"

    def v6(self, host: int) -> str:
        return f"fd99:{self.subnet}::{host}"


@dataclass
class Topology:
    """Namespaces ``side_a`` (bgpwire) and ``side_b`` (daemons) with a veth ``bw0`` between."""

    side_a: str
    side_b: str
    addresses: Addresses
    created: list[str] = field(default_factory=list)

    @classmethod
    def for_pid(cls, pid: int | None = None) -> Topology:
        pid = os.getpid() if pid is None else pid
        return cls(f"bwi-{pid}-a", f"bwi-{pid}-b", Addresses(pid % 250 + 1))

    def create(self, hosts_a: list[int], hosts_b: list[int]) -> None:
        """Make both namespaces, the veth and the addresses; refuses existing namespaces."""
        for name in (self.side_a, self.side_b):
            if os.path.exists(os.path.join(NETNS_DIR, name)):
                raise RuntimeError(f"network namespace {name} already exists; not touching it")
        for name in (self.side_a, self.side_b):
            _ip("netns", "add", name)
            self.created.append(name)
        _ip("link", "add", VETH, "netns", self.side_a, "type", "veth",
            "peer", "name", VETH, "netns", self.side_b)
        for name, hosts in ((self.side_a, hosts_a), (self.side_b, hosts_b)):
            _ip("-n", name, "link", "set", "lo", "up")
            subprocess.run(
                ["ip", "netns", "exec", name, "sysctl", "-qw",
                 "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"],
                check=True, capture_output=True)
            for host in hosts:
                _ip("-n", name, "addr", "add", f"{self.addresses.v4(host)}/24", "dev", VETH)
                _ip("-n", name, "addr", "add", f"{self.addresses.v6(host)}/64", "dev", VETH,
                    "nodad")
            _ip("-n", name, "link", "set", VETH, "up")

    def destroy(self) -> None:
        """Delete the namespaces this object created (and so the veth), nothing else."""
        errors = []
        while self.created:
            name = self.created.pop()
            done = subprocess.run(["ip", "netns", "del", name], capture_output=True, text=True,
                                  check=False)
            if done.returncode != 0:
                errors.append(f"{name}: {done.stderr.strip()}")
        if errors:
            raise RuntimeError("could not delete namespaces: " + "; ".join(errors))

    def pids(self, name: str) -> list[int]:
        done = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True,
                              check=False)
        return [int(word) for word in done.stdout.split()]


@contextmanager
def extra_hosts(topology: Topology, hosts_a: list[int], hosts_b: list[int]) -> Iterator[None]:
    """More addresses (IPv4 and IPv6, as in :meth:`Topology.create`) on both sides for the body.

    For tests that run their own daemon instances beside the shared ones; the addresses are
    removed afterwards (and go with the namespaces anyway).
    """
    added: list[tuple[str, str]] = []
    try:
        for name, hosts in ((topology.side_a, hosts_a), (topology.side_b, hosts_b)):
            for host in hosts:
                for address in (f"{topology.addresses.v4(host)}/24",
                                f"{topology.addresses.v6(host)}/64"):
                    extra = ["nodad"] if ":" in address else []
                    _ip("-n", name, "addr", "add", address, "dev", VETH, *extra)
                    added.append((name, address))
        yield
    finally:
        for name, address in reversed(added):
            subprocess.run(["ip", "-n", name, "addr", "del", address, "dev", VETH],
                           capture_output=True, check=False)

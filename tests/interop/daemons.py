"""What every daemon offers (process, config for a list of neighbors, RIB through its CLI), and
the address/AS plan of the library's shared lab.

One class per daemon (:mod:`frr`, :mod:`gobgp`, :mod:`bird`) serves both interop suites: the
announcer's tests configure it with a list of :class:`Neighbor`; the library's lab daemons
(:class:`LabDaemon`) take their addresses from a :class:`Plan` and write configs of their own.

In the shared lab each daemon runs in the daemon namespace bound to its own address pair
(``10.99.<n>.2x`` and ``fd99:<n>::2x``) and is configured for exact bgpwire-side neighbor
addresses (``10.99.<n>.1x`` ...), so a session that comes up proves bgpwire bound that source
address.
"""

from __future__ import annotations

import shutil
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import ClassVar

from tests.interop.netns import Topology
from tests.interop.procs import DaemonProcess, RibEntry, Route, Watched, listening, wait_for

BGPWIRE_AS = 65010
ROUTER_AS = 65010
"""A daemon's AS unless told otherwise (every router of the announcer's tests)."""
PRIMARY_HOST = 1
"""The first address of bgpwire's namespace: what an unbound socket would use as source."""

SESSION_SLOT, SEND_SLOT, RECEIVE_SLOT = 0, 1, 2
"""Each test talks to a daemon from its own bgpwire address (slot), so no test depends on how
fast a daemon accepts a neighbor again after the previous test's session went down (GoBGP
closes new connections for several seconds after a reset)."""
SLOT_STRIDE = 50

MED = 42
LOCAL_VALUE = 7
"""Daemon-originated routes carry community ``<daemon AS>:7`` and large ``<AS>:7:7``."""
LISTEN_TIMEOUT = 20.0


@dataclass(frozen=True, slots=True)
class Neighbor:
    """The far end of one session as a daemon sees it: its address and AS, and who connects."""

    address: str
    asn: int
    passive: bool = True
    """The daemon only accepts (the far end connects); otherwise the daemon connects too."""
    port: int = 179
    """The far end's port when the daemon connects."""
    local: str | None = None
    """The daemon's own address for this session, when not its main one (it must be one of
    the daemon's ``extra_addresses``)."""
    extended_next_hop: bool = False
    """FRR only: offer RFC 8950 (IPv4 routes with an IPv6 next hop) on this session."""
    password: str | None = None
    """FRR only: TCP-MD5 (RFC 2385) on this session."""


class Daemon(Watched, ABC):
    """A BGP daemon in ``namespace``: started with its config, stopped, asked through its CLI.

    The default config (:meth:`write_config` of each daemon) has one session per
    :class:`Neighbor`; subclasses with other needs write their own.
    """

    name: ClassVar[str]
    binaries: ClassVar[tuple[str, ...]]
    """The programs the daemon and its CLI need."""
    port: int = 179
    """Where the daemon listens."""

    def __init__(self, namespace: str, workdir: Path, address4: str, address6: str,
                 neighbors: Sequence[Neighbor] = (), *, graceful_restart: bool = False,
                 asn: int = ROUTER_AS, extra_addresses: Sequence[str] = ()) -> None:
        self.namespace = namespace
        self.workdir = workdir
        self.address4 = address4
        self.address6 = address6
        self.neighbors = list(neighbors)
        self.graceful_restart = graceful_restart
        self.asn = asn
        self.extra_addresses = list(extra_addresses)
        """More addresses the daemon listens on (for :attr:`Neighbor.local`)."""
        workdir.mkdir(parents=True, exist_ok=True)
        workdir.chmod(0o755)
        self.process = DaemonProcess(self.name, workdir / f"{self.name}.log", self.argv())

    @classmethod
    def missing_binaries(cls) -> list[str]:
        return [binary for binary in cls.binaries if shutil.which(binary) is None]

    # --- life cycle ---------------------------------------------------------------------------

    @abstractmethod
    def argv(self) -> list[str]:
        """The command line (run under ``ip netns exec``)."""

    @abstractmethod
    def write_config(self) -> None: ...

    def env(self) -> dict[str, str]:
        return {}

    def start(self) -> None:
        self.write_config()
        self.process.start(self.namespace, self.env())

    @property
    def own_addresses(self) -> list[str]:
        """Every address the daemon binds: its main pair and its ``extra_addresses``."""
        return [self.address4, self.address6, *self.extra_addresses]

    def local_for(self, peer: Neighbor) -> str:
        """The daemon's own address on the session with ``peer``."""
        if peer.local is not None:
            return peer.local
        return self.address6 if ":" in peer.address else self.address4

    def ready_addresses(self) -> list[str]:
        """Where the daemon must listen before a test may start: where its passive
        neighbors connect to."""
        return sorted({self.local_for(peer) for peer in self.neighbors if peer.passive})

    def wait_ready(self) -> None:
        for address in self.ready_addresses():
            wait_for(f"{self.name} listening on [{address}]:{self.port}",
                     partial(listening, self.namespace, address, self.port), self.process,
                     LISTEN_TIMEOUT)

    def stop(self) -> None:
        self.process.stop()

    # --- queries ------------------------------------------------------------------------------

    @abstractmethod
    def established(self, neighbor: str) -> bool:
        """Whether the session with ``neighbor`` is Established."""

    @abstractmethod
    def entries(self, afi: str, neighbor: str) -> dict[str, RibEntry]:
        """The valid routes learned from ``neighbor`` for ``afi`` ("ipv4"/"ipv6"), by prefix,
        with every attribute the tests look at."""

    def routes(self, afi: str, neighbor: str) -> dict[str, RibEntry]:
        """:meth:`entries` as the library's tests compare them: without LOCAL_PREF, which
        BIRD sets on every route it imports (they check it on their own where it matters)."""
        return {prefix: replace(entry, local_pref=None)
                for prefix, entry in self.entries(afi, neighbor).items()}

    def announced(self, afi: str, neighbor: str) -> dict[str, Route]:
        """:meth:`entries` as the announcer's tests compare them (:class:`Route`)."""
        return {prefix: Route.of(entry) for prefix, entry in self.entries(afi, neighbor).items()}

    def all_announced(self, neighbor: str) -> dict[str, Route]:
        return {**self.announced("ipv4", neighbor), **self.announced("ipv6", neighbor)}


@contextmanager
def started(*daemons: Daemon) -> Iterator[None]:
    """Start ``daemons`` together, wait until each listens, and stop every one on the way out,
    also when a start or the body failed."""
    try:
        for daemon in daemons:
            daemon.start()
        for daemon in daemons:
            daemon.wait_ready()
        yield
    finally:
        for daemon in reversed(daemons):
            with suppress(Exception):
                daemon.stop()


@dataclass(frozen=True, slots=True)
class Plan:
    """Host numbers (last octet / last group) and AS of one daemon of the shared lab."""

    asn: int
    daemon_host: int
    peer_host: int
    """bgpwire's address for this daemon's sessions (IPv4 and IPv6 transport)."""
    index: int
    """Selects the prefixes the daemon originates: 198.51.100.<index>/32, 2001:db8:<index>::/48."""


class LabDaemon(Daemon):
    """A daemon of the library's lab: addresses and AS from its :class:`Plan`, routes of its
    own to originate, and the queries the library's tests need."""

    plan: ClassVar[Plan]

    def __init__(self, topology: Topology, workdir: Path) -> None:
        self.topology = topology
        addresses = topology.addresses
        super().__init__(topology.side_b, workdir, addresses.v4(self.plan.daemon_host),
                         addresses.v6(self.plan.daemon_host), asn=self.plan.asn)

    # --- addresses ----------------------------------------------------------------------------

    @property
    def peer4(self) -> str:
        return self.topology.addresses.v4(self.plan.peer_host)

    @property
    def peer6(self) -> str:
        return self.topology.addresses.v6(self.plan.peer_host)

    def slot4(self, slot: int) -> str:
        """bgpwire's IPv4 address for the sessions of test slot ``slot``."""
        return self.host4(self.plan.peer_host + SLOT_STRIDE * slot)

    @property
    def slots4(self) -> list[str]:
        return [self.slot4(slot) for slot in (SESSION_SLOT, SEND_SLOT, RECEIVE_SLOT)]

    def host4(self, host: int) -> str:
        return self.topology.addresses.v4(host)

    @property
    def originated4(self) -> str:
        return f"198.51.100.{self.plan.index}/32"

    @property
    def originated6(self) -> str:
        return f"2001:db8:{self.plan.index}::/48"

    @property
    def community(self) -> str:
        return f"{self.plan.asn}:{LOCAL_VALUE}"

    @property
    def large_community(self) -> str:
        return f"{self.plan.asn}:{LOCAL_VALUE}:{LOCAL_VALUE}"

    @property
    def originated6_next_hop(self) -> str:
        """The next hop bgpwire sees on the IPv6 route over the IPv4 session: each lab config
        sets the daemon's own IPv6 address."""
        return self.address6

    def ready_addresses(self) -> list[str]:
        return [self.address4, self.address6]

    def expected_from_daemon(self, afi: str) -> RibEntry:
        """The route this daemon originates towards bgpwire, as bgpwire should receive it."""
        if afi == "ipv4":
            prefix, next_hop = self.originated4, self.address4
        else:
            prefix, next_hop = self.originated6, self.originated6_next_hop
        return RibEntry(prefix, next_hop, (self.plan.asn,), MED,
                        frozenset({self.community}), frozenset({self.large_community}))
